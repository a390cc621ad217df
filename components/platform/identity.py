"""Who a workload is to Google: project number and Workload Identity principals."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp


def project_number(project: str) -> pulumi.Output[str]:
    """The project's number (service agent emails and principal identifiers use it). Look it up once."""
    return gcp.organizations.get_project_output(project_id=project).number


def workload_principal(number: pulumi.Input[str], pool: pulumi.Input[str],
                       identity: pulumi.Input[str]) -> pulumi.Output[str]:
    """IAM principal of Kubernetes service account ``namespace/name`` (Workload Identity Federation for GKE).

    Granting roles to this principal directly needs no Google service account in between. Pass
    the cluster's ``workload_pool`` output: IAM refuses a member of a pool that does not exist
    yet ("Identity Pool does not exist"), and the pool exists once the cluster does.
    """
    return pulumi.Output.all(number, pool, identity).apply(
        lambda v: f"principal://iam.googleapis.com/projects/{v[0]}/locations/global/workloadIdentityPools/"
                  f"{v[1]}/subject/ns/{v[2].split('/')[0]}/sa/{v[2].split('/')[1]}")
