"""Buckets, Filestore and StorageClasses: the security and durability properties, per environment."""

from __future__ import annotations

from tests.helpers import key_name, objects

BUCKET = "gcp:storage/bucket:Bucket"
FILESTORE = "gcp:filestore/instance:Instance"


def buckets(run):
    return {r.name.removeprefix("storage-"): r for r in run.by_type(BUCKET)
            if r.parent == "ai-platform:data:Storage::storage"}


def test_four_platform_buckets_with_global_names(run):
    assert {p: b.inputs["name"] for p, b in buckets(run).items()} == {
        p: f"{run.spec.project}-{p}" for p in ("models", "artifacts", "backups", "audit-logs")}


def test_buckets_private_uniform_cmek_and_kept(run):
    for purpose, bucket in buckets(run).items():
        i = bucket.inputs
        assert i["uniformBucketLevelAccess"] is True
        assert i["publicAccessPrevention"] == "enforced"
        # a protected stack keeps every object on destroy; an unprotected one (dev) must be destroyable, and the
        # model loader fills the models bucket
        assert i["forceDestroy"] is not run.spec.env.protect
        assert i["location"] == run.spec.region.upper()
        key = "backups" if purpose == "backups" else "storage"
        assert i["encryption"] == {"defaultKmsKeyName": key_name(run, key)}
        assert i["softDeletePolicy"] == {"retentionDurationSeconds": run.spec.env.data.storage.soft_delete_days * 86400}
        assert i["labels"] == {"env": run.spec.environment, "component": "storage", "managed-by": "pulumi"}


def test_model_weights_never_age_into_colder_classes(run):
    """Weights are read at every pod start; NEARLINE/COLDLINE would charge retrieval on each read."""
    rules = buckets(run)["models"].inputs["lifecycleRules"]
    assert not [r for r in rules if r["action"]["type"] == "SetStorageClass"]
    assert {"action": {"type": "Delete"}, "condition": {
        "numNewerVersions": run.spec.env.data.storage.noncurrent_versions, "withState": "ARCHIVED"}} in rules


def test_lifecycle_colder_classes_and_capped_versions(run):
    cfg = run.spec.env.data.storage
    rules = buckets(run)["backups"].inputs["lifecycleRules"]
    assert {"action": {"type": "SetStorageClass", "storageClass": "NEARLINE"},
            "condition": {"age": cfg.nearline_after_days, "matchesStorageClasses": ["STANDARD"]}} in rules
    assert {"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"},
            "condition": {"age": cfg.coldline_after_days, "matchesStorageClasses": ["NEARLINE"]}} in rules
    assert {"action": {"type": "Delete"},
            "condition": {"numNewerVersions": cfg.noncurrent_versions, "withState": "ARCHIVED"}} in rules


def test_versioning_everywhere_but_a_worm_audit_bucket(run):
    worm = run.spec.env.protect
    for purpose, bucket in buckets(run).items():
        assert bucket.inputs["versioning"] == {"enabled": not (worm and purpose == "audit-logs")}


def test_audit_logs_kept_for_their_retention(run):
    """WORM (a retention policy, locked as configured) where the stack protects its data; elsewhere objects
    expire at the same age, and no policy stops the bucket from being destroyed."""
    audit = buckets(run)["audit-logs"].inputs
    cfg = run.spec.env.data.storage
    if run.spec.env.protect:
        assert audit["retentionPolicy"] == {"retentionPeriod": cfg.audit_retention_days * 86400,
                                            "isLocked": cfg.lock_audit_retention}
    else:
        assert "retentionPolicy" not in audit
        assert {"action": {"type": "Delete"}, "condition": {"age": cfg.audit_retention_days}} in audit["lifecycleRules"]


def test_audit_log_retention_locked_only_in_prod(fixture_run):
    audit = {s: buckets(fixture_run(s))["audit-logs"].inputs for s in ("dev", "staging", "prod")}
    assert {s: a.get("retentionPolicy", {}).get("isLocked") for s, a in audit.items()} == {
        "dev": None, "staging": False, "prod": True}


def test_only_an_unprotected_stack_can_remove_the_peering(run):
    """Cloud SQL holds the connection for days after its instance is gone: a protected stack never deletes it,
    an unprotected one removes the peering so the VPC can go, and a later up updates a leftover connection."""
    connections = run.by_type("gcp:servicenetworking/connection:Connection")
    assert len(connections) == len(run.spec.regions_in_use)  # each region's VPC (a DR replica's too)
    for connection in connections:
        assert connection.inputs["deletionPolicy"] == ("ABANDON" if run.spec.env.protect else "REMOVE_PEERING")
        assert connection.inputs["updateOnCreationFail"] is True


def test_filestore_only_where_configured_with_its_nfs_callbacks(run):
    cfg = run.spec.env.data.filestore
    filestores = run.by_type(FILESTORE)
    callbacks = [r for r in run.by_type("gcp:compute/firewall:Firewall") if r.name == "storage-nfs-callbacks"]
    classes = {m["metadata"]["name"] for m in objects(run, "StorageClass")}
    assert len(filestores) == len(callbacks) == int(cfg is not None)
    assert ("filestore" in classes) is (cfg is not None)
    if callbacks:
        rule = callbacks[0].inputs
        assert rule["sourceRanges"] == [run.spec.env.network.private_service_access_range]
        assert rule["targetTags"] == [f"aip-{run.spec.environment}-gke-node"]
        assert rule["allows"] == [{"protocol": "tcp", "ports": ["111", "2046", "4045"]},
                                  {"protocol": "udp", "ports": ["111", "2046", "4045"]}]
        assert rule["priority"] < 65534  # above the logged deny-all


def test_filestore_tier_cmek_and_private_service_access(fixture_run):
    run = fixture_run("prod")
    fs = run.get(FILESTORE, "storage-filestore")
    cfg = run.spec.env.data.filestore
    assert fs.inputs["tier"] == cfg.tier
    assert fs.inputs["fileShares"] == {"name": "models", "capacityGb": cfg.capacity_gb}
    assert fs.inputs["networks"] == [{"network": f"aip-{run.spec.environment}-vpc", "modes": ["MODE_IPV4"],
                                      "connectMode": "PRIVATE_SERVICE_ACCESS",
                                      "reservedIpRange": f"aip-{run.spec.environment}-psa"}]
    assert ("kmsKeyName" in fs.inputs) is cfg.cmek
    assert "gcp:servicenetworking/connection:Connection::network-psa" in fs.dependencies


def test_filestore_cmek_where_the_tier_supports_it(fixture_run):
    assert not fixture_run("dev").by_type(FILESTORE)  # dev reads weights from the bucket (GCS FUSE)
    assert "kmsKeyName" not in fixture_run("staging").get(FILESTORE, "storage-filestore").inputs  # BASIC_SSD
    prod = fixture_run("prod").get(FILESTORE, "storage-filestore").inputs
    assert prod["kmsKeyName"] == key_name(fixture_run("prod"), "filestore") and prod["deletionProtectionEnabled"]


def test_storage_classes(run):
    classes = {m["metadata"]["name"]: m for m in objects(run, "StorageClass")}
    assert set(classes) - {"filestore"} == {"balanced-cmek", "ssd-cmek", "hyperdisk-ml"}
    defaults = [n for n, m in classes.items()
                if m["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert defaults == ["balanced-cmek"]
    for name, sc in classes.items():
        assert sc["volumeBindingMode"] == "WaitForFirstConsumer" and sc["allowVolumeExpansion"] is True, name
        assert sc["reclaimPolicy"] == ("Delete" if run.spec.environment == "dev" else "Retain")
    for name in ("balanced-cmek", "ssd-cmek", "hyperdisk-ml"):
        assert classes[name]["parameters"]["disk-encryption-kms-key"] == key_name(run, "disks")
    assert classes["hyperdisk-ml"]["parameters"]["type"] == "hyperdisk-ml"
    if "filestore" in classes:
        assert classes["filestore"]["provisioner"] == "filestore.csi.storage.gke.io"
    # GKE's own default classes are patched to stop being the default
    patches = {r.inputs["metadata"]["name"]: r.inputs for r in run.records if r.type.endswith("StorageClassPatch")}
    # and force the field conflict GKE's addon manager (which owns the annotation too) would raise
    not_default = {"storageclass.kubernetes.io/is-default-class": "false", "pulumi.com/patchForce": "true"}
    assert {n: p["metadata"]["annotations"] for n, p in patches.items()} == {
        "standard-rwo": not_default, "standard": not_default}
