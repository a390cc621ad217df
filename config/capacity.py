"""Capacity and cost of the node pools, computed from the spec and the price catalog.

Monthly figures are ``hourly x hours_per_month`` (730) at the pool's minimum and maximum
node counts; spot pools use spot prices. Used by the review and the tenant capacity check.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.cluster import GpuPoolSpec, NodePoolSpec
from config.model import PlatformSpec


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

    @property
    def gpus_at_max(self) -> int:
        return self.gpus_per_node * self.max_nodes

    @property
    def monthly_min(self) -> float:
        return self.node_hourly * self.min_nodes * self.hours_per_month

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


def pools(spec: PlatformSpec) -> list[PoolCapacity]:
    """Every node pool of the environment, CPU first, in config order."""
    hours = spec.catalog.prices.hours_per_month
    out = []
    for pool in spec.env.cpu_pools:
        out.append(PoolCapacity(pool.name, "cpu", pool.machine_type, None, 0, None, pool.min_nodes, pool.max_nodes,
                                pool.spot, _hourly(spec, pool), hours))
    for pool in spec.env.gpu_pools:
        shape = spec.catalog.accelerators.accelerators[pool.accelerator].machines[pool.machine_type]
        out.append(PoolCapacity(pool.name, "gpu", pool.machine_type, pool.accelerator, pool.gpus_per_node,
                                shape.vcpus, pool.min_nodes, pool.max_nodes, pool.spot, _hourly(spec, pool), hours))
    return out


def cluster_fee_monthly(spec: PlatformSpec) -> float:
    prices = spec.catalog.prices
    return prices.regions[spec.region].gke_cluster_hour * prices.hours_per_month


def compute_totals(spec: PlatformSpec) -> tuple[float, float]:
    """(monthly at minimum scale, monthly at maximum scale), cluster fee included."""
    fee = cluster_fee_monthly(spec)
    return (fee + sum(p.monthly_min for p in pools(spec)), fee + sum(p.monthly_max for p in pools(spec)))


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
    out.append(DataCost("Filestore model cache", f"{fs.capacity_gb} GiB {fs.tier}",
                        fs.capacity_gb * prices.filestore_gb_month[fs.tier]))
    db = data.database
    ha = 2 if db.availability == "REGIONAL" else 1
    tier = prices.cloudsql[db.tier]
    out.append(DataCost("Cloud SQL PostgreSQL 16", f"{db.tier} {db.availability}, {db.disk_size_gb} GB SSD",
                        ha * (tier.hourly * hours + db.disk_size_gb * prices.cloudsql_storage_gb_month)))
    return out
