"""Capacity and cost of the node pools, computed from the spec and the price catalog.

Monthly figures are ``hourly x hours_per_month`` (730) at the pool's nodes at rest and at its
maximum; spot pools use spot prices. At rest a pool runs the larger of its configured minimum and
what its always-on pods need: the endpoints' minimum replicas (whole GPU units, packed onto nodes)
and the GenBI parts on the tenant pool (``Plan.rest_nodes``). Used by the review and the tenant
capacity check (config/checks/capacity.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from config.cluster import GpuPoolSpec, NodePoolSpec
from config.spec import PlatformSpec
from plan.project_quota import initial_nodes_per_zone
from plan.sizing import MIG_SLICES
from plan.tenant_quota import Quota


@dataclass(frozen=True)
class PoolCapacity:
    name: str
    kind: str  # "cpu" or "gpu"
    machine_type: str
    accelerator: str | None
    gpus_per_node: int
    vcpus_per_node: int | None
    min_nodes: int
    max_nodes: int
    spot: bool
    node_hourly: float
    hours_per_month: int
    rest_nodes: int  # nodes at minimum scale: the configured minimum, or more where always-on pods need them
    created_nodes: int  # nodes the pool is created with (none for a GPU pool without a reservation)

    @property
    def gpus_at_max(self) -> int:
        return self.gpus_per_node * self.max_nodes

    @property
    def monthly_min(self) -> float:
        return self.node_hourly * self.rest_nodes * self.hours_per_month

    @property
    def monthly_max(self) -> float:
        return self.node_hourly * self.max_nodes * self.hours_per_month


def _hourly(spec: PlatformSpec, pool: NodePoolSpec) -> float:
    prices = spec.catalog.prices.regions[spec.region]
    kind = "spot" if pool.spot else "on_demand"
    hourly = getattr(prices.machines[pool.machine_type], kind)
    if isinstance(pool, GpuPoolSpec):
        hourly += pool.gpus_per_node * getattr(prices.gpus[pool.accelerator], kind)
    return hourly


def pools(spec: PlatformSpec, rest: dict[str, int] | None = None) -> list[PoolCapacity]:
    """Every node pool of the environment, CPU first, in config order. ``rest``: nodes each pool needs at
    minimum scale for its always-on pods (``Plan.rest_nodes``); without it, the configured minimums."""
    hours, rest = spec.catalog.prices.hours_per_month, rest or {}
    out = []
    for pool in spec.env.cpu_pools:
        zones = len(spec.env.zones)
        out.append(PoolCapacity(pool.name, "cpu", pool.machine_type, None, 0, None, pool.min_nodes, pool.max_nodes,
                                pool.spot, _hourly(spec, pool), hours, max(pool.min_nodes, rest.get(pool.name, 0)),
                                initial_nodes_per_zone(pool, zones) * zones))
    for pool in spec.env.gpu_pools:
        zones = len(spec.gpu_pool_zones(pool))
        out.append(PoolCapacity(pool.name, "gpu", pool.machine_type, pool.accelerator, pool.gpus_per_node,
                                shape(spec, pool.machine_type)[0], pool.min_nodes, pool.max_nodes, pool.spot,
                                _hourly(spec, pool), hours, max(pool.min_nodes, rest.get(pool.name, 0)),
                                initial_nodes_per_zone(pool, zones) * zones))
    return out


def allocatable(vcpus: int, memory_gib: float) -> tuple[float, float]:
    """(cores, GiB) a GKE Standard node offers pods: its shape less what GKE reserves for the kubelet and the
    system (a share of each CPU tier and memory tier) and the 100 MiB eviction threshold.
    https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#cpu_reservations"""
    cpu_tiers = ((1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025))
    memory_tiers = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (math.inf, 0.02))

    def reserved(amount: float, tiers: tuple[tuple[float, float], ...]) -> float:
        out = 0.0
        for size, share in tiers:
            portion = min(amount, size)
            out, amount = out + portion * share, amount - portion
            if amount <= 0:
                break
        return out

    return vcpus - reserved(vcpus, cpu_tiers), memory_gib - reserved(memory_gib, memory_tiers) - 100 / 1024


def packed_nodes(sizes: Iterable[float], capacity: float) -> int:
    """Nodes of ``capacity`` that hold items of ``sizes`` (each on one node), packed first-fit decreasing."""
    free: list[float] = []
    for size in sorted(sizes, reverse=True):
        for i, room in enumerate(free):
            if size <= room + 1e-9:
                free[i] -= size
                break
        else:
            free.append(capacity - size)
    return len(free)


def cluster_fee_monthly(spec: PlatformSpec) -> float:
    prices = spec.catalog.prices
    return prices.regions[spec.region].gke_cluster_hour * prices.hours_per_month


def compute_totals(spec: PlatformSpec, rest: dict[str, int] | None = None) -> tuple[float, float]:
    """(monthly at minimum scale, monthly at maximum scale), cluster fee included."""
    fee, capacities = cluster_fee_monthly(spec), pools(spec, rest)
    return fee + sum(p.monthly_min for p in capacities), fee + sum(p.monthly_max for p in capacities)


@dataclass(frozen=True)
class DataCost:
    item: str
    sizing: str
    monthly: float


def data_costs(spec: PlatformSpec) -> list[DataCost]:
    """Buckets (expected size x class price), Filestore (provisioned GiB), Cloud SQL (tier + SSD; HA doubles)."""
    prices = spec.catalog.prices.regions[spec.region]
    hours = spec.catalog.prices.hours_per_month
    data = spec.env.data
    out = [DataCost(f"bucket {purpose}", f"{b.expected_gb} GB {b.storage_class}",
                    b.expected_gb * prices.storage_gb_month[b.storage_class])
           for purpose, b in data.storage.buckets.items()]
    fs = data.filestore
    if fs is not None:
        out.append(DataCost("Filestore model cache", f"{fs.capacity_gb} GiB {fs.tier}",
                            fs.capacity_gb * prices.filestore_gb_month[fs.tier]))
    db = data.database
    ha = 2 if db.availability == "REGIONAL" else 1
    tier = prices.cloudsql[db.tier]
    out.append(DataCost("Cloud SQL PostgreSQL", f"{db.tier} {db.availability}, {db.disk_size_gb} GB SSD",
                        ha * (tier.hourly * hours + db.disk_size_gb * prices.cloudsql_storage_gb_month)))
    return out


def service_costs(spec: PlatformSpec, *, keys: int, secrets: int) -> list[DataCost]:
    """KMS keys (one active version each), secrets (one version each) and the image caches."""
    prices = spec.catalog.prices.regions[spec.region]
    level = spec.env.encryption.protection_level
    images = spec.env.image_supply.expected_gb
    return [
        DataCost("Cloud KMS keys", f"{keys} {level} keys, one active version each",
                 keys * prices.kms_key_version_month[level]),
        DataCost("Secret Manager", f"{secrets} secrets, one version each", secrets * prices.secret_version_month),
        DataCost("Artifact Registry caches", f"{images} GB cached images", images * prices.artifact_registry_gb_month),
    ]


def gpu_units_per_node(pool: GpuPoolSpec) -> int:
    """``nvidia.com/gpu`` a node advertises: GPUs x time-sharing clients, or MIG slices per GPU."""
    if pool.mig_partition:
        return pool.gpus_per_node * MIG_SLICES[pool.mig_partition.split(".")[0]]
    if pool.sharing:
        return pool.gpus_per_node * pool.sharing.max_clients
    return pool.gpus_per_node


def shape(spec: PlatformSpec, machine_type: str) -> tuple[int, float]:
    """(vCPUs, memory GiB) of a machine type, from the catalog (checked to know every pool's shape)."""
    return spec.machine_shapes[machine_type]


@dataclass(frozen=True)
class Capacity:
    gpus: dict[str, float]  # accelerator -> quota units at max scale, with overcommit
    cpu: float
    memory_gi: float
    explain: dict[str, str]


def tenant_capacity(spec: PlatformSpec) -> Capacity:
    """What tenants may reserve at the pools' maximum scale, times the environment's overcommit."""
    tenancy = spec.env.tenancy
    gpus: dict[str, float] = {}
    explain: dict[str, list[str]] = {}
    cpu = memory = 0.0
    for pool in spec.env.gpu_pools:
        units = gpu_units_per_node(pool) * pool.max_nodes
        gpus[pool.accelerator] = gpus.get(pool.accelerator, 0) + units * tenancy.gpu_overcommit
        explain.setdefault(pool.accelerator, []).append(f"pool '{pool.name}' {pool.max_nodes} nodes × "
                                                        f"{gpu_units_per_node(pool)} units")
        vcpus, mem = shape(spec, pool.machine_type)
        cpu, memory = cpu + vcpus * pool.max_nodes, memory + mem * pool.max_nodes
    for pool in spec.env.cpu_pools:
        if pool.serves_tenants:
            vcpus, mem = shape(spec, pool.machine_type)
            cpu, memory = cpu + vcpus * pool.max_nodes, memory + mem * pool.max_nodes
            explain.setdefault("cpu", []).append(f"pool '{pool.name}' {pool.max_nodes} × {vcpus} vCPU")
    return Capacity(gpus, cpu * tenancy.cpu_overcommit, memory * tenancy.memory_overcommit,
                    {k: " + ".join(v) for k, v in explain.items()})


def replica_hourly(spec: PlatformSpec, pool_name: str, units: int) -> float:
    """What one serving replica costs an hour: its share of its GPU pool's node (``units`` of its
    ``nvidia.com/gpu``), at the pool's prices (spot where the pool is)."""
    (pool,) = [p for p in spec.env.gpu_pools if p.name == pool_name]
    return _hourly(spec, pool) / gpu_units_per_node(pool) * units


def tenant_monthly(spec: PlatformSpec, quota: Quota) -> float:
    """Showback: the quota priced at the cheapest pool per GPU unit and per vCPU, plus storage."""
    hours = spec.catalog.prices.hours_per_month
    total = 0.0
    for kind, count in quota.gpus.items():
        pools = [p for p in spec.env.gpu_pools if p.accelerator == kind]
        per_unit = min(_hourly(spec, p) / gpu_units_per_node(p) for p in pools) if pools else 0.0
        total += count * per_unit * hours
    cpu_pools = [p for p in spec.env.cpu_pools if p.serves_tenants] or list(spec.env.cpu_pools)
    per_vcpu = min(_hourly(spec, p) / shape(spec, p.machine_type)[0] for p in cpu_pools)
    total += quota.cpu * per_vcpu * hours
    total += quota.storage_gi * spec.catalog.prices.regions[spec.region].storage_gb_month["STANDARD"]
    return total
