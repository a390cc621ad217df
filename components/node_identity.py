"""The GKE node service account: only what a node needs, never the default compute SA."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.naming import physical_name
from config import PlatformSpec

NODE_ROLES = (
    "roles/artifactregistry.reader",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
)


class NodeIdentity(pulumi.ComponentResource):
    """A dedicated node service account with exactly ``NODE_ROLES`` on the project."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:iam:NodeIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=physical_name(spec, "gke-nodes", kind="service_account"),
            display_name=f"GKE nodes ({spec.environment})",
            project=spec.project,
            opts=child,
        )
        self.email = self.account.email
        self.grants = [
            gcp.projects.IAMMember(
                f"{name}-{role.split('/')[1].replace('.', '-').lower()}",
                project=spec.project, role=role, member=self.account.member, opts=child)
            for role in NODE_ROLES
        ]
        self.register_outputs({"email": self.email})
