"""Buckets, Filestore and the cluster's StorageClasses, all encrypted with platform keys.

``secure_bucket`` is the building block for every bucket, the platform's and tenants'.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.cluster import Cluster
from components.encryption import Encryption
from components.naming import bucket_name, labels, physical_name
from components.network import Network
from config import PlatformSpec

DAY = 86400
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
GKE_DEFAULT_CLASSES = ("standard-rwo", "standard")
FILESTORE_CSI_TIER = {"BASIC_HDD": "standard", "BASIC_SSD": "premium", "ZONAL": "zonal", "REGIONAL": "regional",
                      "ENTERPRISE": "enterprise"}


def lifecycle_rules(spec: PlatformSpec) -> list[gcp.storage.BucketLifecycleRuleArgs]:
    """Colder classes for old objects, a cap on noncurrent versions, no stale multipart uploads."""
    cfg, s = spec.env.data.storage, gcp.storage

    def rule(action: str, storage_class: str | None = None, **condition) -> gcp.storage.BucketLifecycleRuleArgs:
        return s.BucketLifecycleRuleArgs(action=s.BucketLifecycleRuleActionArgs(type=action, storage_class=storage_class),
                                         condition=s.BucketLifecycleRuleConditionArgs(**condition))

    return [
        rule("SetStorageClass", "NEARLINE", age=cfg.nearline_after_days, matches_storage_classes=["STANDARD"]),
        rule("SetStorageClass", "COLDLINE", age=cfg.coldline_after_days, matches_storage_classes=["NEARLINE"]),
        rule("Delete", num_newer_versions=cfg.noncurrent_versions, with_state="ARCHIVED"),
        rule("Delete", days_since_noncurrent_time=cfg.noncurrent_days, with_state="ARCHIVED"),
        rule("AbortIncompleteMultipartUpload", age=7),
    ]


def secure_bucket(resource_name: str, spec: PlatformSpec, thing: str, *, key: pulumi.Input[str], component: str,
                  parent: pulumi.Resource, tenant: str | None = None, storage_class: str = "STANDARD",
                  retention_days: int | None = None, lock: bool = False,
                  depends_on: list[pulumi.Resource] | None = None) -> gcp.storage.Bucket:
    """A private, CMEK-encrypted, versioned bucket with soft delete and lifecycle rules.

    With ``retention_days`` it becomes a WORM bucket instead: GCS refuses versioning together
    with a retention policy, so such a bucket relies on the policy (locked if ``lock``).
    """
    cfg = spec.env.data.storage
    worm = retention_days is not None
    return gcp.storage.Bucket(
        resource_name,
        name=bucket_name(spec, thing),
        project=spec.project,
        location=cfg.location,
        storage_class=storage_class,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=not worm),
        encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=key),
        soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=cfg.soft_delete_days * DAY),
        lifecycle_rules=lifecycle_rules(spec),
        retention_policy=gcp.storage.BucketRetentionPolicyArgs(retention_period=retention_days * DAY, is_locked=lock)
        if worm else None,
        force_destroy=False,
        labels=labels(spec, component, tenant),
        opts=pulumi.ResourceOptions(parent=parent, protect=spec.env.protect, depends_on=depends_on),
    )


class Storage(pulumi.ComponentResource):
    """Platform buckets, the Filestore model cache and the cluster's StorageClasses."""

    def __init__(self, name: str, spec: PlatformSpec, *, network: Network, keys: Encryption, cluster: Cluster,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:storage:Storage", name, None, opts)
        cfg = spec.env.data
        self.buckets = {
            purpose: secure_bucket(
                f"{name}-{purpose}", spec, purpose, component="storage", parent=self,
                key=keys.key("backups" if purpose == "backups" else "storage").id,
                storage_class=bucket.storage_class, depends_on=keys.grants,
                retention_days=cfg.storage.audit_retention_days if purpose == "audit-logs" else None,
                lock=cfg.storage.lock_audit_retention and purpose == "audit-logs")
            for purpose, bucket in cfg.storage.buckets.items()
        }
        fs = cfg.filestore
        regional = fs.tier in ("REGIONAL", "ENTERPRISE")
        self.filestore = gcp.filestore.Instance(
            f"{name}-filestore",
            name=physical_name(spec, "model-cache"),
            project=spec.project,
            location=spec.region if regional else spec.env.zones[0],
            tier=fs.tier,
            file_shares=gcp.filestore.InstanceFileSharesArgs(name=fs.share_name, capacity_gb=fs.capacity_gb),
            networks=[gcp.filestore.InstanceNetworkArgs(
                network=network.vpc.name, modes=["MODE_IPV4"], connect_mode="PRIVATE_SERVICE_ACCESS",
                reserved_ip_range=network.psa_range.name)],
            kms_key_name=keys.key("filestore").id if fs.cmek else None,
            deletion_protection_enabled=spec.env.protect if regional else None,
            labels=labels(spec, "storage"),
            opts=pulumi.ResourceOptions(parent=self, protect=spec.env.protect,
                                        depends_on=[network.psa_connection, *keys.grants]),
        )
        self.storage_classes = self._storage_classes(name, spec, network, keys, cluster)
        self.register_outputs({"buckets": {p: b.name for p, b in self.buckets.items()},
                               "filestore": self.filestore.name})

    def _storage_classes(self, name: str, spec: PlatformSpec, network: Network, keys: Encryption,
                         cluster: Cluster) -> list[k8s.storage.v1.StorageClass]:
        """CMEK PD classes (balanced is the default), Hyperdisk ML for read-only-many weights, Filestore."""
        opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        disk_key = keys.key("disks").id
        reclaim = "Retain" if spec.env.protect else "Delete"
        # Only one default: GKE's own classes stop being the default.
        for gke_class in GKE_DEFAULT_CLASSES:
            k8s.storage.v1.StorageClassPatch(
                f"{name}-{gke_class}-not-default",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=gke_class, annotations={DEFAULT_CLASS: "false"}),
                opts=opts)

        def storage_class(thing: str, provisioner: str, parameters: dict, default: bool = False,
                          expandable: bool = True) -> k8s.storage.v1.StorageClass:
            return k8s.storage.v1.StorageClass(
                f"{name}-{thing}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=thing, annotations={DEFAULT_CLASS: "true"} if default else None,
                    labels={"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ai-platform"}),
                provisioner=provisioner,
                parameters=parameters,
                reclaim_policy=reclaim,
                volume_binding_mode="WaitForFirstConsumer",
                allow_volume_expansion=expandable,
                opts=opts,
            )

        pd = "pd.csi.storage.gke.io"
        fs = spec.env.data.filestore
        filestore_params = pulumi.Output.all(network.vpc.name, network.psa_range.name).apply(lambda a: {
            "tier": FILESTORE_CSI_TIER[fs.tier], "network": a[0], "connect-mode": "PRIVATE_SERVICE_ACCESS",
            "reserved-ip-range": a[1]})
        if fs.cmek:
            filestore_params = pulumi.Output.all(filestore_params, keys.key("filestore").id).apply(
                lambda a: {**a[0], "instance-encryption-kms-key": a[1]})
        return [
            storage_class("balanced-cmek", pd, {"type": "pd-balanced", "disk-encryption-kms-key": disk_key}, True),
            storage_class("ssd-cmek", pd, {"type": "pd-ssd", "disk-encryption-kms-key": disk_key}),
            # Hyperdisk ML: one volume attached read-only to many inference pods (model weights).
            storage_class("hyperdisk-ml", pd, {"type": "hyperdisk-ml", "disk-encryption-kms-key": disk_key}),
            storage_class("filestore", "filestore.csi.storage.gke.io", filestore_params),
        ]
