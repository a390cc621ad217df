"""The Google APIs the bootstrap's resources and the CI runs use, enabled per project before anything needs them."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

# The API each resource type the bootstrap registers calls (tests/test_bootstrap.py: every resource waits for
# its API's Service in its project; rows shared with config/catalog/apis.yaml must agree with it).
API_OF = {
    "gcp:kms/keyRing:KeyRing": "cloudkms.googleapis.com",
    "gcp:kms/cryptoKey:CryptoKey": "cloudkms.googleapis.com",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "cloudkms.googleapis.com",
    "gcp:storage/bucket:Bucket": "storage.googleapis.com",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "storage.googleapis.com",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "iam.googleapis.com",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": "iam.googleapis.com",
    "gcp:serviceaccount/account:Account": "iam.googleapis.com",
    "gcp:serviceaccount/iAMMember:IAMMember": "iam.googleapis.com",
    "gcp:projects/iAMMember:IAMMember": "cloudresourcemanager.googleapis.com",
    "gcp:projects/iAMCustomRole:IAMCustomRole": "iam.googleapis.com",
    "gcp:billing/accountIamMember:AccountIamMember": "cloudbilling.googleapis.com",
    "gcp:projects/serviceIdentity:ServiceIdentity": "serviceusage.googleapis.com",
    "gcp:artifactregistry/repository:Repository": "artifactregistry.googleapis.com",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "artifactregistry.googleapis.com",
    "gcp:cloudbuild/trigger:Trigger": "cloudbuild.googleapis.com",
    "gcp:orgpolicy/policy:Policy": "orgpolicy.googleapis.com",
}

# The CI project: the key ring and state bucket, the identity pool, Cloud Build and its logs, and what the
# runners call at run time: STS exchanges a GitHub token for a federated one in the pool's project, and IAM
# Credentials (enabled beside the pool, as google-github-actions/auth asks, and in each stack's project) mints
# the account's token.
CI_APIS = ("cloudkms.googleapis.com", "storage.googleapis.com", "iam.googleapis.com", "sts.googleapis.com",
           "iamcredentials.googleapis.com",
           "cloudbuild.googleapis.com", "logging.googleapis.com", "cloudbilling.googleapis.com",
           "artifactregistry.googleapis.com", "orgpolicy.googleapis.com")
# Each platform stack's project: its service accounts live there, and IAM Credentials mints their tokens.
# The platform program enables everything else it uses itself (config/catalog/apis.yaml).
# Service Usage and Cloud Resource Manager are enabled out of band in every project first (the provider needs
# them to enable anything: config/catalog/apis.yaml `bootstrap`).
STACK_APIS = ("iam.googleapis.com", "iamcredentials.googleapis.com")


def enable(name: str, project: str, apis: tuple[str, ...],
           parent: pulumi.Resource | None = None) -> dict[str, gcp.projects.Service]:
    """API -> its Service in ``project``; never disabled on destroy (the platform's stacks keep using them)."""
    return {api: gcp.projects.Service(f"{name}-{api.split('.')[0]}", project=project, service=api,
                                      disable_on_destroy=False, disable_dependent_services=False,
                                      opts=pulumi.ResourceOptions(parent=parent))
            for api in apis}
