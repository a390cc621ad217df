"""What every node pool shares: hardened node config and autoscaled, surge-upgraded pools.

Used by the Cluster (CPU pools) and GpuNodePools. Node counts are totals across the pool's
zones (``total_min/max_node_count``), so capacity and cost figures read directly off config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.conventions import POOL_LABEL
from config.cluster import NodePoolSpec
from plan.project_quota import initial_nodes_per_zone

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class NodeSettings:
    """What every node of the cluster shares: identity, boot disk key, network tag, GCP labels."""

    service_account: pulumi.Input[str]
    disk_key: pulumi.Input[str]
    node_tag: str


def node_config(pool: NodePoolSpec, nodes: NodeSettings, *, resource_labels: dict[str, str],
                node_labels: dict[str, str] | None = None, **extra: Any) -> gcp.container.NodePoolNodeConfigArgs:
    """COS containerd, shielded (secure boot + integrity), GKE metadata server, CMEK boot disk, image streaming."""
    return gcp.container.NodePoolNodeConfigArgs(
        machine_type=pool.machine_type,
        disk_type=pool.disk_type,
        disk_size_gb=pool.disk_size_gb,
        boot_disk_kms_key=nodes.disk_key,
        image_type="COS_CONTAINERD",
        spot=pool.spot,
        service_account=nodes.service_account,
        oauth_scopes=[CLOUD_PLATFORM],
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True),
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        gcfs_config=gcp.container.NodePoolNodeConfigGcfsConfigArgs(enabled=True),
        gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True),
        metadata={"disable-legacy-endpoints": "true"},
        tags=[nodes.node_tag],
        labels={POOL_LABEL: pool.name, **(node_labels or {})},
        resource_labels=resource_labels,
        **extra,
    )


def node_pool(resource_name: str, pool: NodePoolSpec, *, project: str, cluster: pulumi.Input[str], location: str,
              zones: list[str], config: gcp.container.NodePoolNodeConfigArgs, location_policy: str,
              parent: pulumi.Resource, auto_repair: bool = True, **extra: Any) -> gcp.container.NodePool:
    """An autoscaled pool with auto-repair, auto-upgrade and surge upgrades that never drop capacity.

    Queued-provisioning pools pass ``auto_repair=False``: their nodes live for one request and
    GKE's documented setup turns repair off for them.
    """
    return gcp.container.NodePool(
        resource_name,
        name=pool.name,
        project=project,
        cluster=cluster,
        location=location,
        node_locations=zones,
        initial_node_count=initial_nodes_per_zone(pool, len(zones)),  # per zone: GKE multiplies by the zones
        autoscaling=gcp.container.NodePoolAutoscalingArgs(
            total_min_node_count=pool.min_nodes, total_max_node_count=pool.max_nodes,
            location_policy=location_policy),
        management=gcp.container.NodePoolManagementArgs(auto_repair=auto_repair, auto_upgrade=True),
        upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
            strategy="SURGE", max_surge=pool.max_surge, max_unavailable=0),
        node_config=config,
        # initial_node_count only matters at creation; the autoscaler owns the count afterwards.
        # A pool's name is fixed: a replacement must delete the old pool before creating the new one.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["initialNodeCount"], delete_before_replace=True),
        **extra,
    )
