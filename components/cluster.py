"""The GKE Standard cluster, its CPU node pools and the Kubernetes provider built from it."""

from __future__ import annotations

import json

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.encryption import Encryption
from components.naming import labels, physical_name
from components.network import Network
from components.node_identity import NodeIdentity
from components.node_pools import CLOUD_PLATFORM, node_config, node_pool
from config import PlatformSpec

MONITORING = ["SYSTEM_COMPONENTS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER", "STORAGE", "HPA", "POD",
              "DAEMONSET", "DEPLOYMENT", "STATEFULSET", "CADVISOR", "KUBELET"]
LOGGING = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]


def kubeconfig(name: str, endpoint: str, ca: str) -> str:
    """A kubeconfig with only name, endpoint and CA, authenticating through gke-gcloud-auth-plugin.

    Anything else (tokens, client certs) would change on every refresh and replace every
    Kubernetes resource that uses the provider.
    """
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca}}],
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


class Cluster(pulumi.ComponentResource):
    """Private, Workload-Identity, Dataplane V2 GKE cluster; exposes ``cluster``, ``provider``, ``location``."""

    def __init__(self, name: str, spec: PlatformSpec, *, network: Network, keys: Encryption,
                 nodes: NodeIdentity, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:gke:Cluster", name, None, opts)
        cfg, versions = spec.env.cluster, spec.catalog.versions
        self.location = spec.region if spec.regional else spec.env.zones[0]
        self.zones = list(spec.env.zones)
        disk_key = keys.key("disks").id
        c = gcp.container
        self.cluster = c.Cluster(
            f"{name}-gke",
            name=physical_name(spec, "gke"),
            project=spec.project,
            location=self.location,
            node_locations=self.zones if spec.regional else None,
            description=f"AI platform cluster ({spec.environment})",
            network=network.vpc.id,
            subnetwork=network.subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=c.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=network.pods_range_name,
                services_secondary_range_name=network.services_range_name),
            remove_default_node_pool=True,
            initial_node_count=1,
            # The bootstrap pool is deleted at once, but must not use the default compute SA either.
            node_config=c.ClusterNodeConfigArgs(
                service_account=nodes.email, oauth_scopes=[CLOUD_PLATFORM], boot_disk_kms_key=disk_key,
                shielded_instance_config=c.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                workload_metadata_config=c.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA")),
            release_channel=c.ClusterReleaseChannelArgs(channel=versions.gke.release_channel),
            min_master_version=versions.gke.min_master_version,
            private_cluster_config=c.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not cfg.authorized_networks,
                master_ipv4_cidr_block=spec.env.network.control_plane_range,
                master_global_access_config=c.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(enabled=True)),
            control_plane_endpoints_config=c.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=c.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=True),
                ip_endpoints_config=c.ClusterControlPlaneEndpointsConfigIpEndpointsConfigArgs(enabled=True)),
            master_authorized_networks_config=c.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[c.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=n.cidr, display_name=n.name) for n in cfg.authorized_networks],
                gcp_public_cidrs_access_enabled=False),
            workload_identity_config=c.ClusterWorkloadIdentityConfigArgs(workload_pool=f"{spec.project}.svc.id.goog"),
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2: enforces NetworkPolicy
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            database_encryption=c.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=keys.key("gke-secrets").id),
            binary_authorization=c.ClusterBinaryAuthorizationArgs(
                evaluation_mode="PROJECT_SINGLETON_POLICY_ENFORCE" if cfg.binary_authorization == "enforce"
                else "DISABLED"),
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
                gke_backup_agent_config=c.ClusterAddonsConfigGkeBackupAgentConfigArgs(
                    enabled=spec.env.dr.mode != "none"),
            ),
            gateway_api_config=c.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD"),
            monitoring_config=c.ClusterMonitoringConfigArgs(
                enable_components=MONITORING + (["DCGM"] if spec.env.gpu_pools else []),
                managed_prometheus=c.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)),
            logging_config=c.ClusterLoggingConfigArgs(enable_components=LOGGING),
            cost_management_config=c.ClusterCostManagementConfigArgs(enabled=True),
            authenticator_groups_config=c.ClusterAuthenticatorGroupsConfigArgs(security_group=cfg.security_group),
            vertical_pod_autoscaling=c.ClusterVerticalPodAutoscalingArgs(enabled=True),
            maintenance_policy=c.ClusterMaintenancePolicyArgs(recurring_window=c.ClusterMaintenancePolicyRecurringWindowArgs(
                start_time=cfg.maintenance.start, end_time=cfg.maintenance.end, recurrence=cfg.maintenance.recurrence)),
            deletion_protection=spec.env.protect,
            resource_labels=labels(spec, "cluster"),
            # node_config describes only the bootstrap pool removed at creation; later drift is noise.
            opts=pulumi.ResourceOptions(parent=self, protect=spec.env.protect, ignore_changes=["nodeConfig"],
                                        depends_on=keys.grants),
        )
        self.cpu_pools = [
            node_pool(
                f"{name}-{pool.name}", spec, pool, cluster=self.cluster, zones=self.zones,
                config=node_config(spec, pool, service_account=nodes.email, disk_key=disk_key,
                                   node_tag=network.node_tag, component="cluster"),
                location_policy="ANY" if pool.spot else "BALANCED", parent=self)
            for pool in spec.env.cpu_pools
        ]
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(self.cluster.name, self.cluster.endpoint,
                                         self.cluster.master_auth.cluster_ca_certificate)
            .apply(lambda args: kubeconfig(*args)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.cluster.name, "endpoint": self.cluster.endpoint})
