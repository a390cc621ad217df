"""Disaster recovery, derived: the standby's pools, what each data class loses and how long the platform
takes to serve again per mode (RPO and RTO, from what is built and config/catalog/recovery.yaml), and
what the DR region costs a month. docs/dr.md prints the same figures; the review's DR table too."""

from __future__ import annotations

from dataclasses import dataclass

from config.catalog import Figure
from config.cluster import CpuPoolSpec, GpuPoolSpec
from config.spec import PlatformSpec
from plan.capacity import DataCost, _hourly

# Buckets whose contents cannot be re-created in time: the models (re-downloading 140 GB is an hour) and the
# backups. Each tenant's bucket too (layers/recovery.py). The audit bucket is WORM and stays where it is.
REPLICATED_BUCKETS = ("models", "backups")
SYSTEM_POOL = "system"


def standby_pools(spec: PlatformSpec) -> tuple[tuple[CpuPoolSpec, ...], tuple[tuple[GpuPoolSpec, tuple[str, ...]], ...]]:
    """The warm standby's pools: the primary's shapes, the system pool at its size and every other pool at
    zero nodes, until failover raises them to their minimums. GPU pools run in the DR zones that offer their
    accelerator; reservations are zonal and stay with the primary."""
    dr, env = spec.env.dr, spec.env
    serving = dr.failed_over
    cpu = tuple(p if p.name == SYSTEM_POOL or serving else p.model_copy(update={"min_nodes": 0})
                for p in env.cpu_pools)
    gpu = []
    for pool in env.gpu_pools:
        offered = set(spec.catalog.accelerators.accelerators[pool.accelerator].zones.get(dr.secondary_region, []))
        zones = tuple(z for z in dr.zones or () if z in offered)
        gpu.append((pool.model_copy(update={"min_nodes": pool.min_nodes if serving else 0, "reservation": None,
                                            "zones": list(zones)}), zones))
    return cpu, tuple(gpu)


@dataclass(frozen=True)
class Step:
    what: str
    seconds: float
    source: str
    otherwise: float | None = None  # what it takes if an unverified assumption fails (said in ``source``)


@dataclass(frozen=True)
class DataObjective:
    data: str
    comes_back_from: str
    rpo: str  # what can be lost, in words (some are bounded by a schedule, some by replication)
    rpo_seconds: float
    ready_seconds: float  # from the decision to fail over until it is usable in the DR region


def slowest_replica(spec: PlatformSpec) -> Step:
    """The slowest endpoint's new replica on a new node (the standby's GPU pools start at zero). Where its pool
    preloads the image from a secondary boot disk, ``otherwise`` is the same start with the image pulled whole:
    preloading has not been measured with a CMEK image cache yet (docs/cold-start.md)."""
    from plan import Plan

    plan = Plan.of(spec)
    starts = plan.cold_starts()
    if not starts:
        return Step("no endpoint to start", 0, "no inference endpoint on this stack")
    key = max(starts, key=lambda k: starts[k].new_node_seconds)
    pulled = max(plan.cold_starts(pulled=True).values(), key=lambda s: s.new_node_seconds).new_node_seconds
    preloaded = pulled != starts[key].new_node_seconds
    return Step(f"the slowest endpoint ({key}) serves on a new node", starts[key].new_node_seconds,
                "Plan.recovery_seconds(): node, image, weights and warm-up (plan/coldstart.py, docs/cold-start.md)"
                + ("; the longer figure if the preloaded image is not used and every image is pulled" if preloaded else ""),
                otherwise=pulled if preloaded else None)


def failover_steps(spec: PlatformSpec) -> list[Step]:
    """The steps from the decision to fail over until every endpoint serves, in order (docs/dr.md). One `pulumi up`
    with the switch on runs the first two: the database promotion and the restore Job side by side (the longer
    counts), then the Kubernetes side moving onto what the restore brought back; then the slowest endpoint starts
    and clients follow the hostnames."""
    dr, figures = spec.env.dr, spec.catalog.recovery
    steps = []
    if dr.mode == "pilot_light":
        steps.append(_step("create the DR cluster (mode raised to warm_standby)", figures.cluster_create_seconds))
    promote, restore = figures.sql_promotion_seconds, figures.restore_seconds
    longer = max((promote, "promote the database replica"), (restore, "restore the tenants' namespaces"),
                 key=lambda x: x[0].value)
    steps.append(Step(f"the switch: {longer[1]} (in parallel with the "
                      f"{'restore' if longer[0] is promote else 'promotion'})", longer[0].value, longer[0].source))
    steps.append(_step("the switch: the Kubernetes side moves to the standby, the hostnames to its gateway",
                       figures.switch_apply_seconds))
    steps.append(slowest_replica(spec))
    steps.append(Step("clients follow the hostnames' new records", dr.dns_ttl_seconds, "dr.dns_ttl_seconds"))
    return steps


def _step(what: str, figure: Figure) -> Step:
    return Step(what, figure.value, figure.source)


def rto_seconds(spec: PlatformSpec, *, otherwise: bool = False) -> float:
    """The steps' sum; ``otherwise``: with each step's longer figure where an assumption may fail."""
    return sum((s.otherwise or s.seconds) if otherwise else s.seconds for s in failover_steps(spec))


def objectives(spec: PlatformSpec) -> list[DataObjective]:
    """RPO and readiness per data class (what a mode does not protect says so)."""
    dr, figures = spec.env.dr, spec.catalog.recovery
    if not dr.active:
        return [DataObjective("everything", "nothing (no DR region)", "all since the region failed", float("inf"),
                              float("inf"))]
    lag, copy = figures.sql_replication_lag_seconds.value, figures.bucket_replication_seconds.value
    rpo_backup = dr.backup.rpo_minutes * 60
    restore, promote = figures.restore_seconds.value, figures.sql_promotion_seconds.value
    return [
        DataObjective("Cloud SQL (platform and tenant databases)", "the promoted cross-region replica",
                      f"replication lag (alerted above {lag:g} s)", lag, promote),
        DataObjective("tenants' Kubernetes objects and volumes (Qdrant)",
                      "Backup for GKE, stored in the DR region (volume backups stay under the primary region's disk "
                      "key: restoring them needs its Cloud KMS reachable, docs/dr.md)",
                      f"up to {dr.backup.rpo_minutes} min (the backup schedule)", rpo_backup, restore),
        DataObjective("tenants' buckets, the backups bucket", "their replicated twins",
                      "minutes (objects over 1 GiB: hours)", copy, 0),
        DataObjective("model weights", "the models bucket's twin; a revision loaded in the hours before the outage "
                      "(weight files are over 1 GiB: hours to replicate) is loaded again from its source",
                      "none: re-loadable", 0, 0),
        DataObjective("secrets", "their twins in the DR region (same values, written by the same apply)",
                      "none: both are written together", 0, 0),
    ]


def monthly(spec: PlatformSpec, *, keys: int, secrets: int) -> list[DataCost]:
    """The DR region's monthly cost at rest (priced at the primary region's list prices: the catalog has one
    region's; DR regions are usually within a few percent). ``keys`` and ``secrets``: the DR region's counts."""
    dr, env = spec.env.dr, spec.env
    if not dr.active:
        return []
    prices, hours = spec.catalog.prices.regions[spec.region], spec.catalog.prices.hours_per_month
    out = []
    if dr.standby_cluster:
        out.append(DataCost("standby cluster fee", "regional", prices.gke_cluster_hour * hours))
        cpu, gpu = standby_pools(spec)
        for pool in [*cpu, *(p for p, _ in gpu)]:
            if pool.min_nodes:
                out.append(DataCost(f"standby pool {pool.name}", f"{pool.min_nodes} × {pool.machine_type}",
                                    pool.min_nodes * _hourly(spec, pool) * hours))
    db = env.data.database
    replica_ha = 2 if dr.failed_over and db.availability == "REGIONAL" else 1
    out.append(DataCost("Cloud SQL replica", f"{db.tier}, {db.disk_size_gb} GB SSD",
                        replica_ha * (prices.cloudsql[db.tier].hourly * hours
                                      + db.disk_size_gb * prices.cloudsql_storage_gb_month)))
    buckets = env.data.storage.buckets
    replicated = [b for name, b in buckets.items() if name in REPLICATED_BUCKETS]
    size = sum(b.expected_gb for b in replicated)
    out.append(DataCost("bucket twins", f"{size} GB (models, backups) + tenants' buckets",
                        sum(b.expected_gb * prices.storage_gb_month[b.storage_class] for b in replicated)))
    level = env.encryption.protection_level
    out.append(DataCost("Cloud KMS keys (DR region)", f"{keys} {level} keys", keys * prices.kms_key_version_month[level]))
    out.append(DataCost("Secret Manager twins", f"{secrets} secrets", secrets * prices.secret_version_month))
    out.append(DataCost("Artifact Registry caches (DR region)", f"{env.image_supply.expected_gb} GB",
                        env.image_supply.expected_gb * prices.artifact_registry_gb_month))
    return out
