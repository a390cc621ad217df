"""Cloud Monitoring notification channels: where alerts evaluated outside the cluster go (and budgets).

Mail, and a generic webhook whose URL is a secret (kept out of state's plain fields). A Slack incoming
webhook cannot receive Cloud Monitoring's payload: Slack receivers get the cluster's alerts through
Alertmanager, and Cloud Monitoring's by mail (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.naming import Naming


@dataclass(frozen=True)
class NotificationChannelsArgs:
    naming: Naming
    owner: str  # "platform" or a tenant's name: in display names and labels
    emails: tuple[str, ...]
    webhook_url: pulumi.Input[str] | None = None  # a generic webhook (not Slack), a secret


class NotificationChannels(pulumi.ComponentResource):
    """Outputs: ``names`` (every channel's resource name, for alert policies) and ``emails`` (the mail
    channels' alone: a budget notifies only those)."""

    def __init__(self, name: str, args: NotificationChannelsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "NotificationChannels"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        tenant = None if args.owner == "platform" else args.owner
        emails = []
        for i, address in enumerate(args.emails):
            emails.append(gcp.monitoring.NotificationChannel(
                f"{name}-email-{i}", project=naming.project, type="email",
                display_name=f"{naming.prefix}-{naming.environment} {args.owner}: {address}",
                labels={"email_address": address}, user_labels=naming.labels("operations", tenant),
                opts=child).name)
        names = list(emails)
        if args.webhook_url is not None:
            names.append(gcp.monitoring.NotificationChannel(
                f"{name}-webhook", project=naming.project, type="webhook_tokenauth",
                display_name=f"{naming.prefix}-{naming.environment} {args.owner}: webhook",
                labels={"url": pulumi.Output.secret(args.webhook_url)}, user_labels=naming.labels("operations", tenant),
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["labels"])).name)
        self.names: list[pulumi.Output[str]] = names
        self.emails: list[pulumi.Output[str]] = emails
        self.register_outputs({"names": self.names, "emails": self.emails})
