"""GPU node pools: one autoscaled pool per `gpu_pools` entry, tainted so only GPU workloads land there.

A pool that preloads the serving image gets a secondary boot disk in CONTAINER_IMAGE_CACHE mode from the disk image
built for the pinned vLLM tag (docs/cold-start.md). The disk image is read, not created: a missing one fails the
preview before any pool changes, and each pool waits for it. GKE serves the cache through image streaming (the
node config enables it for every pool); changing the disk image replaces the pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import ACCELERATOR_LABEL, GPU_TAINT, component_type, formerly
from components.platform.node_pools import NodeSettings, node_config, node_pool
from config.cluster import GpuPoolSpec
from config.naming import Naming


@dataclass(frozen=True)
class PlacedGpuPool:
    """A GPU pool and the zones it runs in (configured, or the environment's zones offering its GPU)."""

    spec: GpuPoolSpec
    zones: tuple[str, ...]
    disk_image: str | None = None  # projects/<project>/global/images/<name>: the serving image preloaded


@dataclass(frozen=True)
class GpuNodePoolsArgs:
    naming: Naming
    cluster_name: pulumi.Input[str]
    location: str
    nodes: NodeSettings
    gpu_driver: str  # GKE-managed driver version (DEFAULT, LATEST)
    pools: tuple[PlacedGpuPool, ...]


def guest_accelerator(pool: GpuPoolSpec, driver: str) -> gcp.container.NodePoolNodeConfigGuestAcceleratorArgs:
    sharing = pool.sharing
    return gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
        type=pool.accelerator,
        count=pool.gpus_per_node,
        gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
            gpu_driver_version=driver),
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
    """The environment's GPU pools; output ``names`` maps pool to node pool name."""

    def __init__(self, name: str, args: GpuNodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "GpuNodePools"), name, None, formerly(opts, "ai-platform:gke:GpuNodePools"))
        c = gcp.container
        names: dict[str, pulumi.Output[str]] = {}
        images: dict[str, gcp.compute.Image] = {}
        for image in sorted({p.disk_image for p in args.pools if p.disk_image}):
            images[image] = gcp.compute.Image.get(f"{name}-disk-image-{image.rsplit('/', 1)[-1]}", image,
                                                  opts=pulumi.ResourceOptions(parent=self))
        for placed in args.pools:
            pool = placed.spec
            config = node_config(
                pool, args.nodes, resource_labels=args.naming.labels("gpu-pools"),
                node_labels={ACCELERATOR_LABEL: pool.accelerator},
                guest_accelerators=[guest_accelerator(pool, args.gpu_driver)],
                taints=[c.NodePoolNodeConfigTaintArgs(key=GPU_TAINT, value="present", effect="NO_SCHEDULE")],
                ephemeral_storage_local_ssd_config=c.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(
                    local_ssd_count=pool.local_ssds) if pool.local_ssds else None,
                secondary_boot_disks=[c.NodePoolNodeConfigSecondaryBootDiskArgs(
                    disk_image=images[placed.disk_image].id, mode="CONTAINER_IMAGE_CACHE")]
                if placed.disk_image else None,
                reservation_affinity=reservation_affinity(pool),
                flex_start=True if pool.flex_start else None,
            )
            names[pool.name] = node_pool(
                f"{name}-{pool.name}", pool, project=args.naming.project, cluster=args.cluster_name,
                location=args.location, zones=list(placed.zones), config=config,
                location_policy="ANY" if (pool.spot or pool.flex_start or pool.queued_provisioning) else "BALANCED",
                parent=self, auto_repair=not pool.queued_provisioning,
                queued_provisioning=c.NodePoolQueuedProvisioningArgs(enabled=True) if pool.queued_provisioning else None,
                placement_policy=c.NodePoolPlacementPolicyArgs(type="COMPACT") if pool.compact_placement else None,
            ).name
        self.names = names
        self.register_outputs({"names": names})
