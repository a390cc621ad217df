"""The GKE Standard cluster, its CPU node pools and the Kubernetes provider built from it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import component_type, formerly
from components.platform.node_pools import CLOUD_PLATFORM, NodeSettings, node_config, node_pool
from config.catalog import GkeVersions
from config.cluster import ClusterSpec, CpuPoolSpec
from config.google import workload_pool
from config.naming import Naming

MONITORING = ["SYSTEM_COMPONENTS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER", "STORAGE", "HPA", "POD",
              "DAEMONSET", "DEPLOYMENT", "STATEFULSET", "CADVISOR", "KUBELET"]
LOGGING = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]


def kubeconfig(name: str, dns_endpoint: str) -> str:
    """A kubeconfig for the cluster's DNS-based endpoint, authenticating through gke-gcloud-auth-plugin.

    The DNS endpoint is reachable from anywhere Google APIs are (CI runners need no VPC
    access), is gated by IAM (`container.clusters.connect`) and serves a certificate from a
    public CA, so no cluster CA is needed (passing it would fail TLS). Nothing else goes in:
    tokens or certificates change on refresh and would replace every Kubernetes resource.
    """
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": f"https://{dns_endpoint}"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [{"name": name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin",
            "installHint": "gcloud components install gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
            "interactiveMode": "Never",
        }}}],
    }, sort_keys=True)


@dataclass(frozen=True)
class ClusterNetwork:
    """Where the cluster lives on the platform VPC."""

    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    pods_range_name: str
    services_range_name: str
    control_plane_range: str


@dataclass(frozen=True)
class ClusterArgs:
    naming: Naming
    location: str  # the region (regional cluster) or a zone (zonal)
    zones: tuple[str, ...]
    regional: bool
    network: ClusterNetwork
    settings: ClusterSpec
    versions: GkeVersions
    nodes: NodeSettings
    secrets_key: pulumi.Input[str]  # application-layer encryption of Kubernetes Secrets
    cpu_pools: tuple[CpuPoolSpec, ...]
    backup_agent: bool  # Backup for GKE (where the environment has DR)
    gpu_metrics: bool  # DCGM metrics (where there are GPU pools)
    protect: bool
    # With a DR region the program's Kubernetes objects move between clusters at the switch (layers/serving.py): a
    # cluster lost with its region must not block the move (its objects leave the state), and objects arrive by
    # Backup for GKE restore (failover or failback) before the program applies its own over them (upserted; patch
    # force takes their fields).
    movable: bool = False


class Cluster(pulumi.ComponentResource):
    """Private, Workload-Identity, Dataplane V2 GKE cluster with its CPU pools.

    Outputs: ``name``, ``location``, ``dns_endpoint``, ``workload_pool`` (resolves once the cluster,
    which creates the Workload Identity pool, exists) and ``provider`` (the Kubernetes provider).
    """

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "Cluster"), name, None, formerly(opts, "ai-platform:gke:Cluster"))
        cfg, versions, naming, net = args.settings, args.versions, args.naming, args.network
        self.location = args.location
        ip_endpoint = bool(cfg.authorized_networks)  # none: the DNS endpoint is the only way in
        c = gcp.container
        cluster = c.Cluster(
            f"{name}-gke",
            name=naming.name("gke"),
            project=naming.project,
            location=self.location,
            node_locations=list(args.zones) if args.regional else None,
            description=f"AI platform cluster ({naming.environment})",
            network=net.vpc_id,
            subnetwork=net.subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=c.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=net.pods_range_name,
                services_secondary_range_name=net.services_range_name),
            remove_default_node_pool=True,
            initial_node_count=1,
            # The bootstrap pool is deleted at once, but must not use the default compute SA either.
            node_config=c.ClusterNodeConfigArgs(
                service_account=args.nodes.service_account, oauth_scopes=[CLOUD_PLATFORM],
                boot_disk_kms_key=args.nodes.disk_key,
                shielded_instance_config=c.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                workload_metadata_config=c.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA")),
            # No min_master_version: created at the channel's default version (config/catalog/versions.yaml).
            release_channel=c.ClusterReleaseChannelArgs(channel=versions.release_channel),
            # DNS endpoint only: no control-plane peering range either (GKE's DNS-only setup has none).
            private_cluster_config=c.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not ip_endpoint,
                master_ipv4_cidr_block=net.control_plane_range if ip_endpoint else None,
                master_global_access_config=c.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(enabled=True)
                if ip_endpoint else None),
            control_plane_endpoints_config=c.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=c.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=True),
                ip_endpoints_config=c.ClusterControlPlaneEndpointsConfigIpEndpointsConfigArgs(enabled=ip_endpoint)),
            master_authorized_networks_config=c.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[c.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=n.cidr, display_name=n.name) for n in cfg.authorized_networks],
                gcp_public_cidrs_access_enabled=False) if ip_endpoint else None,
            master_auth=c.ClusterMasterAuthArgs(client_certificate_config=c.ClusterMasterAuthClientCertificateConfigArgs(
                issue_client_certificate=False)),
            # CVE-2020-8554: a Service with externalIPs could intercept traffic to any address.
            service_external_ips_config=c.ClusterServiceExternalIpsConfigArgs(enabled=False),
            enable_intranode_visibility=cfg.intranode_visibility,
            node_pool_defaults=c.ClusterNodePoolDefaultsArgs(
                node_config_defaults=c.ClusterNodePoolDefaultsNodeConfigDefaultsArgs(
                    insecure_kubelet_readonly_port_enabled="FALSE")),
            workload_identity_config=c.ClusterWorkloadIdentityConfigArgs(workload_pool=workload_pool(naming.project)),
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2: enforces NetworkPolicy
            # CiliumClusterwideNetworkPolicy: the tenants' deny baseline no namespace policy can widen.
            enable_cilium_clusterwide_network_policy=True,
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            database_encryption=c.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=args.secrets_key),
            # The project's policy decides enforce or dry run (components/platform/image_supply.py).
            binary_authorization=c.ClusterBinaryAuthorizationArgs(
                evaluation_mode="DISABLED" if cfg.binary_authorization == "disabled"
                else "PROJECT_SINGLETON_POLICY_ENFORCE"),
            security_posture_config=c.ClusterSecurityPostureConfigArgs(
                mode=cfg.security_posture, vulnerability_mode=cfg.vulnerability_scanning),
            secret_manager_config=c.ClusterSecretManagerConfigArgs(
                enabled=True,
                rotation_config=c.ClusterSecretManagerConfigRotationConfigArgs(enabled=True, rotation_interval="120s")),
            addons_config=c.ClusterAddonsConfigArgs(
                http_load_balancing=c.ClusterAddonsConfigHttpLoadBalancingArgs(disabled=False),
                horizontal_pod_autoscaling=c.ClusterAddonsConfigHorizontalPodAutoscalingArgs(disabled=False),
                dns_cache_config=c.ClusterAddonsConfigDnsCacheConfigArgs(enabled=True),
                gce_persistent_disk_csi_driver_config=c.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True),
                gcp_filestore_csi_driver_config=c.ClusterAddonsConfigGcpFilestoreCsiDriverConfigArgs(enabled=True),
                gcs_fuse_csi_driver_config=c.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
                gke_backup_agent_config=c.ClusterAddonsConfigGkeBackupAgentConfigArgs(enabled=args.backup_agent),
            ),
            gateway_api_config=c.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD"),
            monitoring_config=c.ClusterMonitoringConfigArgs(
                enable_components=MONITORING + (["DCGM"] if args.gpu_metrics else []),
                managed_prometheus=c.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)),
            logging_config=c.ClusterLoggingConfigArgs(enable_components=LOGGING),
            cost_management_config=c.ClusterCostManagementConfigArgs(enabled=True),
            authenticator_groups_config=c.ClusterAuthenticatorGroupsConfigArgs(security_group=cfg.security_group),
            vertical_pod_autoscaling=c.ClusterVerticalPodAutoscalingArgs(enabled=True),
            maintenance_policy=c.ClusterMaintenancePolicyArgs(recurring_window=c.ClusterMaintenancePolicyRecurringWindowArgs(
                start_time=cfg.maintenance.start, end_time=cfg.maintenance.end, recurrence=cfg.maintenance.recurrence)),
            deletion_protection=args.protect,
            resource_labels=naming.labels("cluster"),
            # node_config describes only the bootstrap pool removed at creation; later drift is noise.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["nodeConfig"]),
        )
        pools = [
            node_pool(
                f"{name}-{pool.name}", pool, project=naming.project, cluster=cluster.name, location=self.location,
                zones=list(args.zones),
                config=node_config(pool, args.nodes, resource_labels=naming.labels("cluster")),
                location_policy="ANY" if pool.spot else "BALANCED", parent=self)
            for pool in args.cpu_pools
        ]
        self.name: pulumi.Output[str] = cluster.name
        self.dns_endpoint: pulumi.Output[str] = cluster.control_plane_endpoints_config.dns_endpoint_config.endpoint
        self.workload_pool: pulumi.Output[str] = cluster.workload_identity_config.workload_pool
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(cluster.name, self.dns_endpoint).apply(lambda values: kubeconfig(*values)),
            delete_unreachable=True if args.movable else None, enable_patch_force=True if args.movable else None,
            # from pulumi-kubernetes 4.29 a create of an existing object fails (AlreadyExists) unless told to upsert
            upsert_existing_objects=True if args.movable else None,
            # Kubernetes objects wait for nodes: add-on CRDs (SecretProviderClass) and GKE's own
            # StorageClasses appear only once the cluster runs system pods.
            opts=pulumi.ResourceOptions(parent=self, depends_on=pools),
        )
        self.register_outputs({"name": self.name, "location": self.location, "provider": self.provider,
                               "dns_endpoint": self.dns_endpoint,
                               "workload_pool": self.workload_pool})
