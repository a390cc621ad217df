"""IAM: no primitive or broad admin roles, no way for a person to mint service-account credentials."""

from __future__ import annotations

import re

from policy.rules.base import rule

PROJECT_MEMBERS = ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding")
SA_MEMBERS = ("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding")
MEMBERS = (*PROJECT_MEMBERS, *SA_MEMBERS, "gcp:storage/bucketIAMMember:BucketIAMMember",
           "gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
           "gcp:secretmanager/secretIamMember:SecretIamMember", "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
           "gcp:iap/webIamMember:WebIamMember", "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
PRIMITIVE = ("roles/owner", "roles/editor", "roles/viewer")
# Roles that hand out service-account credentials: keys, access/ID tokens, signing.
CREDENTIAL_ROLES = ("roles/iam.serviceAccountKeyAdmin", "roles/iam.serviceAccountTokenCreator",
                    "roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.serviceAccountAdmin")
HUMANS = ("user:", "group:", "domain:")
BROAD_ADMIN = re.compile(r"^roles/[a-zA-Z]+\.(admin|[a-zA-Z]*Admin)$")


def _members(r) -> list[str]:
    members = r.get("members") if r.get("member") is None else [r.get("member")]
    return [m for m in r.known(members or []) if isinstance(m, str)]


@rule("iam-no-primitive-roles", "iam", "critical", "No grant of Owner, Editor or Viewer (basic roles).",
      "Grant the predefined role that covers the need (docs/deployer.md lists the deployer's).", types=MEMBERS)
def _primitive(r, ctx):
    if r.get("role") in PRIMITIVE:
        yield f"grants the basic role {r.get('role')}"


@rule("iam-no-broad-admin", "iam", "high", "No project-wide administrator role (roles/<service>.admin, ...Admin).",
      "Grant admin on the one resource that needs it, or a narrower predefined role at project level.",
      types=PROJECT_MEMBERS)
def _broad_admin(r, ctx):
    role = r.get("role") or ""
    if BROAD_ADMIN.match(role):
        yield f"grants {role} on the whole project"


@rule("iam-no-credential-grants-to-humans", "iam", "critical",
      "No person or group may create service-account keys or tokens (impersonation goes through CI's identity).",
      "Grant roles/iam.serviceAccountKeyAdmin/TokenCreator only to workload identities, never to user:, group: "
      "or domain: members; break-glass access is a documented, audited procedure.", types=(*PROJECT_MEMBERS,
                                                                                        *SA_MEMBERS))
def _credentials(r, ctx):
    if r.get("role") in CREDENTIAL_ROLES:
        for member in _members(r):
            if member.startswith(HUMANS):
                yield f"grants {r.get('role')} to {member}"


@rule("iam-no-public-members", "iam", "critical", "Nothing is granted to allUsers or allAuthenticatedUsers.",
      "Grant to a group or service account.", types=MEMBERS)
def _public(r, ctx):
    for member in _members(r):
        if member in ("allUsers", "allAuthenticatedUsers"):
            yield f"grants {r.get('role')} to {member}"


@rule("iam-no-service-account-keys", "iam", "critical",
      "No service-account key is created: keys are long-lived secrets that leak (CI uses Workload Identity "
      "Federation, pods use Workload Identity).",
      "Remove the gcp.serviceaccount.Key; authenticate CI through the bootstrap's GitHub identity pool "
      "(docs/deploying.md) and pods through Workload Identity.", types=("gcp:serviceaccount/key:Key",))
def _keys(r, ctx):
    yield "creates a service-account key"
