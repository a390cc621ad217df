"""GPU node pools: one autoscaled pool per `gpu_pools` entry, tainted so only GPU workloads land there."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.cluster import Cluster
from components.encryption import Encryption
from components.network import Network
from components.node_identity import NodeIdentity
from components.node_pools import node_config, node_pool
from config import PlatformSpec
from config.cluster import GpuPoolSpec

GPU_TAINT = "nvidia.com/gpu"
ACCELERATOR_LABEL = "ai-platform/accelerator"


def pool_zones(spec: PlatformSpec, pool: GpuPoolSpec) -> list[str]:
    """The zones a GPU pool runs in: configured, or the environment's zones that offer its GPU."""
    gpu = spec.catalog.accelerators.accelerators[pool.accelerator]
    return pool.effective_zones(gpu, spec.region, list(spec.env.zones))


def guest_accelerator(spec: PlatformSpec, pool: GpuPoolSpec) -> gcp.container.NodePoolNodeConfigGuestAcceleratorArgs:
    sharing = pool.sharing
    return gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
        type=pool.accelerator,
        count=pool.gpus_per_node,
        gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
            gpu_driver_version=spec.catalog.versions.gpu_driver),
        gpu_partition_size=pool.mig_partition,
        gpu_sharing_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuSharingConfigArgs(
            gpu_sharing_strategy=sharing.strategy, max_shared_clients_per_gpu=sharing.max_clients)
        if sharing else None,
    )


def reservation_affinity(pool: GpuPoolSpec) -> gcp.container.NodePoolNodeConfigReservationAffinityArgs | None:
    if pool.reservation is not None:
        specific = pool.reservation.affinity == "SPECIFIC_RESERVATION"
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type=pool.reservation.affinity,
            key="compute.googleapis.com/reservation-name" if specific else None,
            values=[pool.reservation.name] if specific else None)
    if pool.queued_provisioning or pool.flex_start:
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type="NO_RESERVATION")
    return None


class GpuNodePools(pulumi.ComponentResource):
    """The environment's GPU pools; ``pools`` maps pool name to NodePool."""

    def __init__(self, name: str, spec: PlatformSpec, *, cluster: Cluster, network: Network, keys: Encryption,
                 nodes: NodeIdentity, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:gke:GpuNodePools", name, None, opts)
        self.pools: dict[str, gcp.container.NodePool] = {}
        for pool in spec.env.gpu_pools:
            c = gcp.container
            config = node_config(
                spec, pool, service_account=nodes.email, disk_key=keys.key("disks").id, node_tag=network.node_tag,
                component="gpu-pools", node_labels={ACCELERATOR_LABEL: pool.accelerator},
                guest_accelerators=[guest_accelerator(spec, pool)],
                taints=[c.NodePoolNodeConfigTaintArgs(key=GPU_TAINT, value="present", effect="NO_SCHEDULE")],
                ephemeral_storage_local_ssd_config=c.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(
                    local_ssd_count=pool.local_ssds) if pool.local_ssds else None,
                secondary_boot_disks=[c.NodePoolNodeConfigSecondaryBootDiskArgs(
                    disk_image=pool.secondary_boot_disk.image, mode=pool.secondary_boot_disk.mode)]
                if pool.secondary_boot_disk else None,
                reservation_affinity=reservation_affinity(pool),
                flex_start=True if pool.flex_start else None,
            )
            self.pools[pool.name] = node_pool(
                f"{name}-{pool.name}", spec, pool, cluster=cluster.cluster, zones=pool_zones(spec, pool),
                config=config,
                location_policy="ANY" if (pool.spot or pool.flex_start or pool.queued_provisioning) else "BALANCED",
                parent=self,
                queued_provisioning=c.NodePoolQueuedProvisioningArgs(enabled=True) if pool.queued_provisioning else None,
                placement_policy=c.NodePoolPlacementPolicyArgs(type="COMPACT") if pool.compact_placement else None,
            )
        self.register_outputs({"pools": {n: p.name for n, p in self.pools.items()}})
