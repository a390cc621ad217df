"""Who a workload is to Google: project number, Workload Identity principals, service agents."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from config import PlatformSpec


def project_number(spec: PlatformSpec) -> pulumi.Output[str]:
    """The project's number (service agent emails and principal identifiers use it)."""
    return gcp.organizations.get_project_output(project_id=spec.project).number


def workload_principal(spec: PlatformSpec, number: pulumi.Input[str], identity: str) -> pulumi.Output[str]:
    """IAM principal of Kubernetes service account ``namespace/name`` (Workload Identity Federation for GKE).

    Granting roles to this principal directly needs no Google service account in between.
    """
    namespace, name = identity.split("/")
    pool = f"{spec.project}.svc.id.goog"
    return pulumi.Output.from_input(number).apply(
        lambda n: f"principal://iam.googleapis.com/projects/{n}/locations/global/workloadIdentityPools/"
                  f"{pool}/subject/ns/{namespace}/sa/{name}")
