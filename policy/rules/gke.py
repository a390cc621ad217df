"""GKE: private, identity-aware, verified nodes and a control plane without legacy doors."""

from __future__ import annotations

from policy.rules.base import rule

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")


def _node_config(r):
    """The node settings of a node pool, or of a cluster's default node config (if it sets any)."""
    return "nodeConfig" if r.get("nodeConfig") is not None else None


@rule("gke-private-nodes", "gke", "high", "GKE nodes have no external IP addresses.",
      "Set private_cluster_config.enable_private_nodes=True on the cluster (and never network_config."
      "enable_private_nodes=False on a node pool); nodes reach the internet through Cloud NAT.",
      types=(CLUSTER, NODE_POOL))
def _private_nodes(r, ctx):
    if r.type == CLUSTER and not (r.get("privateClusterConfig.enablePrivateNodes")
                                  or r.get("networkConfig.enablePrivateNodes")):
        yield "nodes get public IPs: privateClusterConfig.enablePrivateNodes is not true"
    if r.type == NODE_POOL and r.get("networkConfig.enablePrivateNodes") is False:
        yield "this node pool turns private nodes off (networkConfig.enablePrivateNodes: false)"


@rule("gke-workload-identity", "gke", "high",
      "Pods authenticate as their own Google service account (Workload Identity), never as the node.",
      "Set workload_identity_config.workload_pool='<project>.svc.id.goog' on the cluster and "
      "node_config.workload_metadata_config.mode='GKE_METADATA' on every node pool.", types=(CLUSTER, NODE_POOL))
def _workload_identity(r, ctx):
    if r.type == CLUSTER and not r.get("workloadIdentityConfig.workloadPool"):
        yield "Workload Identity is off: workloadIdentityConfig.workloadPool is not set"
    if _node_config(r) and r.get("nodeConfig.workloadMetadataConfig.mode") != "GKE_METADATA":
        yield "pods can read the node's credentials: nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA"


@rule("gke-shielded-nodes", "gke", "medium", "The cluster runs Shielded GKE Nodes (verifiable node identity).",
      "Leave enable_shielded_nodes at its default (True) on the cluster.", types=(CLUSTER,))
def _shielded(r, ctx):
    if r.get("enableShieldedNodes") is False:
        yield "enableShieldedNodes is false"


@rule("gke-secure-boot", "gke", "medium", "Nodes boot with Secure Boot and integrity monitoring.",
      "Set node_config.shielded_instance_config=ShieldedInstanceConfigArgs(enable_secure_boot=True, "
      "enable_integrity_monitoring=True) on every node pool.", types=(CLUSTER, NODE_POOL))
def _secure_boot(r, ctx):
    if not _node_config(r):
        return
    if r.get("nodeConfig.shieldedInstanceConfig.enableSecureBoot") is not True:
        yield "Secure Boot is off: nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true"
    if r.get("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring") is False:
        yield "integrity monitoring is off"


@rule("gke-binary-authorization", "gke", "high",
      "The cluster evaluates the project's Binary Authorization policy, so only admitted images run, wherever "
      "the environment's policy is mandatory (an advisory environment, dev, may turn it off to try images).",
      "Set cluster.binary_authorization in the environment file to enforce (or dryrun: the policy then logs "
      "instead of blocking); the cluster gets evaluation_mode=PROJECT_SINGLETON_POLICY_ENFORCE.",
      types=(CLUSTER,))
def _binauthz(r, ctx):
    mode = r.get("binaryAuthorization.evaluationMode")
    if ctx.enforcement == "mandatory" and mode != "PROJECT_SINGLETON_POLICY_ENFORCE":
        yield f"Binary Authorization is not evaluated (evaluationMode: {mode or 'unset'})"


@rule("gke-cmek-etcd", "gke", "high", "Kubernetes Secrets in etcd are encrypted with the platform's KMS key.",
      "Set database_encryption=ClusterDatabaseEncryptionArgs(state='ENCRYPTED', key_name=<gke-secrets key>) and "
      "grant the GKE service agent encrypter/decrypter on the key.", types=(CLUSTER,))
def _etcd(r, ctx):
    if r.get("databaseEncryption.state") != "ENCRYPTED" or not r.get("databaseEncryption.keyName"):
        yield "application-layer secrets encryption with a CMEK key is off (databaseEncryption)"


@rule("gke-release-channel", "gke", "medium", "The cluster is enrolled in a release channel (patched automatically).",
      "Set release_channel=ClusterReleaseChannelArgs(channel='REGULAR') (or STABLE).", types=(CLUSTER,))
def _channel(r, ctx):
    if r.get("releaseChannel.channel") not in CHANNELS:
        yield f"no release channel (releaseChannel.channel: {r.get('releaseChannel.channel') or 'unset'})"


@rule("gke-no-default-node-sa", "gke", "high",
      "Nodes run as a dedicated least-privilege service account, not the Compute Engine default one.",
      "Set node_config.service_account to the platform's node service account (roles/container."
      "defaultNodeServiceAccount only) on the cluster and every node pool.", types=(CLUSTER, NODE_POOL))
def _node_sa(r, ctx):
    if not _node_config(r):
        return
    account = r.get("nodeConfig.serviceAccount") or "default"
    if account == "default" or account.endswith("-compute@developer.gserviceaccount.com"):
        yield f"nodes run as the Compute Engine default service account ({account})"


@rule("gke-no-legacy-abac", "gke", "high", "Authorization is RBAC only: legacy ABAC is off.",
      "Remove enable_legacy_abac (or set it to False).", types=(CLUSTER,))
def _abac(r, ctx):
    if r.get("enableLegacyAbac") is True:
        yield "legacy ABAC is on (enableLegacyAbac: true)"


@rule("gke-no-client-certificates", "gke", "high",
      "No long-lived client certificate is issued for the control plane (it cannot be revoked).",
      "Set master_auth.client_certificate_config.issue_client_certificate=False.", types=(CLUSTER,))
def _client_cert(r, ctx):
    if r.get("masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        yield "a client certificate is issued (masterAuth.clientCertificateConfig.issueClientCertificate: true)"


@rule("gke-no-legacy-metadata", "gke", "medium", "Nodes do not serve the legacy (v0.1/v1beta1) metadata endpoints.",
      "Set node_config.metadata={'disable-legacy-endpoints': 'true'} on every node pool.", types=(NODE_POOL,))
def _legacy_metadata(r, ctx):
    if r.get("nodeConfig.metadata", {}).get("disable-legacy-endpoints", "true") != "true":
        yield "legacy metadata endpoints are enabled (nodeConfig.metadata.disable-legacy-endpoints)"


@rule("gke-node-auto-repair-upgrade", "gke", "medium", "Node pools repair and upgrade themselves.",
      "Set management=NodePoolManagementArgs(auto_repair=True, auto_upgrade=True).", types=(NODE_POOL,))
def _management(r, ctx):
    if r.get("management.autoRepair") is False or r.get("management.autoUpgrade") is False:
        yield "auto repair or auto upgrade is off (management)"
