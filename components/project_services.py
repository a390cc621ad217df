"""Enables the Google APIs the platform uses, before anything that needs them."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from config import PlatformSpec

# Every API a component of this program calls. Never disabled on destroy: other
# workloads in the project may rely on them.
APIS = (
    "artifactregistry.googleapis.com",
    "billingbudgets.googleapis.com",
    "certificatemanager.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "dns.googleapis.com",
    "file.googleapis.com",
    "gkebackup.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "networkservices.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
)


class ProjectServices(pulumi.ComponentResource):
    """The project's enabled APIs; other components depend on ``services``."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:project:ProjectServices", name, None, opts)
        self.services = [
            gcp.projects.Service(
                f"{name}-{api.split('.')[0]}",
                project=spec.project,
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in APIS
        ]
        self.register_outputs({"services": [s.service for s in self.services]})
