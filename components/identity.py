"""Who a workload is to Google: project number and Workload Identity principals."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from config.google import workload_pool


def project_number(project: str) -> pulumi.Output[str]:
    """The project's number (service agent emails and principal identifiers use it). Look it up once."""
    return gcp.organizations.get_project_output(project_id=project).number


def workload_principal(project: str, number: pulumi.Input[str], identity: str) -> pulumi.Output[str]:
    """IAM principal of Kubernetes service account ``namespace/name`` (Workload Identity Federation for GKE).

    Granting roles to this principal directly needs no Google service account in between.
    """
    namespace, name = identity.split("/")
    return pulumi.Output.from_input(number).apply(
        lambda n: f"principal://iam.googleapis.com/projects/{n}/locations/global/workloadIdentityPools/"
                  f"{workload_pool(project)}/subject/ns/{namespace}/sa/{name}")
