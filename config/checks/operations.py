"""Checks of who is paged: receivers name declared secrets, mail has a relay, webhook keys are distinct."""

from __future__ import annotations

from config.checks.common import env_file, fail, tenant_file
from config.spec import PlatformSpec


def receivers(spec: PlatformSpec) -> None:
    file, alerts = env_file(spec), spec.env.operations.alerts
    external = {s.name: s for s in spec.env.data.secrets.external}
    declared = ", ".join(external) or "none"
    for path, name in ((("operations", "alerts", "webhook", "secret"), alerts.webhook and alerts.webhook.secret),
                       (("operations", "alerts", "smtp", "password_secret"),
                        alerts.smtp and alerts.smtp.password_secret)):
        if name and name not in external:
            raise fail(file, path, name, f"is not a data.secrets.external entry (declared: {declared}; declare it, "
                       "then `pulumi config set --secret` its config_key)")
    if alerts.smtp is None and alerts.webhook is None:
        raise fail(file, ("operations", "alerts", "smtp"), None,
                   "is needed: the platform's alerts from the cluster reach its emails only through an SMTP relay "
                   "(managed Alertmanager has no mail service); configure smtp, or a webhook")
    config_keys = {s.config_key: f"data.secrets.external '{s.name}' in {file}" for s in external.values()}
    for tenant in spec.tenants:
        if tenant.alerts is None:
            continue
        if tenant.alerts.emails and alerts.smtp is None:
            raise fail(tenant_file(tenant.name), ("alerts", "emails"), tenant.alerts.emails,
                       f"need a mail relay in stack {spec.stack}: configure operations.alerts.smtp in {file}, or "
                       "give the tenant a webhook instead")
        webhook = tenant.alerts.webhook
        if webhook is not None:
            if webhook.config_key in config_keys:
                raise fail(tenant_file(tenant.name), ("alerts", "webhook", "config_key"), webhook.config_key,
                           f"is already the config key of {config_keys[webhook.config_key]}: choose another")
            config_keys[webhook.config_key] = f"{tenant.name}'s alert webhook"
