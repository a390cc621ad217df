"""Where the platform's Pulumi state and secrets live: a CMEK state bucket and one gcpkms key per stack.

The state holds every generated secret (encrypted with the stack's key), so the bucket is private by
construction (uniform access, public access prevention), versioned (a bad write or a deleted checkpoint is
recoverable) and encrypted with a key of our own; each platform stack gets its own secrets key, so the
identity that previews dev cannot decrypt prod. Everything here is protected: losing it loses the stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

ROTATION = f"{90 * 86400}s"  # 90 days, as the platform's own keys
NONCURRENT_DAYS = 90  # old checkpoint versions kept this long after they are replaced
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class StateBackendArgs:
    project: str
    location: str
    stacks: tuple[str, ...]
    kms_api: pulumi.Resource
    storage_api: pulumi.Resource


class StateBackend(pulumi.ComponentResource):
    """Key ring ``pulumi`` (key ``state`` for the bucket, ``secrets-<stack>`` per stack) and the state bucket."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform-bootstrap:state:StateBackend", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        ring = gcp.kms.KeyRing("pulumi", name="pulumi", project=args.project, location=args.location,
                               opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[args.kms_api])))

        def key(key_name: str) -> gcp.kms.CryptoKey:
            return gcp.kms.CryptoKey(key_name, name=key_name, key_ring=ring.id, purpose="ENCRYPT_DECRYPT",
                                     rotation_period=ROTATION, opts=kept)

        self.key_ring: pulumi.Output[str] = ring.id
        state_key = key("state")
        self.state_key: pulumi.Output[str] = state_key.id
        self.secrets_keys: dict[str, pulumi.Output[str]] = {}
        for stack in args.stacks:
            self.secrets_keys[stack] = key(f"secrets-{stack}").id

        # Cloud Storage encrypts with the key as its project's service agent, which the invoke creates if needed.
        agent = gcp.storage.get_project_service_account_output(
            project=args.project, opts=pulumi.InvokeOutputOptions(depends_on=[args.storage_api]))
        agent_grant = gcp.kms.CryptoKeyIAMMember(
            "state-gcs-agent", crypto_key_id=state_key.id, role=ENCRYPTER_DECRYPTER,
            member=agent.email_address.apply(lambda email: f"serviceAccount:{email}"),
            opts=pulumi.ResourceOptions(parent=self))
        bucket = gcp.storage.Bucket(
            "state", name=f"{args.project}-pulumi-state", project=args.project, location=args.location.upper(),
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=state_key.id),
            lifecycle_rules=[gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                    days_since_noncurrent_time=NONCURRENT_DAYS, with_state="ARCHIVED"))],
            force_destroy=False,
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[agent_grant, args.storage_api])))
        self.bucket: pulumi.Output[str] = bucket.name
        self.backend_url: pulumi.Output[str] = bucket.name.apply(lambda n: f"gs://{n}")
        self.register_outputs({"secrets_keys": self.secrets_keys, "bucket": self.bucket,
                               "backend_url": self.backend_url})


def secrets_provider(key_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The ``--secrets-provider`` of a stack whose key is ``key_id`` (projects/.../cryptoKeys/<name>)."""
    return pulumi.Output.from_input(key_id).apply(lambda k: f"gcpkms://{k}")
