"""Buckets, Filestore and the cluster's StorageClasses, all encrypted with platform keys.

``secure_bucket`` is the building block for every bucket, the platform's and tenants'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import component_type, formerly
from components.conventions import labels as platform_labels
from config.data import FilestoreSpec, StorageSpec
from config.naming import Naming
from plan.endpoints import folder_key

DAY = 86400
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
GKE_DEFAULT_CLASSES = ("standard-rwo", "standard")
# Classes GKE creates with its CSI drivers, none with a customer-managed key: tenants may not use
# them (quota 0 and an admission policy). https://cloud.google.com/kubernetes-engine/docs/concepts/persistent-volumes
GKE_CLASSES = ("standard", "standard-rwo", "premium-rwo", "standard-rwx", "premium-rwx", "enterprise-rwx",
               "enterprise-multishare-rwx", "zonal-rwx")
DEFAULT_STORAGE_CLASS = "balanced-cmek"  # the cluster's default: what a claim without a class gets
TENANT_CLASSES = (DEFAULT_STORAGE_CLASS, "ssd-cmek", "hyperdisk-ml")  # ours, CMEK
# What tenants' volumes may not use: GKE's classes, and `filestore`, which creates a whole instance
# (1 TiB minimum on the basic tiers) for every claim.
NOT_FOR_TENANTS = (*GKE_CLASSES, "filestore")
FILESTORE_CSI_TIER = {"BASIC_HDD": "standard", "BASIC_SSD": "premium", "ZONAL": "zonal", "REGIONAL": "regional",
                      "ENTERPRISE": "enterprise"}


@dataclass(frozen=True)
class BucketPolicy:
    """What every bucket of the stack shares: naming, location, retention and lifecycle settings."""

    naming: Naming
    settings: StorageSpec
    protect: bool


# NFSv3 call-backs from a Filestore instance to its clients: rpcbind, statd, NLM lock manager.
# https://cloud.google.com/filestore/docs/configuring-firewall (basic tiers speak NFSv3 only).
NFS_CALLBACKS = (("tcp", ["111", "2046", "4045"]), ("udp", ["111", "2046", "4045"]))
# Buckets read on every pod start: colder classes would charge retrieval on each read.
HOT_BUCKETS = ("models",)


def lifecycle_rules(cfg: StorageSpec, transitions: bool = True,
                    expire_days: int | None = None) -> list[gcp.storage.BucketLifecycleRuleArgs]:
    """Colder classes for old objects (unless read all the time), a cap on noncurrent versions,
    no stale multipart uploads; with ``expire_days``, objects are deleted at that age."""
    s = gcp.storage

    def rule(action: str, storage_class: str | None = None, **condition) -> gcp.storage.BucketLifecycleRuleArgs:
        return s.BucketLifecycleRuleArgs(action=s.BucketLifecycleRuleActionArgs(type=action, storage_class=storage_class),
                                         condition=s.BucketLifecycleRuleConditionArgs(**condition))

    colder = [
        rule("SetStorageClass", "NEARLINE", age=cfg.nearline_after_days, matches_storage_classes=["STANDARD"]),
        rule("SetStorageClass", "COLDLINE", age=cfg.coldline_after_days, matches_storage_classes=["NEARLINE"]),
    ] if transitions else []
    expire = [rule("Delete", age=expire_days)] if expire_days else []
    return [
        *colder,
        *expire,
        rule("Delete", num_newer_versions=cfg.noncurrent_versions, with_state="ARCHIVED"),
        rule("Delete", days_since_noncurrent_time=cfg.noncurrent_days, with_state="ARCHIVED"),
        rule("AbortIncompleteMultipartUpload", age=7),
    ]


def secure_bucket(resource_name: str, policy: BucketPolicy, thing: str, *, key: pulumi.Input[str], component: str,
                  parent: pulumi.Resource, tenant: str | None = None, storage_class: str = "STANDARD",
                  retention_days: int | None = None, lock: bool = False,
                  transitions: bool = True) -> gcp.storage.Bucket:
    """A private, CMEK-encrypted, versioned bucket with soft delete and lifecycle rules.

    With ``retention_days`` it keeps objects that long. Where the stack protects its data it is a WORM
    bucket: GCS refuses versioning together with a retention policy, so such a bucket relies on the
    policy (locked if ``lock``). Where it does not (dev), objects expire at that age instead, and the
    bucket, like every unprotected one, is emptied on destroy (``force_destroy``): a retention policy
    would refuse both, and dev is destroyed and made again.
    """
    cfg = policy.settings
    worm = retention_days is not None and policy.protect
    return gcp.storage.Bucket(
        resource_name,
        name=policy.naming.bucket(thing),
        project=policy.naming.project,
        location=cfg.location,
        storage_class=storage_class,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=not worm),
        encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=key),
        soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=cfg.soft_delete_days * DAY),
        lifecycle_rules=lifecycle_rules(cfg, transitions, None if worm else retention_days),
        retention_policy=gcp.storage.BucketRetentionPolicyArgs(retention_period=retention_days * DAY, is_locked=lock)
        if worm else None,
        force_destroy=not policy.protect,
        labels=policy.naming.labels(component, tenant),
        opts=pulumi.ResourceOptions(parent=parent, protect=policy.protect),
    )


def disk_classes(name: str, disk_key: pulumi.Input[str], protect: bool, provider: pulumi.ProviderResource,
                 parent: pulumi.Resource) -> Callable[..., None]:
    """A cluster's CMEK disk classes (pd-balanced the default, pd-ssd, Hyperdisk ML for read-only-many
    weights) in place of GKE's own, which stop being the default. Returns the maker of further classes.
    The same in every cluster of the stack, each with its own region's disk key (a DR standby's too)."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    reclaim = "Retain" if protect else "Delete"
    # Only one default: GKE's own classes stop being the default.
    for gke_class in GKE_DEFAULT_CLASSES:
        # GKE's addon manager owns the annotation too: force the field conflict it would raise.
        k8s.storage.v1.StorageClassPatch(
            f"{name}-{gke_class}-not-default",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                name=gke_class, annotations={DEFAULT_CLASS: "false", "pulumi.com/patchForce": "true"}),
            opts=opts)

    def storage_class(thing: str, provisioner: str, parameters: dict, default: bool = False,
                      expandable: bool = True) -> None:
        k8s.storage.v1.StorageClass(
            f"{name}-{thing}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=thing, annotations={DEFAULT_CLASS: "true"} if default else None,
                labels=platform_labels("storage")),
            provisioner=provisioner,
            parameters=parameters,
            reclaim_policy=reclaim,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=expandable,
            opts=opts,
        )

    pd = "pd.csi.storage.gke.io"
    storage_class(DEFAULT_STORAGE_CLASS, pd, {"type": "pd-balanced", "disk-encryption-kms-key": disk_key}, True)
    storage_class("ssd-cmek", pd, {"type": "pd-ssd", "disk-encryption-kms-key": disk_key})
    # Hyperdisk ML: one volume attached read-only to many inference pods (model weights).
    storage_class("hyperdisk-ml", pd, {"type": "hyperdisk-ml", "disk-encryption-kms-key": disk_key})
    return storage_class


@dataclass(frozen=True)
class StorageKeys:
    storage: pulumi.Input[str]
    backups: pulumi.Input[str]
    filestore: pulumi.Input[str]
    disks: pulumi.Input[str]


@dataclass(frozen=True)
class StorageArgs:
    buckets: BucketPolicy
    keys: StorageKeys
    filestore: FilestoreSpec | None  # None: no shared NFS cache
    region: str
    zone: str  # zonal Filestore tiers live in the stack's first zone
    vpc_id: pulumi.Input[str]
    vpc_name: pulumi.Input[str]
    psa_range_name: pulumi.Input[str]
    psa_range: str  # CIDR: Filestore's addresses come from it
    node_tag: str
    provider: pulumi.ProviderResource
    model_paths: tuple[str, ...] = ()  # folders of the models bucket the stack serves (models/<repo>/<revision>)
    cache_paths: tuple[str, ...] = ()  # each endpoint's compile cache folder (compile-cache/<namespace>/<endpoint>)


class Storage(pulumi.ComponentResource):
    """Platform buckets, the Filestore model cache, the cluster's StorageClasses, and a managed folder
    per served model in the models bucket: serving identities are granted their model's folder only,
    so no tenant reads another's weights (uniform bucket-level access applies folder IAM).

    Outputs: ``bucket_names`` (purpose -> name), ``filestore_name`` (None without Filestore),
    ``model_folders`` (model path -> managed folder name, known once it exists), ``cache_folders`` (an endpoint's
    compile cache folder, which only that endpoint writes: regenerable, so emptied on destroy), ``default_class``.
    """

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("data", "Storage"), name, None, formerly(opts, "ai-platform:storage:Storage"))
        cfg = args.buckets.settings
        self.bucket_names: dict[str, pulumi.Output[str]] = {
            purpose: secure_bucket(
                f"{name}-{purpose}", args.buckets, purpose, component="storage", parent=self,
                key=args.keys.backups if purpose == "backups" else args.keys.storage,
                storage_class=bucket.storage_class,
                retention_days=cfg.audit_retention_days if purpose == "audit-logs" else None,
                lock=cfg.lock_audit_retention and purpose == "audit-logs",
                transitions=purpose not in HOT_BUCKETS).name
            for purpose, bucket in cfg.buckets.items()
        }
        self.filestore_name: pulumi.Output[str] | None = self._filestore(name, args) if args.filestore else None
        self._storage_classes(name, args)
        self.default_class: str = DEFAULT_STORAGE_CLASS
        self.model_folders: dict[str, pulumi.Output[str]] = {
            path: gcp.storage.ManagedFolder(
                f"{name}-model-{folder_key(path)}", bucket=self.bucket_names["models"], name=f"{path}/",
                force_destroy=not args.buckets.protect, opts=pulumi.ResourceOptions(parent=self)).name
            for path in args.model_paths}
        self.cache_folders: dict[str, pulumi.Output[str]] = {
            path: gcp.storage.ManagedFolder(
                f"{name}-cache-{folder_key(path)}", bucket=self.bucket_names["models"], name=f"{path}/",
                force_destroy=True, opts=pulumi.ResourceOptions(parent=self)).name
            for path in args.cache_paths}
        self.register_outputs({"bucket_names": self.bucket_names, "filestore_name": self.filestore_name,
                               "default_class": self.default_class, "model_folders": self.model_folders,
                               "cache_folders": self.cache_folders})

    def _filestore(self, name: str, args: StorageArgs) -> pulumi.Output[str]:
        """The shared model cache on the VPC, and the firewall rule its NFSv3 call-backs to nodes need."""
        fs, naming, protect = args.filestore, args.buckets.naming, args.buckets.protect
        filestore = gcp.filestore.Instance(
            f"{name}-filestore",
            name=naming.name("model-cache"),
            project=naming.project,
            location=args.region if fs.regional else args.zone,
            tier=fs.tier,
            file_shares=gcp.filestore.InstanceFileSharesArgs(name=fs.share_name, capacity_gb=fs.capacity_gb),
            networks=[gcp.filestore.InstanceNetworkArgs(
                network=args.vpc_name, modes=["MODE_IPV4"], connect_mode="PRIVATE_SERVICE_ACCESS",
                reserved_ip_range=args.psa_range_name)],
            kms_key_name=args.keys.filestore if fs.cmek else None,
            deletion_protection_enabled=protect if fs.regional else None,
            labels=naming.labels("storage"),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        # Without it the VPC's deny-all drops NLM locks and statd call-backs: NFS mounts hang on lock.
        gcp.compute.Firewall(
            f"{name}-nfs-callbacks", name=naming.name("allow-nfs-callbacks"), project=naming.project,
            network=args.vpc_id, direction="INGRESS", priority=1000, source_ranges=[args.psa_range],
            target_tags=[args.node_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol=proto, ports=ports) for proto, ports in NFS_CALLBACKS],
            description="NFSv3 call-backs (rpcbind, statd, lock manager) from Filestore to GKE nodes.",
            opts=pulumi.ResourceOptions(parent=self))
        return filestore.name

    def _storage_classes(self, name: str, args: StorageArgs) -> None:
        """CMEK PD classes (balanced is the default), Hyperdisk ML for read-only-many weights, Filestore."""
        storage_class = disk_classes(name, args.keys.disks, args.buckets.protect, args.provider, self)
        fs = args.filestore
        if fs is not None:
            filestore_params = pulumi.Output.all(args.vpc_name, args.psa_range_name).apply(lambda a: {
                "tier": FILESTORE_CSI_TIER[fs.tier], "network": a[0], "connect-mode": "PRIVATE_SERVICE_ACCESS",
                "reserved-ip-range": a[1]})
            if fs.cmek:
                filestore_params = pulumi.Output.all(filestore_params, args.keys.filestore).apply(
                    lambda a: {**a[0], "instance-encryption-kms-key": a[1]})
            storage_class("filestore", "filestore.csi.storage.gke.io", filestore_params)
