"""Buckets, Filestore and StorageClasses: the security and durability properties, per environment."""

from __future__ import annotations

from review.bundle import manifests

BUCKET = "gcp:storage/bucket:Bucket"
FILESTORE = "gcp:filestore/instance:Instance"


def buckets(run):
    return {r.name.removeprefix("storage-"): r for r in run.by_type(BUCKET)
            if r.parent == "ai-platform:storage:Storage::storage"}


def test_four_platform_buckets_with_global_names(run):
    assert {p: b.inputs["name"] for p, b in buckets(run).items()} == {
        p: f"{run.spec.project}-{p}" for p in ("models", "artifacts", "backups", "audit-logs")}


def test_buckets_private_uniform_cmek_and_kept(run):
    for purpose, bucket in buckets(run).items():
        i = bucket.inputs
        assert i["uniformBucketLevelAccess"] is True
        assert i["publicAccessPrevention"] == "enforced"
        assert i["forceDestroy"] is False
        assert i["location"] == run.spec.region.upper()
        key = "backups" if purpose == "backups" else "storage"
        assert i["encryption"] == {"defaultKmsKeyName": f"encryption-{key}-id"}
        assert i["softDeletePolicy"] == {"retentionDurationSeconds": run.spec.env.data.storage.soft_delete_days * 86400}
        assert i["labels"] == {"env": run.spec.environment, "component": "storage", "managed-by": "pulumi"}


def test_lifecycle_colder_classes_and_capped_versions(run):
    cfg = run.spec.env.data.storage
    rules = buckets(run)["models"].inputs["lifecycleRules"]
    assert {"action": {"type": "SetStorageClass", "storageClass": "NEARLINE"},
            "condition": {"age": cfg.nearline_after_days, "matchesStorageClasses": ["STANDARD"]}} in rules
    assert {"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"},
            "condition": {"age": cfg.coldline_after_days, "matchesStorageClasses": ["NEARLINE"]}} in rules
    assert {"action": {"type": "Delete"},
            "condition": {"numNewerVersions": cfg.noncurrent_versions, "withState": "ARCHIVED"}} in rules


def test_versioning_everywhere_but_the_worm_audit_bucket(run):
    for purpose, bucket in buckets(run).items():
        assert bucket.inputs["versioning"] == {"enabled": purpose != "audit-logs"}


def test_audit_log_retention_locked_as_configured(run):
    audit = buckets(run)["audit-logs"].inputs["retentionPolicy"]
    cfg = run.spec.env.data.storage
    assert audit == {"retentionPeriod": cfg.audit_retention_days * 86400, "isLocked": cfg.lock_audit_retention}


def test_audit_log_retention_locked_only_in_prod(fixture_run):
    locked = {s: buckets(fixture_run(s))["audit-logs"].inputs["retentionPolicy"]["isLocked"]
              for s in ("dev", "staging", "prod")}
    assert locked == {"dev": False, "staging": False, "prod": True}


def test_filestore_tier_cmek_and_private_service_access(run):
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
    assert "kmsKeyName" not in fixture_run("dev").get(FILESTORE, "storage-filestore").inputs  # BASIC_HDD: no CMEK
    prod = fixture_run("prod").get(FILESTORE, "storage-filestore").inputs
    assert prod["kmsKeyName"] == "encryption-filestore-id" and prod["deletionProtectionEnabled"] is True


def test_storage_classes(run):
    classes = {m["metadata"]["name"]: m for m in manifests(run) if m["kind"] == "StorageClass"}
    assert set(classes) == {"balanced-cmek", "ssd-cmek", "hyperdisk-ml", "filestore"}
    defaults = [n for n, m in classes.items()
                if m["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert defaults == ["balanced-cmek"]
    for name, sc in classes.items():
        assert sc["volumeBindingMode"] == "WaitForFirstConsumer" and sc["allowVolumeExpansion"] is True, name
        assert sc["reclaimPolicy"] == ("Delete" if run.spec.environment == "dev" else "Retain")
    for name in ("balanced-cmek", "ssd-cmek", "hyperdisk-ml"):
        assert classes[name]["parameters"]["disk-encryption-kms-key"] == "encryption-disks-id"
    assert classes["hyperdisk-ml"]["parameters"]["type"] == "hyperdisk-ml"
    assert classes["filestore"]["provisioner"] == "filestore.csi.storage.gke.io"
    # GKE's own default classes are patched to stop being the default
    patches = {r.inputs["metadata"]["name"]: r.inputs for r in run.records if r.type.endswith("StorageClassPatch")}
    assert {n: p["metadata"]["annotations"] for n, p in patches.items()} == {
        "standard-rwo": {"storageclass.kubernetes.io/is-default-class": "false"},
        "standard": {"storageclass.kubernetes.io/is-default-class": "false"}}
