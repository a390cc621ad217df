"""Capacity and cost of the node pools, computed from the spec and the price catalog.

Monthly figures are ``hourly x hours_per_month`` (730) at the pool's minimum and maximum
node counts; spot pools use spot prices. Used by the review and the tenant capacity check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.cluster import GpuPoolSpec, NodePoolSpec
from config.errors import ConfigError
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
        out.append(PoolCapacity(pool.name, "gpu", pool.machine_type, pool.accelerator, pool.gpus_per_node,
                                shape(spec, pool.machine_type)[0], pool.min_nodes, pool.max_nodes, pool.spot,
                                _hourly(spec, pool), hours))
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


MIG_SLICES = {"1g": 7, "2g": 3, "3g": 2, "4g": 1, "7g": 1}


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


def shared_needs(spec: PlatformSpec):
    """What the shared inference endpoints hold at maximum scale, outside every tenant quota."""
    from config.endpoints import endpoint_needs
    from config.tenancy import Needs

    return sum((endpoint_needs(spec.shared_sizing(e)) for e in spec.env.inference.endpoints), Needs())


SHARED = "(shared endpoints)"


def check_capacity(spec: PlatformSpec) -> None:
    """Refuse tenants whose quotas (plus the shared endpoints) exceed what the pools can hold, with a
    table and the fix."""
    capacity = tenant_capacity(spec)
    quotas = {t.name: spec.quota(t) for t in spec.tenants}
    tiers = {t.name: t.tier for t in spec.tenants}
    shared = shared_needs(spec)
    env_file = f"config/environments/{spec.environment}.yaml"
    kinds = sorted({k for q in quotas.values() for k in q.gpus} | set(shared.gpus))
    demands = {kind: sum(q.gpus.get(kind, 0) for q in quotas.values()) + shared.gpus.get(kind, 0) for kind in kinds}
    for kind, demand in demands.items():
        available = capacity.gpus.get(kind, 0)
        if demand > available:
            pools = [p for p in spec.env.gpu_pools if p.accelerator == kind]
            rows = [[name, tiers[name], q.gpus.get(kind, 0), q.sources["gpus"]]
                    for name, q in quotas.items() if q.gpus.get(kind)]
            if shared.gpus.get(kind):
                rows.append([SHARED, "-", shared.gpus[kind], "sizing"])
            if pools:
                biggest = max(pools, key=gpu_units_per_node)
                missing = (demand - available) / spec.env.tenancy.gpu_overcommit
                grow = math.ceil(missing / gpu_units_per_node(biggest)) + biggest.max_nodes
                fix = (f"grow gpu_pools '{biggest.name}' max_nodes in {env_file} to at least {grow}, "
                       f"raise tenancy.gpu_overcommit, or shrink {_largest(quotas, lambda q, k=kind: q.gpus.get(k, 0))}")
            else:
                fix = f"add a {kind} pool to gpu_pools in {env_file}, or remove {kind} from these tenants"
            raise ConfigError("config/tenants", "", _capacity_table(
                f"tenant GPU quotas for {kind} in stack {spec.stack} total {demand}, capacity is {available:g} "
                f"({capacity.explain.get(kind, 'no pool')}, overcommit {spec.env.tenancy.gpu_overcommit:g})",
                ["tenant", "tier", f"{kind} quota", "from"], rows, fix))
    for key, label, available, knob, held in (
            ("cpu", "CPU", capacity.cpu, "cpu_overcommit", shared.cpu),
            ("memory_gi", "memory (GiB)", capacity.memory_gi, "memory_overcommit", shared.memory_gi)):
        demand = sum(getattr(q, key) for q in quotas.values()) + held
        if demand > available:
            rows = [[name, tiers[name], getattr(q, key), q.sources[key]] for name, q in quotas.items()]
            if held:
                rows.append([SHARED, "-", held, "sizing"])
            raise ConfigError("config/tenants", "", _capacity_table(
                f"tenant {label} quotas in stack {spec.stack} total {demand:g}, capacity is {available:g} "
                f"(pools with serves_tenants and GPU pools at max_nodes, {knob} "
                f"{getattr(spec.env.tenancy, knob):g})", ["tenant", "tier", label, "from"], rows,
                f"grow a pool with serves_tenants in {env_file}, raise tenancy.{knob}, or shrink "
                f"{_largest(quotas, lambda q, k=key: getattr(q, k))}"))


def _largest(quotas: dict, amount) -> str:
    """The tenant holding the most of a resource, as the first one to shrink."""
    if not quotas or not max(amount(q) for q in quotas.values()):
        return "the shared endpoints (inference.endpoints)"
    name = max(quotas, key=lambda n: amount(quotas[n]))
    return f"the largest quota, {name}'s ({amount(quotas[name]):g}), in config/tenants/{name}.yaml"


def _capacity_table(headline: str, headers: list[str], rows: list[list], fix: str) -> str:
    widths = [max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(headers)]
    lines = [headline, ("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))).rstrip()]
    lines += [("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))).rstrip() for r in rows]
    return "\n".join([*lines, f"fix: {fix}"])


def tenant_monthly(spec: PlatformSpec, quota) -> float:
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
