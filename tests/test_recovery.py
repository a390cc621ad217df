"""Disaster recovery: each mode builds exactly its resources in the DR region, with that region's keys and
caches; the failover switch replaces nothing stateful; RPO and RTO follow the schedules and figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.entry.platform_services import HOSTS_TTL
from config import loader
from config.google import kube_dns_ip
from plan import recovery
from review.diff import ABSENT, changes
from review.harness import run_stack
from tests import inventory
from tests.conftest import edit_yaml
from tests.helpers import SERVING_CLUSTER, key_name, load_error, objects
from tests.vacuity import examined

DR = "us-east4"
CLUSTER = "gcp:container/cluster:Cluster"
# What each mode adds in the DR region (resource types): pilot light, then what warm standby adds to it.
PILOT_LIGHT = {"gcp:compute/network:Network", "gcp:kms/keyRing:KeyRing", "gcp:artifactregistry/repository:Repository",
               "gcp:sql/databaseInstance:DatabaseInstance", "gcp:storage/bucket:Bucket",
               "gcp:storage/transferJob:TransferJob", "gcp:gkebackup/backupPlan:BackupPlan",
               "gcp:gkebackup/restorePlan:RestorePlan", "gcp:secretmanager/secret:Secret"}
WARM_STANDBY = {CLUSTER, "gcp:container/nodePool:NodePool",
                # its gateway, certificates issued before they are needed
                "gcp:compute/address:Address", "gcp:compute/regionSslPolicy:RegionSslPolicy",
                "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy",
                "gcp:certificatemanager/certificate:Certificate",
                "gcp:certificatemanager/dnsAuthorization:DnsAuthorization"}


def in_dr(record) -> bool:
    """Built for the DR region: its components and their children carry the region in their names."""
    return f"-{DR}" in record.name or f"-{DR}" in record.parent


def dr_types(run) -> set[str]:
    return {r.type for r in run.records if r.custom and r.type.startswith("gcp:") and in_dr(r)}


@pytest.mark.parametrize(("stack", "mode"), [("dev", "none"), ("staging", "pilot_light"), ("prod", "warm_standby")])
def test_each_mode_builds_exactly_its_resources(fixture_run, stack, mode):
    run = fixture_run(stack)
    assert run.spec.env.dr.mode == mode
    types = dr_types(run)
    if mode == "none":
        assert types == set()
        return
    assert PILOT_LIGHT <= types
    assert (WARM_STANDBY <= types) is (mode == "warm_standby")
    assert not types & WARM_STANDBY if mode == "pilot_light" else True
    assert len(run.by_type(CLUSTER)) == (2 if mode == "warm_standby" else 1)


def test_every_dr_resource_uses_the_dr_regions_key_and_caches(run):
    if not run.spec.env.dr.active:
        assert len(run.spec.regions_in_use) == 1
        return
    region = run.spec.env.dr.secondary_region
    ring = key_name(run, "x", region).rsplit("/cryptoKeys/", 1)[0]
    keyed = 0
    for record in run.records:
        if not (record.custom and in_dr(record)):
            continue
        text = json.dumps(record.inputs)
        for key in ("kmsKeyName", "encryptionKeyName", "defaultKmsKeyName", "bootDiskKmsKey", "keyName",
                    "gcpKmsEncryptionKey", "disk-encryption-kms-key"):
            if f'"{key}": "' in text:
                value = text.split(f'"{key}": "', 1)[1].split('"', 1)[0]
                assert value.startswith(ring + "/"), (record.key, key, value)
                keyed += 1
    assert keyed >= 5
    standby = [r for r in run.records if r.provider == "pulumi:providers:kubernetes::cluster-us-east4-k8s"]
    for record in standby:
        for image in _images(record.inputs):
            assert image.startswith(f"{region}-docker.pkg.dev/"), (record.key, image)


def _images(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "image" and isinstance(v, str)] + [
            i for v in node.values() for i in _images(v)]
    if isinstance(node, list):
        return [i for v in node for i in _images(v)]
    return []


def test_the_standby_carries_the_primarys_guardrails_and_isolation(fixture_run):
    run = fixture_run("prod")
    standby = "pulumi:providers:kubernetes::cluster-us-east4-k8s"
    guarded = {"guardrails", "network-policy", "storage"}  # what the tenancy layer applies cluster-wide
    for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterRole", "PriorityClass",
                 "CiliumClusterwideNetworkPolicy", "StorageClass"):
        primary = {o["metadata"]["name"]: o for o in objects(run, kind)
                   if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") in guarded
                   and o["metadata"]["name"] != "filestore"}  # the platform's model cache: not a tenant class
        assert primary, kind
        there = {o["metadata"]["name"]: o for o in objects(run, kind, cluster=standby)
                 if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") in guarded}
        assert set(there) == set(primary), kind
        for name, obj in primary.items():
            if kind == "StorageClass":  # the same classes, with the DR region's disk key
                params = dict(obj.get("parameters", {}))
                params.pop("disk-encryption-kms-key", None)
                theirs = dict(there[name].get("parameters", {}))
                assert theirs.pop("disk-encryption-kms-key", key_name(run, "disks", DR)) == key_name(run, "disks", DR)
                assert theirs == params, name
            else:
                assert there[name].get("spec") == obj.get("spec") and there[name].get("rules") == obj.get("rules"), name


def test_the_backup_plan_is_stored_in_the_dr_region_and_restores_are_ready(fixture_run):
    run = fixture_run("prod")
    plans = {p.name: p for p in run.by_type("gcp:gkebackup/backupPlan:BackupPlan")}
    plan, waiting = plans.pop(f"backup-{DR}-plan"), plans.pop(f"backup-{DR}-standby-plan")
    assert not plans
    dr = run.spec.env.dr
    assert plan.inputs["location"] == DR and plan.inputs["cluster"].endswith("/clusters/aip-prod-gke")
    config = plan.inputs["backupConfig"]
    assert config["selectedNamespaces"]["namespaces"] == sorted(t.name for t in run.spec.tenants)
    assert config["includeSecrets"] and config["includeVolumeData"]
    assert config["encryptionKey"]["gcpKmsEncryptionKey"] == key_name(run, "backups", DR)
    assert plan.inputs["backupSchedule"] == {"rpoConfig": {"targetRpoMinutes": dr.backup.rpo_minutes}}
    assert plan.inputs["retentionPolicy"] == {"backupRetainDays": dr.backup.retain_days,
                                              "backupDeleteLockDays": dr.backup.delete_lock_days}
    restores = {r.name: r.inputs for r in run.by_type("gcp:gkebackup/restorePlan:RestorePlan")}
    for tenant in examined(run.spec.tenants, "tenants"):
        undelete = restores[f"backup-{DR}-undelete-{tenant.name}"]
        assert undelete["location"] == run.spec.region and undelete["cluster"].endswith("/clusters/aip-prod-gke")
        assert undelete["restoreConfig"]["selectedNamespaces"] == {"namespaces": [tenant.name]}
    standby = restores[f"backup-{DR}-standby"]
    assert standby["location"] == DR and standby["cluster"].endswith("/clusters/aip-prod-us-east4-gke")
    assert standby["restoreConfig"]["namespacedResourceRestoreMode"] == "MERGE_SKIP_ON_CONFLICT"
    assert standby["restoreConfig"]["volumeDataRestorePolicy"] == "RESTORE_VOLUME_DATA_FROM_BACKUP"
    for restore in restores.values():  # the primary's webhooks, CRDs and ClusterRoles never come back from a backup
        assert restore["restoreConfig"]["clusterResourceRestoreScope"] == {"noGroupKinds": True}
    # the standby's own plan waits, paused, with the same schedule; its failback plan restores into the primary
    assert waiting.inputs["cluster"].endswith("/clusters/aip-prod-us-east4-gke") and waiting.inputs["location"] == DR
    assert waiting.inputs["backupSchedule"] == {**plan.inputs["backupSchedule"], "paused": True}
    assert waiting.inputs["backupConfig"] == config
    failback = restores[f"backup-{DR}-failback"]
    assert failback["location"] == run.spec.region and failback["cluster"].endswith("/clusters/aip-prod-gke")
    assert failback["restoreConfig"] == standby["restoreConfig"]


def test_while_the_standby_serves_it_is_backed_up(failed_over):
    plans = {p.name: p.inputs for p in failed_over.by_type("gcp:gkebackup/backupPlan:BackupPlan")}
    assert plans[f"backup-{DR}-standby-plan"]["backupSchedule"]["paused"] is False
    assert "paused" not in plans[f"backup-{DR}-plan"]["backupSchedule"]  # the primary's keeps going (failback)


def test_the_replica_follows_the_primary(fixture_run):
    run = fixture_run("prod")
    primary = run.get("gcp:sql/databaseInstance:DatabaseInstance", "database-pg").inputs
    replica = run.get("gcp:sql/databaseInstance:DatabaseInstance", f"database-{DR}-pg").inputs
    assert replica["instanceType"] == "READ_REPLICA_INSTANCE" and replica["masterInstanceName"] == primary["name"]
    assert replica["region"] == DR and replica["databaseVersion"] == primary["databaseVersion"]
    assert replica["encryptionKeyName"] == key_name(run, "database", DR)
    assert replica["settings"]["tier"] == primary["settings"]["tier"]
    assert replica["settings"]["databaseFlags"] == primary["settings"]["databaseFlags"]
    assert replica["settings"]["ipConfiguration"]["ipv4Enabled"] is False
    assert primary["settings"]["backupConfiguration"]["location"] == DR  # its backups outlive the region


def test_bucket_twins_replicate_what_cannot_be_recreated(fixture_run):
    run = fixture_run("staging")
    jobs = {r.inputs["replicationSpec"]["gcsDataSource"]["bucketName"]: r.inputs["replicationSpec"]
            for r in run.by_type("gcp:storage/transferJob:TransferJob")}
    project = run.spec.project
    sources = {f"{project}-{b}" for b in recovery.REPLICATED_BUCKETS} | {f"{project}-t-{t.name}" for t in run.spec.tenants}
    assert set(jobs) == sources
    for source, spec in jobs.items():
        sink = spec["gcsDataSink"]["bucketName"]
        assert sink == source.replace(project, f"{project}-{DR}", 1)
        (twin,) = [b.inputs for b in run.by_type("gcp:storage/bucket:Bucket") if b.inputs["name"] == sink]
        assert twin["location"] == DR.upper()
        assert twin["encryption"]["defaultKmsKeyName"] == key_name(run, "storage", DR)


def test_twins_grant_what_their_sources_grant(fixture_run):
    """After a failover the DR region's workloads read the twins: every identity has on a twin (bucket or managed
    folder) exactly what it has on its source, so nobody reads another tenant's weights there either."""
    run = fixture_run("prod")
    project, twin_of = run.spec.project, {}
    for job in run.by_type("gcp:storage/transferJob:TransferJob"):
        spec = job.inputs["replicationSpec"]
        twin_of[spec["gcsDataSource"]["bucketName"]] = spec["gcsDataSink"]["bucketName"]
    agent = f"serviceAccount:project-{run.spec.project}@storage-transfer-service.iam.gserviceaccount.com"

    def grants(bucket: str) -> set[tuple]:
        on_bucket = {(None, r.inputs["role"], r.inputs["member"]) for r in run.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")
                     if r.inputs["bucket"] == bucket}
        on_folders = {(r.inputs["managedFolder"], r.inputs["role"], r.inputs["member"])
                      for r in run.by_type("gcp:storage/managedFolderIamMember:ManagedFolderIamMember")
                      if r.inputs["bucket"] == bucket}
        return {g for g in on_bucket | on_folders if "storage-transfer" not in g[2] and g[2] != agent}

    for source in examined(sorted(s for s in twin_of if s.endswith("-models") or "-t-" in s), "replicated buckets"):
        assert grants(source), source  # the fixture's sources are used by someone
        assert grants(twin_of[source]) == grants(source), source
        twin_folders = {r.inputs["name"] for r in run.by_type("gcp:storage/managedFolder:ManagedFolder")
                        if r.inputs["bucket"] == twin_of[source]}
        assert twin_folders == {f for f, _, _ in grants(source) if f}, source
    assert project


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_secret_twins_are_read_by_whoever_reads_their_secret(fixture_run, stack):
    """A workload re-pointed at a secret's twin after a failover may read it exactly if it may read the secret."""
    run = fixture_run(stack)
    env, region = run.spec.environment, run.spec.env.dr.secondary_region
    readers: dict[str, set[tuple[str, str]]] = {}
    for grant in run.by_type("gcp:secretmanager/secretIamMember:SecretIamMember"):
        readers.setdefault(grant.inputs["secretId"], set()).add((grant.inputs["role"], grant.inputs["member"]))
    secrets = {r.inputs["secretId"] for r in run.by_type("gcp:secretmanager/secret:Secret")}
    twin_prefix = f"aip-{env}-{region}-"
    primaries = sorted(s for s in secrets if not s.startswith(twin_prefix) and s in readers)
    for secret in examined(primaries, "secrets with readers"):
        twin = secret.replace(f"aip-{env}-", twin_prefix, 1)
        assert twin in secrets, secret
        assert readers.get(twin) == readers[secret], secret
    assert not {s for s in readers if s.startswith(twin_prefix)} - {p.replace(f"aip-{env}-", twin_prefix, 1)
                                                                    for p in primaries}


# --- the switch ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def failed_over(tmp_path_factory):
    from tests.conftest import fixture_tree

    root = fixture_tree(tmp_path_factory.mktemp("failover"))
    edit_yaml(root / "config/environments/prod.yaml", lambda d: d["dr"].update(serving_region="secondary"))
    return run_stack("prod", root)


def test_failing_over_replaces_nothing_stateful(fixture_run, failed_over):
    before, after = inventory.inventory(fixture_run("prod")), inventory.inventory(failed_over)
    assert inventory.replaced_stateful(before, after) == []


def test_failing_over_promotes_the_replica_and_raises_the_standby(fixture_run, failed_over):
    replica = failed_over.get("gcp:sql/databaseInstance:DatabaseInstance", f"database-{DR}-pg").inputs
    assert replica["instanceType"] == "CLOUD_SQL_INSTANCE" and "masterInstanceName" not in replica
    assert replica["settings"]["backupConfiguration"]["enabled"] is True
    assert replica["settings"]["availabilityType"] == failed_over.spec.env.data.database.availability
    pools = {p.name: p.inputs for p in failed_over.by_type("gcp:container/nodePool:NodePool")}
    for pool in examined(failed_over.spec.env.gpu_pools, "GPU pools"):
        standby = pools[f"gpu-{DR}-{pool.name}"]
        assert standby["autoscaling"]["totalMinNodeCount"] == pool.min_nodes
        resting = fixture_run("prod").get("gcp:container/nodePool:NodePool", f"gpu-{DR}-{pool.name}").inputs
        assert resting["autoscaling"]["totalMinNodeCount"] == 0


PRIMARY_K8S, STANDBY_K8S = SERVING_CLUSTER, f"pulumi:providers:kubernetes::cluster-{DR}-k8s"
# Global services: reachable whichever region is lost.
GLOBAL = {"gcp:dns/recordSet:RecordSet", "gcp:monitoring/alertPolicy:AlertPolicy", "gcp:monitoring/dashboard:Dashboard",
          "gcp:logging/projectSink:ProjectSink"}


def by_key(run) -> dict:
    return {(r.type, r.name): r for r in run.records}


def test_in_an_outage_the_switch_needs_nothing_from_the_lost_region(fixture_run, failed_over):
    """The runbook applies the review's failover targets without refreshing: each must be in the DR region, in a
    global service, or a Kubernetes object leaving the lost cluster for the standby (its delete there is dropped:
    deleteUnreachable). It creates only the restore Job in the standby; failing back changes the same resources
    and creates only the replica-lag policy again."""
    from review.recovery import failover_targets

    before = fixture_run("prod")
    old, new = by_key(before), by_key(failed_over)
    targets, back = failover_targets(before, failed_over), failover_targets(failed_over, before)

    def named(urn: str) -> tuple[str, str]:
        return urn.split("::")[2].split("$")[-1], urn.split("::")[-1]

    created = {named(t) for t in targets} - old.keys()
    assert {k for k in created if k[0].startswith("kubernetes:")} == {("kubernetes:batch/v1:Job", f"restore-{DR}-job")}
    assert all(new[k].provider == STANDBY_K8S for k in created)
    assert {named(t) for t in back} - new.keys() == {("gcp:monitoring/alertPolicy:AlertPolicy",
                                                       "cloud-alerting-database-replica-lag")}
    assert set(targets) - {t for t in targets if named(t) in created} == \
        set(back) - {t for t in back if named(t) not in new}
    moved = 0
    for target in targets:
        kind, name = target.split("::")[2].split("$"), target.split("::")[-1]
        if (kind[-1], name) in created:
            continue
        was, now = old[(kind[-1], name)], new[(kind[-1], name)]
        if was.provider != now.provider:
            assert (was.provider, now.provider) == (PRIMARY_K8S, STANDBY_K8S), target
            assert not (was.protect or was.retain_on_delete), f"{target}: protected, so the move cannot replace it"
            moved += 1
        else:
            assert in_dr(was) or was.type in GLOBAL, target
        assert kind[:-1] == [r.type for r in before.ancestors(was)] and target.startswith("urn:pulumi:prod::ai-platform::")
    assert moved and {t for t, _ in old.keys() - new.keys()} <= {"gcp:monitoring/alertPolicy:AlertPolicy"}
    providers = {r.name: r.inputs for r in before.by_type("pulumi:providers:kubernetes")}
    assert providers["cluster-k8s"]["deleteUnreachable"] == "true" == providers[f"cluster-{DR}-k8s"]["deleteUnreachable"]
    assert providers[f"cluster-{DR}-k8s"]["enablePatchForce"] == "true"  # its objects arrive by restore first
    assert providers[f"cluster-{DR}-k8s"]["upsertExistingObjects"] == "true"  # and would be AlreadyExists otherwise


def test_the_switch_restores_the_tenants_before_anything_moves(fixture_run, failed_over):
    """The switch's restore Job restores the newest backup into the standby through the standby's restore plan,
    as an identity that may restore through that plan only; every object the switch moves waits for it."""
    from tests.graph import Graph
    from tests.test_manifests import validate

    (job,) = [r for r in failed_over.by_type("kubernetes:batch/v1:Job") if r.name == f"restore-{DR}-job"]
    assert job.provider == STANDBY_K8S
    validate(job.inputs)
    env = {e["name"]: e["value"] for e in job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    restores = {r.name: r.inputs for r in failed_over.by_type("gcp:gkebackup/restorePlan:RestorePlan")}
    plans = {r.name: r.inputs for r in failed_over.by_type("gcp:gkebackup/backupPlan:BackupPlan")}
    assert (env["LOCATION"], env["RESTORE_PLAN"], env["BACKUP_PLAN"]) == (
        DR, restores[f"backup-{DR}-standby"]["name"], plans[f"backup-{DR}-plan"]["name"])
    excluded = yaml.safe_load(env["FILTER"])["exclusionFilters"]
    assert {"groupKind": {"resourceGroup": "", "resourceKind": "Secret"}, "labels": {"owner": "helm"}} in excluded
    # a token the primary's API server signed is useless in the standby: every such Secret is left out
    for token in examined([r for r in fixture_run("prod").by_type("kubernetes:core/v1:Secret")
                           if r.inputs.get("type") == "kubernetes.io/service-account-token"], "token Secrets"):
        assert any(f["groupKind"]["resourceKind"] == "Secret" and f["labels"].items()
                   <= token.inputs["metadata"]["labels"].items() for f in excluded), token.name
    assert env["FILTER"] in (Path(__file__).parents[1] / "docs" / "dr.md").read_text(encoding="utf-8")  # by hand
    (grant,) = failed_over.by_type("gcp:gkebackup/restorePlanIamMember:RestorePlanIamMember")
    account = job.inputs["spec"]["template"]["spec"]["serviceAccountName"]
    assert grant.inputs["member"].endswith(f"/subject/ns/{job.inputs['metadata']['namespace']}/sa/{account}")
    assert grant.inputs["name"] == restores[f"backup-{DR}-standby"]["name"]
    assert grant.inputs["role"] == "roles/gkebackup.delegatedRestoreAdmin"
    assert not [r for r in fixture_run("prod").by_type("kubernetes:batch/v1:Job") if r.name == job.name]  # at rest
    graph, old = Graph(failed_over.records), by_key(fixture_run("prod"))
    moved = [r for r in failed_over.records if r.provider == STANDBY_K8S and (r.type, r.name) in old
             and old[(r.type, r.name)].provider == PRIMARY_K8S]
    for record in examined(moved, "moved objects"):
        assert job.key in graph.waits_for(record.key), record.name


def test_each_cluster_runs_its_own_keda_and_trace_collector(fixture_run, failed_over):
    """KEDA and the trace collector do not move: the standby runs its own at rest, so the restore finds KEDA's CRD
    and webhook for the tenants' ScaledObjects, and no Helm release of theirs must leave a lost cluster. The
    standby's grant nothing (one identity pool: the primary's grants name the same principals), and no binding is
    made twice anywhere (removing one would remove both)."""
    from tests.graph import Graph

    resting = fixture_run("prod")
    for run in (resting, failed_over):
        releases = {(r.provider, r.inputs["name"]) for r in run.by_type("kubernetes:helm.sh/v3:Release")}
        for cluster in (PRIMARY_K8S, STANDBY_K8S):
            assert {(cluster, "keda"), (cluster, "otel-collector")} <= releases, cluster
        kinds = {(r.provider, r.inputs["kind"]) for r in run.by_type("kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication")}
        assert kinds == {(PRIMARY_K8S, "ClusterTriggerAuthentication"), (STANDBY_K8S, "ClusterTriggerAuthentication")}
        bindings = [(r.type, json.dumps(r.inputs, sort_keys=True))
                    for r in run.records if r.type.endswith(("IAMMember", "IamMember"))]
        assert len(bindings) == len(set(bindings)), [b for b in bindings if bindings.count(b) > 1][:1]
    old, new = by_key(resting), by_key(failed_over)
    services = [k for k, r in old.items() if r.parent.split("::")[0] in {
        "ai-platform:workloads:Autoscaling", "ai-platform:operations:TraceCollector"}]
    assert all(old[k].provider == new[k].provider and old[k].inputs == new[k].inputs for k in examined(services, "services"))
    graph = Graph(failed_over.records)
    standby_keda = next(r.key for r in failed_over.by_type("kubernetes:helm.sh/v3:Release")
                        if r.provider == STANDBY_K8S and r.inputs["name"] == "keda")
    (job,) = [r for r in failed_over.by_type("kubernetes:batch/v1:Job") if r.name == f"restore-{DR}-job"]
    assert standby_keda in graph.waits_for(job.key)
    for scaled in examined(failed_over.by_type("kubernetes:keda.sh/v1alpha1:ScaledObject"), "ScaledObjects"):
        assert scaled.provider == STANDBY_K8S and standby_keda in graph.waits_for(scaled.key), scaled.name


def _export(run) -> dict:
    """The state `pulumi stack export` would write for ``run`` (what review/drop_state.py reads)."""
    from review.recovery import urn

    urns = {r.key: urn(run, r) for r in run.records}
    return {"version": 3, "deployment": {"manifest": {}, "resources": [
        {"urn": urns[r.key], "custom": r.custom, "type": r.type, "parent": urns.get(r.parent, ""),
         "dependencies": [urns[d] for d in r.dependencies if d in urns],
         "propertyDependencies": {"spec": [urns[d] for d in r.dependencies if d in urns]}} for r in run.records]}}


def test_an_outage_drops_only_the_moving_releases_from_the_state(fixture_run, failed_over, capsys, tmp_path):
    """In an outage the runbook drops the Helm releases that leave the lost cluster from the state first (their
    delete cannot be skipped by deleteUnreachable): exactly those among the targets, each way; nothing else
    leaves the state, and no reference to them is left for `pulumi stack import` to refuse."""
    from review import drop_state
    from review.recovery import failover_targets, release_state_deletes

    before = fixture_run("prod")
    for run, other in ((before, failed_over), (failed_over, before)):
        deletes, targets = release_state_deletes(run, other), set(failover_targets(run, other))
        assert examined(deletes, "releases to drop") and set(deletes) <= targets
        old, new = by_key(run), by_key(other)
        assert {t for t in targets if "kubernetes:helm.sh/v3:Release::" in t
                and old[("kubernetes:helm.sh/v3:Release", t.split("::")[-1])].provider
                != new[("kubernetes:helm.sh/v3:Release", t.split("::")[-1])].provider} == set(deletes)
        state = _export(run)
        edited = drop_state.drop(state, deletes)["deployment"]["resources"]
        assert [r["urn"] for r in edited] == [r["urn"] for r in state["deployment"]["resources"] if r["urn"] not in deletes]
        for resource in edited:
            assert not set(deletes) & {*resource["dependencies"], *resource["propertyDependencies"]["spec"]}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_export(before)))
    assert drop_state.main(["--urn", "urn:pulumi:prod::ai-platform::kubernetes:helm.sh/v3:Release::gone", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "::gone is not in the state" in err
    provider = next(r["urn"] for r in _export(before)["deployment"]["resources"] if r["type"] == "pulumi:providers:kubernetes")
    state = _export(before)
    state["deployment"]["resources"][-1]["provider"] = f"{provider}::some-id"
    path.write_text(json.dumps(state))
    assert drop_state.main(["--urn", provider, str(path)]) == 2
    assert "is the provider of other resources" in capsys.readouterr().err


def test_the_runbooks_files_are_the_same_whichever_way_the_config_points(fixture_run, failed_over):
    """The operator runs the review before or after setting `dr.serving_region`: the failover files are the
    switch to the DR region either way (with the restore Job among the targets: a targeted apply creates nothing
    else), the failback files the switch back. The fence deletes everything the switch moved off a cluster."""
    from review.recovery import fence, switch_files

    before = fixture_run("prod")
    files = switch_files(before, failed_over)
    assert files == switch_files(failed_over, before)
    assert f"FailoverRestore$kubernetes:batch/v1:Job::restore-{DR}-job" in "\n".join(files["failover-targets.txt"])
    assert "restore-" not in "\n".join(files["failback-targets.txt"])
    old, new = by_key(before), by_key(failed_over)
    lines = set(fence(before, failed_over))
    namespaces = {line.split()[3] for line in lines if line.startswith("kubectl delete namespace ")}
    for key in examined([k for k, r in old.items() if r.provider == PRIMARY_K8S and new[k].provider == STANDBY_K8S
                         and (r.inputs.get("metadata") or {}).get("name")], "moved objects"):
        meta = old[key].inputs["metadata"]
        assert meta.get("namespace") in namespaces or any(
            line.split()[3] == meta["name"] and line.split()[2].split(".")[0] == old[key].inputs["kind"].lower()
            for line in lines), key


def test_the_switch_moves_the_kubernetes_side_and_leaves_the_platforms_own(fixture_run, failed_over):
    """Tenants' namespaces, workloads, routes and in-cluster monitoring move to the standby; what the primary
    cluster's platform layer applies (guardrails, classes, baselines, its gateway) stays, unchanged."""
    before, old, new = fixture_run("prod"), by_key(fixture_run("prod")), by_key(failed_over)
    stays = [k for k, r in old.items() if r.provider == PRIMARY_K8S and new[k].provider == PRIMARY_K8S]
    assert all(old[k].inputs == new[k].inputs for k in stays)
    namespaces = {o["metadata"]["name"] for o in objects(failed_over, "Namespace", cluster=STANDBY_K8S)}
    assert {t.name for t in examined(before.spec.tenants, "tenants")} | {before.spec.env.inference.namespace} <= namespaces
    assert not {t.name for t in before.spec.tenants} & {o["metadata"]["name"] for o in objects(failed_over, "Namespace")}


def test_what_moves_is_what_ran_in_the_primary_with_the_dr_regions_references(fixture_run, failed_over):
    """Each object that moves is the object the primary ran, valid against its schema, differing only where it names
    a regional thing (the DR region's caches, ranges, cluster, copies, and how pods check a copied weights folder):
    the tenants keep their Pod Security, quotas, RBAC and network policies (tests/test_isolation.py checks those on the primary's)."""
    from tests.test_manifests import validate

    old, new = by_key(fixture_run("prod")), by_key(failed_over)
    dr = failed_over.spec.env.dr.network
    ranges = {dr.proxy_only_range, dr.private_service_access_range, dr.services_range}
    dns = f"{kube_dns_ip(dr.services_range)}/32"
    moved = [k for k in new if old.get(k) and old[k].provider == PRIMARY_K8S and new[k].provider == STANDBY_K8S]
    for key in examined(moved, "moved objects"):
        was, now = old[key].inputs, new[key].inputs
        if now.get("kind") and now.get("apiVersion"):
            validate(now)
        for path, before, after in changes({"inputs": was}, {"inputs": now}):
            assert ABSENT not in (before, after), (key, path)
            copied_weights = "complete('/models')" in str(after)  # the twin's check (the test below)
            assert DR in str(after) or after in ranges | {dns} or copied_weights, (key, path, after)


def test_after_the_switch_the_standby_reaches_only_the_dr_region(failed_over):
    """What moved names the DR region's caches, ranges, gateway, database, bucket twins and secret twins: nothing
    in the lost region (the names of the primary region's buckets, secrets, database, cluster and gateway parts,
    its address ranges)."""
    spec = failed_over.spec
    names = {"gcp:storage/bucket:Bucket": "name", "gcp:secretmanager/secret:Secret": "secretId",
             "gcp:sql/databaseInstance:DatabaseInstance": "name", CLUSTER: "name",
             "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": "name", "gcp:compute/address:Address": "name",
             "gcp:certificatemanager/certificate:Certificate": "name",
             "gcp:compute/regionSslPolicy:RegionSslPolicy": "name"}
    primary = {r.inputs[field] for kind, field in names.items() for r in failed_over.by_type(kind) if not in_dr(r)}
    net = spec.env.network
    primary |= {spec.region, net.proxy_only_range, net.private_service_access_range, net.services_range}
    moved = [r for r in failed_over.records if r.provider == STANDBY_K8S and r.custom
             and not r.name.startswith((f"guardrails-{DR}", f"standby-{DR}", f"entry-{DR}"))]
    assert examined(moved, "objects moved to the standby")
    for record in moved:
        text = json.dumps(record.inputs)
        assert not [n for n in primary if f'"{n}"' in text or f"{n}/" in text or f"{n}:" in text
                    or f"/{n}" in text or f'={n}"' in text], record.name


def test_hostnames_follow_the_serving_gateway(fixture_run, failed_over):
    """A warm standby has its own gateway, with certificates for every site in the DR region; the hostnames
    point at the primary's gateway until the switch, then at the standby's."""
    from review.harness import _mock_id  # the address the mocks give, as Google would allocate one

    before = fixture_run("prod")
    for run, serving in ((before, "entry"), (failed_over, f"entry-{DR}")):
        addresses = {r.name: _mock_id(r.type, r.inputs, r.name)[1]["address"]
                     for r in run.by_type("gcp:compute/address:Address")}
        hosts = [r for r in run.by_type("gcp:dns/recordSet:RecordSet") if r.name.endswith("-hosts")]
        sites = [t.name for t in run.spec.tenants if t.sites]
        assert {h.name for h in examined(hosts, "hostname records")} == {f"entry-{s}-hosts" for s in sites}
        for record in hosts:
            assert record.inputs["rrdatas"] == [addresses[f"{serving}-address"]], record.name
        certificates = {r.name for r in run.by_type("gcp:certificatemanager/certificate:Certificate")
                        if r.inputs["location"] == DR}
        assert certificates == {f"entry-{DR}-{s}-certificate" for s in sites}
        challenges = {r.name for r in run.by_type("gcp:dns/recordSet:RecordSet") if r.name.endswith("-acme-challenge")}
        assert challenges == {f"{g}-{s}-acme-challenge" for g in ("entry", f"entry-{DR}") for s in sites}


# --- RPO and RTO ---------------------------------------------------------------------------------------

def test_only_re_pointing_a_replica_replaces_it():
    from review.replacements import replaced_by

    instance = "gcp:sql/databaseInstance:DatabaseInstance"
    assert replaced_by(instance, {"masterInstanceName": "a"}, {"masterInstanceName": "b"}) == ["masterInstanceName"]
    assert replaced_by(instance, {"masterInstanceName": "a"}, {}) == []  # promoted


def test_a_replicated_weights_folder_is_complete_only_when_every_file_arrived(fixture_run, failed_over, tmp_path):
    """The twin is filled object by object, so the loader's small marker can land before the large shards. The
    loader lists every file it copied in the marker; after the switch, serving pods (and the loaders, which
    would otherwise skip a folder their marker names) wait for every listed file at its size. At rest the pods'
    check is the primary's, unchanged. Runs the loader's real script against a stand-in download."""
    import os
    import shutil
    import subprocess
    import sys

    from components.workloads.model_weights import SCRIPT
    from components.workloads.replica_start import COMPLETE, READY_MARKER

    weights, scratch, fake = tmp_path / "weights", tmp_path / "scratch", tmp_path / "fake"
    weights.mkdir()
    (fake / "huggingface_hub").mkdir(parents=True)
    (fake / "huggingface_hub" / "__init__.py").write_text(
        "import os\n"
        "def snapshot_download(repo_id, revision, local_dir, token, allow_patterns):\n"
        "    os.makedirs(os.path.join(local_dir, 'sub'), exist_ok=True)\n"
        "    for name, size in (('config.json', 10), ('model-00001.safetensors', 5000), ('sub/tokenizer.model', 70)):\n"
        "        open(os.path.join(local_dir, name), 'wb').write(b'x' * size)\n"
        "    return local_dir\n")
    script = SCRIPT.replace("/weights", str(weights)).replace("/scratch/model", str(scratch))
    env = {**os.environ, "PYTHONPATH": str(fake), "READY_MARKER": READY_MARKER, "TOKEN_DIR": str(tmp_path / "none")}
    subprocess.run([sys.executable, "-c", script, "org/model", "abc123", "*.safetensors"], env=env, check=True)
    namespace: dict = {"os": os}
    exec(COMPLETE, namespace)  # noqa: S102 (the pods' own check)
    complete = namespace["complete"]
    listed = (weights / READY_MARKER).read_text().split("\n")
    assert listed[0] == "abc123" and "5000 model-00001.safetensors" in listed and "70 sub/tokenizer.model" in listed
    assert complete(str(weights), "abc123") and not complete(str(weights), "other-revision")
    twin = tmp_path / "twin"
    shutil.copytree(weights, twin)
    (twin / "model-00001.safetensors").write_bytes(b"x" * 10)  # still arriving
    assert not complete(str(twin))
    (twin / "model-00001.safetensors").unlink()
    assert not complete(str(twin))
    (twin / READY_MARKER).write_text("abc123\n")  # an older loader's marker, or an operator's upload
    assert complete(str(twin))
    subprocess.run([sys.executable, "-c", script, "org/model", "abc123", "*.safetensors"], env=env, check=True)
    assert (weights / READY_MARKER).read_text().split("\n") == listed  # present and complete: nothing copied again

    def checks(run) -> set[str]:
        return {c["command"][-1] for d in objects(run, "Deployment") for c in d["spec"]["template"]["spec"].get(
            "initContainers", []) if c["name"] == "wait-for-weights"}
    assert all("complete('/models')" in c for c in examined(checks(failed_over), "pods after the switch"))
    assert not any("complete(" in c for c in examined(checks(fixture_run("prod")), "pods at rest"))


def test_failing_back_creates_a_new_replica_under_a_name_cloud_sql_does_not_hold(fixture_run, config_tree):
    """Failing back cannot make the promoted instance a replica again (re-pointing replaces it, and it is
    protected): the runbook drops it from the state and raises `dr.replica_generation`. The new replica follows
    the primary under a new name; nothing else changes but what names the replica. The runbook's URN is the one
    the engine uses."""
    from review.recovery import urn

    instance = "gcp:sql/databaseInstance:DatabaseInstance"
    before = fixture_run("prod")
    edit_yaml(config_tree / "config" / "environments" / "prod.yaml", lambda d: d["dr"].update(replica_generation=2))
    after = run_stack("prod", config_tree)
    old, new = by_key(before), by_key(after)
    replica, primary = new[(instance, f"database-{DR}-pg")], new[(instance, "database-pg")]
    assert replica.inputs["name"] == old[(instance, f"database-{DR}-pg")].inputs["name"] + "-r2"
    assert replica.inputs["masterInstanceName"] == primary.inputs["name"] and replica.protect
    was = old[(instance, f"database-{DR}-pg")].inputs["name"]
    for key in old.keys() & new.keys():
        if old[key].inputs != new[key].inputs:
            assert was in json.dumps(old[key].inputs), key
    assert old.keys() == new.keys()
    runbook = (Path(__file__).parents[1] / "docs" / "dr.md").read_text(encoding="utf-8")
    for name in (f"database-{DR}-pg", "database-pg"):  # dropped from the state; refreshed after the promotion
        assert urn(before, old[(instance, name)]).replace("urn:pulumi:prod::", "urn:pulumi:<stack>::") in runbook


def test_rto_is_the_sum_of_its_steps_and_follows_the_figures(fixture_spec):
    spec = fixture_spec("prod")
    steps = recovery.failover_steps(spec)
    figures = spec.catalog.recovery
    assert recovery.rto_seconds(spec) == sum(s.seconds for s in steps)
    assert steps[0].seconds == max(figures.sql_promotion_seconds.value, figures.restore_seconds.value)
    assert steps[-1].seconds == spec.env.dr.dns_ttl_seconds
    pilot = fixture_spec("staging")
    assert recovery.failover_steps(pilot)[0].seconds == figures.cluster_create_seconds.value
    assert recovery.rto_seconds(pilot) > recovery.rto_seconds(spec) - recovery.slowest_replica(spec).seconds


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_hostnames_expire_as_fast_as_the_rto_counts(fixture_run, stack):
    """The RTO's last step is clients following the re-pointed records: the records' TTL is that step."""
    run = fixture_run(stack)
    hosts = [r for r in run.by_type("gcp:dns/recordSet:RecordSet") if r.name.endswith("-hosts")]
    dr = run.spec.env.dr
    for record in examined(hosts, "tenant hostname records") if run.spec.tenants else hosts:
        assert record.inputs["ttl"] == (dr.dns_ttl_seconds if dr.active else HOSTS_TTL), record.name
    if dr.active:
        assert recovery.failover_steps(run.spec)[-1].seconds == dr.dns_ttl_seconds


def test_rpo_of_namespaces_is_the_backup_schedule(fixture_spec):
    for stack in ("staging", "prod"):
        spec = fixture_spec(stack)
        (namespaces,) = [o for o in recovery.objectives(spec) if "volumes" in o.data]
        assert namespaces.rpo_seconds == spec.env.dr.backup.rpo_minutes * 60
    (nothing,) = recovery.objectives(fixture_spec("dev"))
    assert nothing.rpo_seconds == float("inf")


# --- mistakes: one line each ---------------------------------------------------------------------------

def test_a_dr_network_overlapping_the_primary(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["dr"]["network"].update(primary_range=d["network"]["primary_range"]))
    assert load_error(config_tree) == (
        "config/environments/prod.yaml: dr.network.primary_range: '10.50.0.0/20' overlaps network.primary_range "
        "'10.50.0.0/20': keep the DR region's ranges apart from the primary's")


def test_failing_over_from_pilot_light(config_tree):
    edit_yaml(config_tree / "config/environments/staging.yaml", lambda d: d["dr"].update(serving_region="secondary"))
    assert load_error(config_tree, "staging").startswith(
        "config/environments/staging.yaml: dr.serving_region: 'secondary' needs a cluster in the DR region")


def test_active_active_is_refused_with_its_reason(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["dr"].update(mode="active_active"))
    assert "is not built: both regions serving needs" in load_error(config_tree)


def test_backups_kept_longer_than_the_schedule_allows(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["dr"]["backup"].update(rpo_minutes=60, retain_days=30))
    assert "dr.backup.retain_days: 30 is more than 360 backups at rpo_minutes 60" in load_error(config_tree)


def test_a_standby_zone_without_the_pools_gpus(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["dr"].update(zones=["us-east4-b"]))
    assert "is not offered in the DR cluster's zones (us-east4-b)" in load_error(config_tree)


def test_the_spec_loads_with_dr_fields_everywhere(fixture_root):
    for stack in ("dev", "staging", "prod"):
        spec = loader.load(stack, loader.stack_config_from_file(stack, fixture_root), fixture_root)
        assert spec.env.dr.serving_region == "primary"
