"""Cluster, node identity and CPU pools: each setting a reviewer checks, per environment."""

from __future__ import annotations

import json

from components.node_identity import NODE_ROLES
from review.harness import StackRun
from tests.conftest import STACKS

CLUSTER = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"


def cluster_of(run: StackRun) -> dict:
    return run.get(CLUSTER, "cluster-gke").inputs



def test_zonal_in_dev_regional_elsewhere(stack_run):
    dev, prod = cluster_of(stack_run("dev")), cluster_of(stack_run("prod"))
    assert dev["location"] == "us-central1-a" and "nodeLocations" not in dev
    assert prod["location"] == "us-central1"
    assert prod["nodeLocations"] == ["us-central1-a", "us-central1-b", "us-central1-c"]
    assert cluster_of(stack_run("staging"))["location"] == "us-central1"


def test_private_nodes_dns_endpoint_and_authorized_networks(run):
    c = cluster_of(run)
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    assert c["privateClusterConfig"]["masterIpv4CidrBlock"] == run.spec.env.network.control_plane_range
    assert c["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {"allowExternalTraffic": True}
    authorized = c["masterAuthorizedNetworksConfig"]
    assert authorized["gcpPublicCidrsAccessEnabled"] is False
    assert [b["cidrBlock"] for b in authorized.get("cidrBlocks", [])] == [
        n.cidr for n in run.spec.env.cluster.authorized_networks]
    # no authorized network: the IP endpoint is private only, the DNS endpoint is the way in
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is (not run.spec.env.cluster.authorized_networks)


def test_identity_dataplane_and_hardening(run):
    c = cluster_of(run)
    assert c["workloadIdentityConfig"] == {"workloadPool": f"{run.spec.project}.svc.id.goog"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableShieldedNodes"] is True
    assert c["enableLegacyAbac"] is False
    assert c["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": "encryption-gke-secrets-id"}
    assert c["secretManagerConfig"]["enabled"] is True
    assert c["authenticatorGroupsConfig"] == {"securityGroup": "gke-security-groups@example.com"}
    assert c["costManagementConfig"] == {"enabled": True}
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert c["releaseChannel"] == {"channel": run.spec.catalog.versions.gke.release_channel}
    assert c["minMasterVersion"] == run.spec.catalog.versions.gke.min_master_version
    assert c["maintenancePolicy"]["recurringWindow"]["recurrence"].startswith("FREQ=WEEKLY")


def test_binary_authorization_enforced_in_prod(stack_run):
    mode = {s: cluster_of(stack_run(s))["binaryAuthorization"]["evaluationMode"] for s in STACKS}
    assert mode == {"dev": "DISABLED", "staging": "PROJECT_SINGLETON_POLICY_ENFORCE",
                    "prod": "PROJECT_SINGLETON_POLICY_ENFORCE"}


def test_security_posture(stack_run):
    assert cluster_of(stack_run("prod"))["securityPostureConfig"] == {
        "mode": "ENTERPRISE", "vulnerabilityMode": "VULNERABILITY_ENTERPRISE"}
    assert cluster_of(stack_run("dev"))["securityPostureConfig"]["mode"] == "BASIC"


def test_csi_drivers_and_backup_agent_where_dr(run):
    addons = cluster_of(run)["addonsConfig"]
    for driver in ("gcePersistentDiskCsiDriverConfig", "gcpFilestoreCsiDriverConfig", "gcsFuseCsiDriverConfig"):
        assert addons[driver] == {"enabled": True}
    assert addons["gkeBackupAgentConfig"] == {"enabled": run.spec.env.dr.mode != "none"}
    assert addons["httpLoadBalancing"] == {"disabled": False}


def test_observability(run):
    c = cluster_of(run)
    assert c["monitoringConfig"]["managedPrometheus"] == {"enabled": True}
    assert ("DCGM" in c["monitoringConfig"]["enableComponents"]) is bool(run.spec.env.gpu_pools)
    assert c["loggingConfig"]["enableComponents"] == ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]


def test_deletion_protection_and_protect_outside_dev(run):
    c = run.get(CLUSTER, "cluster-gke")
    expected = run.spec.environment != "dev"
    assert c.inputs["deletionProtection"] is expected and c.protect is expected


def test_default_pool_removed_and_never_default_compute_sa(run):
    c = cluster_of(run)
    assert c["removeDefaultNodePool"] is True
    node_sa = f"aip-{run.spec.environment}-gke-nodes@{run.spec.project}.iam.gserviceaccount.com"
    assert c["nodeConfig"]["serviceAccount"] == node_sa
    for pool in run.by_type(POOL):
        assert pool.inputs["nodeConfig"]["serviceAccount"] == node_sa
    assert "compute@developer.gserviceaccount.com" not in json.dumps([r.inputs for r in run.records])


def test_node_service_account_has_exactly_the_minimal_roles(run):
    roles = sorted(r.inputs["role"] for r in run.by_type("gcp:projects/iAMMember:IAMMember")
                   if r.parent == "ai-platform:iam:NodeIdentity::nodes")
    assert roles == sorted(NODE_ROLES) == [
        "roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter",
        "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"]


def test_no_primitive_or_admin_roles_anywhere(run):
    for record in run.records:
        role = record.inputs.get("role", "")
        assert role not in ("roles/owner", "roles/editor", "roles/viewer"), record.key
        assert not role.endswith(".admin") and role != "roles/iam.serviceAccountTokenCreator", record.key


def test_system_pool_hardening(run):
    pool = run.get(POOL, "cluster-system").inputs
    cfg = pool["nodeConfig"]
    assert cfg["imageType"] == "COS_CONTAINERD"
    assert cfg["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert cfg["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert cfg["bootDiskKmsKey"] == "encryption-disks-id"
    assert cfg["gcfsConfig"] == {"enabled": True}
    assert cfg["tags"] == [f"aip-{run.spec.environment}-gke-node"]
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
    system = next(p for p in run.spec.env.cpu_pools if p.name == "system")
    assert pool["autoscaling"]["totalMinNodeCount"] == system.min_nodes >= 1


def test_provider_kubeconfig_has_only_name_endpoint_ca_and_exec(stack_run):
    provider = stack_run("prod").get("pulumi:providers:kubernetes", "cluster-k8s")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    cluster = kubeconfig["clusters"][0]
    assert cluster["name"] == "aip-prod-gke"
    assert set(cluster["cluster"]) == {"server", "certificate-authority-data"}
    assert cluster["cluster"]["server"] == "https://203.0.113.10"
    user = kubeconfig["users"][0]["user"]
    assert set(user) == {"exec"} and user["exec"]["command"] == "gke-gcloud-auth-plugin"
