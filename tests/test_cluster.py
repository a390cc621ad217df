"""Cluster, node identity and CPU pools: what a reviewer checks, for every stack and on fixtures."""

from __future__ import annotations

import json

from components.platform.node_identity import NODE_ROLES
from tests.helpers import key_name

CLUSTER = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
ACCOUNT = "gcp:serviceaccount/account:Account"


def cluster_of(run) -> dict:
    """The serving cluster's inputs (a warm standby's are compared with it: test_the_standby_is_built_the_same)."""
    return run.get(CLUSTER, "cluster-gke").inputs


def region_of(location: str) -> str:
    return location if location.count("-") == 1 else location.rsplit("-", 1)[0]


def test_zonal_with_one_zone_regional_with_several(fixture_run):
    dev, prod = cluster_of(fixture_run("dev")), cluster_of(fixture_run("prod"))
    assert dev["location"] == "us-central1-a" and "nodeLocations" not in dev
    assert prod["location"] == "us-central1"
    assert prod["nodeLocations"] == ["us-central1-a", "us-central1-b", "us-central1-c"]


def test_location_follows_the_zone_count(run):
    c, env = cluster_of(run), run.spec.env
    assert c["location"] == (run.spec.region if len(env.zones) > 1 else env.zones[0])


def test_private_nodes_and_the_dns_endpoint_always(run):
    c = cluster_of(run)
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    assert c["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {"allowExternalTraffic": True}


def test_ip_endpoint_only_for_authorized_networks(run):
    c, networks = cluster_of(run), run.spec.env.cluster.authorized_networks
    assert c["controlPlaneEndpointsConfig"]["ipEndpointsConfig"] == {"enabled": bool(networks)}
    if networks:
        authorized = c["masterAuthorizedNetworksConfig"]
        assert authorized["gcpPublicCidrsAccessEnabled"] is False
        assert [b["cidrBlock"] for b in authorized["cidrBlocks"]] == [n.cidr for n in networks]
        assert c["privateClusterConfig"]["masterIpv4CidrBlock"] == run.spec.env.network.control_plane_range
    else:  # DNS endpoint only: nothing may re-open an IP endpoint, no control-plane peering range
        assert "masterAuthorizedNetworksConfig" not in c
        assert "masterIpv4CidrBlock" not in c["privateClusterConfig"]
        assert c["privateClusterConfig"]["enablePrivateEndpoint"] is True
        assert "masterGlobalAccessConfig" not in c["privateClusterConfig"]


def test_authorized_networks_open_the_ip_endpoint_to_them_only(fixture_run):
    staging = cluster_of(fixture_run("staging"))  # the fixture lists one network there
    assert staging["controlPlaneEndpointsConfig"]["ipEndpointsConfig"] == {"enabled": True}
    assert staging["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "198.51.100.0/28", "displayName": "office"}]
    assert staging["privateClusterConfig"]["enablePrivateEndpoint"] is False


def test_identity_dataplane_and_hardening(run):
    c = cluster_of(run)
    assert c["workloadIdentityConfig"] == {"workloadPool": f"{run.spec.project}.svc.id.goog"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableShieldedNodes"] is True
    assert c["enableLegacyAbac"] is False
    assert c["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key_name(run, "gke-secrets")}
    assert c["secretManagerConfig"]["enabled"] is True
    assert c["authenticatorGroupsConfig"] == {"securityGroup": run.spec.env.cluster.security_group}
    assert c["costManagementConfig"] == {"enabled": True}
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert c["releaseChannel"] == {"channel": run.spec.catalog.versions.gke.release_channel}
    assert "minMasterVersion" not in c, "created at the channel's default version, never pinned out of it"
    assert c["maintenancePolicy"]["recurringWindow"]["recurrence"].startswith("FREQ=")


def test_cis_cluster_settings(run):
    c = cluster_of(run)
    assert c["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert c["serviceExternalIpsConfig"] == {"enabled": False}  # CVE-2020-8554
    assert c["enableLegacyAbac"] is False
    assert c["enableIntranodeVisibility"] is run.spec.env.cluster.intranode_visibility
    assert c["nodePoolDefaults"]["nodeConfigDefaults"]["insecureKubeletReadonlyPortEnabled"] == "FALSE"


def test_intranode_visibility_in_prod(fixture_run):
    assert {s: cluster_of(fixture_run(s))["enableIntranodeVisibility"] for s in ("dev", "prod")} == {
        "dev": False, "prod": True}


def test_binary_authorization_per_environment(fixture_run):
    """Staging evaluates the same policy as prod; the policy itself logs instead of blocking there."""
    mode = {s: cluster_of(fixture_run(s))["binaryAuthorization"]["evaluationMode"] for s in ("dev", "staging", "prod")}
    assert mode == {"dev": "DISABLED", "staging": "PROJECT_SINGLETON_POLICY_ENFORCE",
                    "prod": "PROJECT_SINGLETON_POLICY_ENFORCE"}


def test_binary_authorization_enforced_in_every_prod_stack(run):
    if run.spec.environment == "prod":
        assert cluster_of(run)["binaryAuthorization"]["evaluationMode"] == "PROJECT_SINGLETON_POLICY_ENFORCE"


def test_security_posture_uses_values_gke_accepts(run):
    posture = cluster_of(run)["securityPostureConfig"]
    assert posture["vulnerabilityMode"] == "VULNERABILITY_DISABLED"  # both scanning tiers are retired
    assert posture["mode"] == "BASIC" or run.spec.env.cluster.gke_enterprise


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


def node_configs(run):
    """Every node config the stack sends (a warm standby's too): each cluster's bootstrap pool and node pools,
    with the region they run in."""
    for cluster in run.by_type(CLUSTER):
        yield cluster.name, region_of(cluster.inputs["location"]), cluster.inputs["nodeConfig"]
    for pool in run.by_type(POOL):
        yield pool.name, region_of(pool.inputs["location"]), pool.inputs["nodeConfig"]


def test_every_node_runs_as_the_platforms_node_account(run):
    """No node may fall back to the default compute service account (it has Editor on the project)."""
    (node_account,) = [r for r in run.by_type(ACCOUNT) if r.parent == "ai-platform:platform:NodeIdentity::nodes"]
    email = f"{node_account.inputs['accountId']}@{run.spec.project}.iam.gserviceaccount.com"
    configs = {name: cfg for name, _, cfg in node_configs(run)}
    clusters = len(run.by_type(CLUSTER))
    assert len(configs) == clusters * (1 + len(run.spec.env.cpu_pools) + len(run.spec.env.gpu_pools))
    for name, cfg in configs.items():
        assert cfg["serviceAccount"] == email, name
        assert cfg["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"], name
    assert cluster_of(run)["removeDefaultNodePool"] is True


def test_node_service_account_has_exactly_the_minimal_roles(run):
    roles = sorted(r.inputs["role"] for r in run.by_type("gcp:projects/iAMMember:IAMMember")
                   if r.parent == "ai-platform:platform:NodeIdentity::nodes")
    assert roles == sorted(NODE_ROLES) == ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]


def test_no_primitive_or_admin_roles_anywhere(run):
    for record in run.records:
        role = record.inputs.get("role", "")
        assert role not in ("roles/owner", "roles/editor", "roles/viewer"), record.key
        assert not role.endswith(".admin") and role != "roles/iam.serviceAccountTokenCreator", record.key


def test_every_pool_is_hardened(run):
    bootstrap = {c.name for c in run.by_type(CLUSTER)}
    for name, region, cfg in node_configs(run):
        if name in bootstrap:
            continue
        assert cfg["imageType"] == "COS_CONTAINERD", name
        assert cfg["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}, name
        assert cfg["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}, name
        assert cfg["bootDiskKmsKey"] == key_name(run, "disks", region), name
        assert cfg["gcfsConfig"] == {"enabled": True}, name
        assert cfg["metadata"] == {"disable-legacy-endpoints": "true"}, name
        here = "" if region == run.spec.region else f"-{region}"  # each region's VPC tags its own nodes
        assert cfg["tags"] == [f"aip-{run.spec.environment}{here}-gke-node"], name
    for pool in run.by_type(POOL):
        repair = "queuedProvisioning" not in pool.inputs
        assert pool.inputs["management"] == {"autoRepair": repair, "autoUpgrade": True}, pool.name
        upgrade = pool.inputs["upgradeSettings"]
        assert upgrade["strategy"] == "SURGE" and upgrade["maxUnavailable"] == 0, pool.name


def test_system_pool_always_has_a_node(run):
    pool = run.get(POOL, "cluster-system").inputs
    assert pool["autoscaling"]["totalMinNodeCount"] >= 1


def test_provider_talks_to_the_dns_endpoint_with_only_exec_auth(run):
    """Reachable from CI without VPC access, IAM-gated; a public CA, so no cluster CA in the kubeconfig."""
    provider = run.get("pulumi:providers:kubernetes", "cluster-k8s")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    cluster = kubeconfig["clusters"][0]
    assert cluster["name"] == cluster_of(run)["name"]
    assert set(cluster["cluster"]) == {"server"}
    server = cluster["cluster"]["server"]
    assert server.startswith("https://gke-") and server.endswith(".gke.goog"), server
    user = kubeconfig["users"][0]["user"]
    assert set(user) == {"exec"} and user["exec"]["command"] == "gke-gcloud-auth-plugin"


def test_node_pools_are_deleted_before_they_are_replaced(run):
    """A pool keeps its name: creating the replacement first would fail with 409 already exists."""
    pools = run.by_type(POOL)
    assert pools and all(p.delete_before_replace for p in pools)


STANDBY_DIFFERS = {"name", "location", "nodeLocations", "network", "subnetwork", "privateClusterConfig",
                   "databaseEncryption", "nodeConfig", "resourceLabels", "ipAllocationPolicy",
                   "masterAuthorizedNetworksConfig", "controlPlaneEndpointsConfig"}


def test_the_standby_is_built_the_same(fixture_run):
    """A warm standby is the same cluster in another region: every setting equal but where it is and its
    region's keys, network and name."""
    run = fixture_run("prod")
    primary, standby = cluster_of(run), run.get(CLUSTER, "cluster-us-east4-gke").inputs
    assert standby["location"] == "us-east4" and standby["nodeLocations"] == run.spec.env.dr.zones
    for field in sorted(set(primary) | set(standby)):
        if field not in STANDBY_DIFFERS:
            assert primary.get(field) == standby.get(field), field
    assert standby["databaseEncryption"]["keyName"] == key_name(run, "gke-secrets", "us-east4")
    assert standby["privateClusterConfig"]["enablePrivateNodes"] is True
