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


TRACES = "otel-collector"  # the shared endpoint the trace collector serves (layers/operations.py)


def traces(spec: PlatformSpec) -> None:
    """The trace collector and the shared endpoint tenants reach it by exist together."""
    file, shared = env_file(spec), spec.env.tenancy.shared_endpoints
    if spec.env.operations.traces and TRACES not in shared:
        raise fail(file, ("operations", "traces"), True,
                   f"needs tenancy.shared_endpoints.{TRACES} (namespace and OTLP gRPC port) so tenants can reach "
                   "the collector: add it, or set traces: false")
    if not spec.env.operations.traces and TRACES in shared:
        raise fail(file, ("tenancy", "shared_endpoints", TRACES), shared[TRACES].namespace,
                   "is served by nothing (operations.traces is false): remove it, or set traces: true")
