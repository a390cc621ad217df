"""Who is paged: Cloud Monitoring's notification channels, made before tenancy (a tenant's budget mails its
own channels) and used by the operations layer's policies (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.operations.notification_channels import NotificationChannels, NotificationChannelsArgs
from config.operations import tenant_webhook_secret
from config.spec import PlatformSpec
from layers.platform import Project, RegionalPlatform


@dataclass(frozen=True)
class Channels:
    """Cloud Monitoring's notification channels: the platform's on-call, and each tenant's own."""

    platform: NotificationChannels
    tenants: dict[str, NotificationChannels]

    def for_tenant(self, tenant: str) -> list[pulumi.Output[str]]:
        """A tenant's alerts from outside the cluster: its channels, then the platform's."""
        return [*self.tenants[tenant].names, *self.platform.names]


def channels(spec: PlatformSpec, base: Project, platform: RegionalPlatform) -> Channels:
    """Mail everywhere; a generic webhook where one is configured (Cloud Monitoring's payload is not Slack's:
    Slack receivers get the cluster's alerts, through Alertmanager)."""
    alerting = spec.env.operations.alerts
    webhook = alerting.webhook
    platform_channels = NotificationChannels("channels-platform", NotificationChannelsArgs(
        naming=platform.naming, owner="platform", emails=tuple(alerting.emails),
        webhook_url=platform.supplied.get(webhook.secret) if webhook and webhook.kind == "webhook" else None),
        opts=base.after_apis)
    tenants = {}
    for tenant in spec.tenants:
        own = tenant.alerts.webhook
        tenants[tenant.name] = NotificationChannels(f"channels-{tenant.name}", NotificationChannelsArgs(
            naming=platform.naming, owner=tenant.name, emails=tuple(tenant.alerts.emails),
            webhook_url=platform.supplied.get(tenant_webhook_secret(tenant.name)) if own and own.kind == "webhook"
            else None), opts=base.after_apis)
    return Channels(platform=platform_channels, tenants=tenants)
