"""Cloud Storage: no ACLs, nothing public, the platform's key, and old versions kept."""

from __future__ import annotations

from policy.rules.base import rule

BUCKET = "gcp:storage/bucket:Bucket"


@rule("gcs-uniform-access", "storage", "high", "Access to a bucket is decided by IAM only (no object ACLs).",
      "Set uniform_bucket_level_access=True.", types=(BUCKET,))
def _ubla(r, ctx):
    if r.get("uniformBucketLevelAccess") is not True:
        yield "uniform bucket-level access is off: object ACLs can grant access IAM does not show"


@rule("gcs-public-access-prevention", "storage", "critical", "No bucket can be made public.",
      "Set public_access_prevention='enforced'.", types=(BUCKET,))
def _pap(r, ctx):
    if r.get("publicAccessPrevention") != "enforced":
        yield f"public access prevention is not enforced ({r.get('publicAccessPrevention') or 'inherited'})"


@rule("gcs-cmek", "storage", "high", "Objects are encrypted with the platform's KMS key.",
      "Set encryption=BucketEncryptionArgs(default_kms_key_name=<storage key of the bucket's region>).",
      types=(BUCKET,))
def _cmek(r, ctx):
    if not r.get("encryption.defaultKmsKeyName"):
        yield "no customer-managed key (encryption.defaultKmsKeyName)"


@rule("gcs-versioning", "storage", "medium",
      "A bucket keeps overwritten and deleted objects: versioned, or under a retention policy (WORM).",
      "Set versioning=BucketVersioningArgs(enabled=True) with lifecycle rules for old versions, or a "
      "retention_policy for write-once data.", types=(BUCKET,))
def _versioning(r, ctx):
    if r.get("versioning.enabled") is not True and not r.get("retentionPolicy.retentionPeriod"):
        yield "neither versioned nor under a retention policy: an overwrite or delete loses the data"


@rule("gcs-no-force-destroy", "storage", "high",
      "Deleting a bucket never deletes its objects with it where data is protected.",
      "Set force_destroy=False (environments with protect: true).", types=(BUCKET,))
def _force_destroy(r, ctx):
    if ctx.protect and r.get("forceDestroy") is True:
        yield "forceDestroy is true: `pulumi destroy` or a replacement would delete every object"
