"""Operations settings users write: who is paged, how mail leaves, how long tenant logs are kept
(the `operations` section of an environment file, and a tenant's `alerts`). docs/operations.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.types import DnsLabel, FieldError, Spec

EMAIL = r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"
Email = Annotated[str, Field(pattern=EMAIL)]


class Webhook(Spec):
    """A receiver whose URL is a secret: Slack's incoming webhook, or any endpoint that takes Alertmanager's
    JSON (and Cloud Monitoring's notification payload)."""

    kind: Literal["slack", "webhook"] = "slack"
    secret: DnsLabel = Field(description="The data.secrets.external entry whose value is the URL.")


class Smtp(Spec):
    """The relay Alertmanager sends mail through (managed Alertmanager has no mail service of its own)."""

    smarthost: str = Field(pattern=r"^[a-z0-9.-]+:[0-9]{2,5}$", description="host:port, STARTTLS.")
    sender: str = Field(pattern=EMAIL, description="The From address.")
    username: str | None = None
    password_secret: DnsLabel | None = Field(None, description="A data.secrets.external entry; with username.")

    @model_validator(mode="after")
    def _credentials(self) -> Smtp:
        if (self.username is None) != (self.password_secret is None):
            raise FieldError("password_secret", self.password_secret, "goes with username, and username with it")
        return self


class PlatformAlerts(Spec):
    """Who the platform's own alerts reach: the on-call team."""

    emails: list[Email] = Field(min_length=1)
    webhook: Webhook | None = None
    smtp: Smtp | None = Field(None, description="Required where anyone (platform or tenant) gets alert mail "
                                                "from the cluster's rules.")


class OperationsSpec(Spec):
    """Monitoring, alerting and logging of an environment (docs/operations.md)."""

    alerts: PlatformAlerts
    log_retention_days: int = Field(30, ge=1, le=3650, description="Tenants' own log buckets.")
    uptime_period: Literal["60s", "300s", "600s", "900s"] = Field("300s", description="Uptime checks of sites.")
    traces: bool = Field(True, description="Run the OpenTelemetry collector tenants send traces to (Cloud Trace).")


class TenantWebhook(Spec):
    """A tenant's webhook: its URL is set by the platform team as a Pulumi secret under ``config_key``."""

    kind: Literal["slack", "webhook"] = "slack"
    config_key: str = Field(pattern=r"^[a-z][a-zA-Z0-9]*$",
                            description="`pulumi config set --secret ai-platform:<config_key> https://...`")


def tenant_webhook_secret(tenant: str) -> str:
    """The name of the secret holding a tenant's alert webhook URL (in Secret Manager: <prefix>-<env>-<it>)."""
    return f"{tenant}-alert-webhook"


class TenantAlerts(Spec):
    """Where a tenant's alerts go: mail and a webhook (either or both). Alerts about its namespace reach
    these receivers, never the platform's on-call (until its webhook URL is set, its webhook-only alerts
    do, so that none is lost)."""

    emails: list[Email] = Field(default_factory=list, max_length=4,
                                description="At most four: a budget notifies five channels, the webhook one of them.")
    webhook: TenantWebhook | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> TenantAlerts:
        if not self.emails and self.webhook is None:
            raise FieldError("emails", [], "is empty and there is no webhook: name at least one receiver")
        return self


class Slo(Spec):
    """Latency targets of a tier's endpoints: alert when the p95 stays above them. Availability comes
    from the tenant's `sla`."""

    ttft_p95_seconds: float = Field(gt=0, description="Time to first token.")
    latency_p95_seconds: float = Field(gt=0, description="End-to-end request latency.")
    error_ratio: float = Field(0.05, gt=0, lt=1, description="Share of failed requests that alerts (5 %).")
