"""The Compute Engine quota a stack needs: at first apply, at rest and at maximum scale, per region.

A fresh project has little or no GPU quota; a first `pulumi up` that asks for more than the
project has fails half way. The review prints this table so quota is requested first.
CPU pools start with ``initial_node_count`` nodes *per zone* (components/platform/node_pools.py);
GPU pools start empty unless a reservation backs them (``initial_nodes_per_zone``), so a GPU
stockout never halts an apply: their nodes come when the endpoints' minimum replicas ask for
them (at rest) and the autoscaler may grow every pool to ``max_nodes`` in total. Spot, flex-start
and queued nodes use the PREEMPTIBLE_* quotas (https://cloud.google.com/compute/resource-usage).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from config.cluster import GpuPoolSpec, NodePoolSpec
from config.spec import PlatformSpec

LOCAL_SSD_GB = 375
# GKE creates a cluster with a default pool (e2-medium, 100 GB boot disk, one node per zone) and
# deletes it once created (remove_default_node_pool): first apply needs its quota for a while.
BOOTSTRAP_POOL = {"CPUS": 2, "SSD_TOTAL_GB": 100}
# Boot and persistent disk types -> the disk quota they count against.
DISK_QUOTA = {"pd-balanced": "SSD_TOTAL_GB", "pd-ssd": "SSD_TOTAL_GB", "pd-standard": "DISKS_TOTAL_GB",
              "hyperdisk-balanced": "HDB_TOTAL_GB"}


@dataclass(frozen=True)
class QuotaNeed:
    scope: str  # the region, or "global"
    metric: str
    first_apply: int
    at_rest: int
    at_max: int
    pools: tuple[str, ...]


def created_empty(pool: NodePoolSpec) -> bool:
    """A GPU pool without a reservation is created with no node: GKE's create waits for the initial nodes, and
    a GPU stockout (ZONE_RESOURCE_POOL_EXHAUSTED) would fail it and halt the apply half way. Its nodes come
    from the autoscaler, as the endpoints' minimum replicas ask for them."""
    return isinstance(pool, GpuPoolSpec) and pool.reservation is None


def initial_nodes_per_zone(pool: NodePoolSpec, zones: int) -> int:
    """What a pool is created with in each of its zones: enough that all zones together reach min_nodes
    (none for a GPU pool without a reservation: ``created_empty``)."""
    return 0 if created_empty(pool) else math.ceil(pool.min_nodes / zones)


def _preemptible(pool: NodePoolSpec) -> bool:
    return pool.spot or (isinstance(pool, GpuPoolSpec) and (pool.flex_start or pool.queued_provisioning))


def quota_needs(spec: PlatformSpec, rest: dict[str, int] | None = None) -> list[QuotaNeed]:
    """Per metric: units at first apply, at rest (``rest``: a pool's nodes at minimum scale, Plan.rest_nodes)
    and at maximum scale, and the pools that need them."""
    rest = rest or {}
    first: dict[tuple[str, str], int] = defaultdict(int)
    resting: dict[tuple[str, str], int] = defaultdict(int)
    peak: dict[tuple[str, str], int] = defaultdict(int)
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    region = spec.region
    pools = [(p, list(spec.env.zones)) for p in spec.env.cpu_pools]
    pools += [(p, spec.gpu_pool_zones(p)) for p in spec.env.gpu_pools]
    bootstrap_zones = len(spec.env.zones)
    for metric, amount in BOOTSTRAP_POOL.items():
        first[(region, metric)] += amount * bootstrap_zones
        users[(region, metric)].add("(default pool)")
    first[("global", "CPUS_ALL_REGIONS")] += BOOTSTRAP_POOL["CPUS"] * bootstrap_zones
    users[("global", "CPUS_ALL_REGIONS")].add("(default pool)")
    for pool, zones in pools:
        nodes_first = initial_nodes_per_zone(pool, len(zones)) * len(zones)
        nodes_rest = max(pool.min_nodes, rest.get(pool.name, 0))
        prefix = "PREEMPTIBLE_" if _preemptible(pool) else ""
        vcpus = spec.machine_shapes[pool.machine_type][0]
        family = pool.machine_type.split("-")[0]
        per_node = {f"{prefix}CPUS" if prefix else spec.catalog.machines.cpu_quota[family]: vcpus,
                    DISK_QUOTA[pool.disk_type]: pool.disk_size_gb}
        if isinstance(pool, GpuPoolSpec):
            metric = spec.catalog.accelerators.accelerators[pool.accelerator].quota_metric
            per_node[f"{prefix}{metric}"] = pool.gpus_per_node
            if pool.local_ssds:
                per_node["PREEMPTIBLE_LOCAL_SSD_GB" if prefix else "LOCAL_SSD_TOTAL_GB"] = pool.local_ssds * LOCAL_SSD_GB
        for metric, amount in per_node.items():
            key = (region, metric)
            first[key] += amount * nodes_first
            resting[key] += amount * nodes_rest
            peak[key] += amount * pool.max_nodes
            users[key].add(pool.name)
        for metric, amount in (("CPUS_ALL_REGIONS", vcpus),
                               ("GPUS_ALL_REGIONS", pool.gpus_per_node if isinstance(pool, GpuPoolSpec) else 0)):
            if amount:
                key = ("global", metric)
                first[key] += amount * nodes_first
                resting[key] += amount * nodes_rest
                peak[key] += amount * pool.max_nodes
                users[key].add(pool.name)
    return [QuotaNeed(scope, metric, first[(scope, metric)], resting[(scope, metric)], peak[(scope, metric)],
                      tuple(sorted(users[(scope, metric)])))
            for scope, metric in sorted(set(first) | set(peak), key=lambda k: (k[0] == "global", k[1]))]
