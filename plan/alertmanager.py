"""The managed Alertmanager's configuration (Secret `alertmanager`, key `alertmanager.yaml`, namespace
`gmp-public`): each tenant's alerts to its receivers, everything else to the platform's on-call.

Routing follows the labels the rules set (plan/alerts.py): an alert about a tenant's ``namespace`` goes to
that tenant's receivers unless the platform's rules marked it ``scope="platform"`` (tenants may write their
own Rules, but admission refuses them that label: they cannot page the platform); the rest goes to the
platform. A tenant whose only receiver is a webhook whose URL is not set yet: to the platform, not lost. While the platform's own capacity alert fires, tenants' capacity alerts are held back:
a GPU stockout pages the platform once, not every tenant.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from config.operations import PlatformAlerts, TenantAlerts, tenant_webhook_secret
from config.spec import PlatformSpec

PLATFORM = "platform"
SLACK_TITLE = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.namespace }}'
SLACK_TEXT = ('{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n'
              '{{ range .Labels.SortedPairs }}`{{ .Name }}={{ .Value }}` {{ end }}\n{{ end }}')


def receiver_name(tenant: str) -> str:
    return f"tenant-{tenant}"


def _receiver(name: str, emails: list[str], webhook_kind: str | None, url: str | None) -> dict:
    out: dict = {"name": name}
    if emails:
        out["email_configs"] = [{"to": address, "send_resolved": True} for address in emails]
    if url is not None and webhook_kind == "slack":
        out["slack_configs"] = [{"api_url": url, "send_resolved": True, "title": SLACK_TITLE, "text": SLACK_TEXT}]
    elif url is not None:
        out["webhook_configs"] = [{"url": url, "send_resolved": True}]
    return out


def secrets_needed(spec: PlatformSpec) -> list[str]:
    """The supplied secrets the configuration embeds: the platform's webhook and mail password, each tenant's
    webhook (names of plan/loader secrets, their values read at deploy time)."""
    alerts = spec.env.operations.alerts
    names = [alerts.webhook.secret] if alerts.webhook else []
    if alerts.smtp and alerts.smtp.password_secret:
        names.append(alerts.smtp.password_secret)
    return names + [tenant_webhook_secret(t.name) for t in spec.tenants if t.alerts and t.alerts.webhook]


def config(spec: PlatformSpec, values: Mapping[str, str | None]) -> dict:
    """The configuration as data; ``values``: secret name -> its value (None where not yet set, which leaves
    that receiver to mail, or to the platform)."""
    platform: PlatformAlerts = spec.env.operations.alerts
    smtp = platform.smtp
    out: dict = {"global": {"resolve_timeout": "5m"}}
    if smtp is not None:
        out["global"].update({"smtp_smarthost": smtp.smarthost, "smtp_from": smtp.sender, "smtp_require_tls": True})
        if smtp.username:
            out["global"].update({"smtp_auth_username": smtp.username,
                                  "smtp_auth_password": values.get(smtp.password_secret) or ""})
    receivers = [_receiver(PLATFORM, platform.emails if smtp else [], platform.webhook and platform.webhook.kind,
                           values.get(platform.webhook.secret) if platform.webhook else None)]
    routes = []
    for tenant in spec.tenants:
        alerts: TenantAlerts = tenant.alerts
        url = values.get(tenant_webhook_secret(tenant.name)) if alerts.webhook else None
        receiver = _receiver(receiver_name(tenant.name), alerts.emails if smtp else [],
                             alerts.webhook and alerts.webhook.kind, url)
        if len(receiver) == 1:  # nothing to send through yet: the platform's on-call gets them
            continue
        receivers.append(receiver)
        routes.append({"receiver": receiver.get("name"), "continue": False,
                       "matchers": [f'namespace="{tenant.name}"', 'scope!="platform"']})
    out["route"] = {"receiver": PLATFORM, "group_by": ["alertname", "namespace", "endpoint"],
                    "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h", "routes": routes}
    out["receivers"] = receivers
    out["inhibit_rules"] = [{"source_matchers": ['scope="platform"', 'impact="capacity"', 'severity="page"'],
                             "target_matchers": ['scope="tenant"', 'impact="capacity"'], "equal": ["cluster"]}]
    return out


def render(spec: PlatformSpec, values: Mapping[str, str | None]) -> str:
    return yaml.safe_dump(config(spec, values), sort_keys=False)
