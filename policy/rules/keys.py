"""Cloud KMS, Secret Manager and Artifact Registry: the platform's keys and where they are used."""

from __future__ import annotations

from policy.rules.base import rule

KEY = "gcp:kms/cryptoKey:CryptoKey"
SECRET = "gcp:secretmanager/secret:Secret"  # noqa: S105 (a type token)
REPOSITORY = "gcp:artifactregistry/repository:Repository"
MAX_ROTATION_SECONDS = 90 * 86400


def _seconds(duration) -> float | None:
    if isinstance(duration, str) and duration.endswith("s"):
        try:
            return float(duration[:-1])
        except ValueError:
            return None
    return None


@rule("kms-rotation", "kms", "high", "Encryption keys rotate at least every 90 days.",
      "Set rotation_period='7776000s' or less (encryption.rotation_days in the environment file).", types=(KEY,))
def _rotation(r, ctx):
    if r.get("purpose", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return
    seconds = _seconds(r.get("rotationPeriod"))
    if seconds is None or seconds > MAX_ROTATION_SECONDS:
        yield f"rotation period {r.get('rotationPeriod') or 'unset'} is longer than 90 days"


@rule("kms-hsm-in-prod", "kms", "medium", "Production keys live in an HSM (FIPS 140-2 level 3).",
      "Set encryption.protection_level: HSM in config/environments/prod.yaml.", types=(KEY,))
def _hsm(r, ctx):
    if ctx.environment == "prod" and r.get("versionTemplate.protectionLevel") != "HSM":
        yield f"protection level {r.get('versionTemplate.protectionLevel') or 'SOFTWARE'} in prod"


@rule("secret-cmek", "secrets", "high", "Secret payloads are encrypted with the platform's KMS key.",
      "Give every replica customer_managed_encryption=...(kms_key_name=<secrets key of its region>).",
      types=(SECRET,))
def _secret_cmek(r, ctx):
    replicas = r.known(r.get("replication.userManaged.replicas", []))
    auto_key = r.get("replication.auto.customerManagedEncryption.kmsKeyName")
    if not (auto_key or (replicas and all((x.get("customerManagedEncryption") or {}).get("kmsKeyName")
                                          for x in replicas))):
        yield "a replica has no customer-managed key"


@rule("secret-user-managed-replication", "secrets", "medium",
      "Secrets are replicated only to the regions the platform uses (data residency), not automatically.",
      "Set replication=SecretReplicationArgs(user_managed=...(replicas=[<region>, ...])).", types=(SECRET,))
def _secret_replication(r, ctx):
    if not r.get("replication.userManaged.replicas"):
        yield "replication is automatic (Google chooses the regions)"


@rule("registry-cleanup-policies", "registry", "low",
      "Repositories delete old images by policy (cost, and fewer stale vulnerable images).",
      "Set cleanup_policies (keep the newest N, delete older than M days) with cleanup_policy_dry_run=False "
      "(image_supply in the environment file).", types=(REPOSITORY,))
def _cleanup(r, ctx):
    if not r.get("cleanupPolicies") or r.get("cleanupPolicyDryRun") is True:
        yield "no active cleanup policy"


@rule("registry-cmek", "registry", "high", "Cached and pushed images are encrypted with the platform's KMS key.",
      "Set kms_key_name=<artifacts key> (only possible when the repository is created).", types=(REPOSITORY,))
def _registry_cmek(r, ctx):
    if not r.get("kmsKeyName"):
        yield "no customer-managed key (kmsKeyName)"
