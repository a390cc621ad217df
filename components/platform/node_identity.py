"""The GKE node service account: only what a node needs, never the default compute SA."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly
from config.naming import Naming

# GKE's documented minimum for a node service account (logging, monitoring, metadata, and the
# service usage image streaming needs), plus pulling images from Artifact Registry.
# https://cloud.google.com/kubernetes-engine/security/configure-node-service-accounts
NODE_ROLES = (
    "roles/artifactregistry.reader",
    "roles/container.defaultNodeServiceAccount",
)


@dataclass(frozen=True)
class NodeIdentityArgs:
    naming: Naming


class NodeIdentity(pulumi.ComponentResource):
    """A dedicated node service account with exactly ``NODE_ROLES`` on the project; output ``email``."""

    def __init__(self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "NodeIdentity"), name, None, formerly(opts, "ai-platform:iam:NodeIdentity"))
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=naming.name("gke-nodes", kind="service_account"),
            display_name=f"GKE nodes ({naming.environment})",
            project=naming.project,
            opts=child,
        )
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-{role.split('/')[1].replace('.', '-').lower()}",
                project=naming.project, role=role, member=account.member, opts=child)
        self.email: pulumi.Output[str] = account.email
        self.register_outputs({"email": self.email})
