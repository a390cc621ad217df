"""Checks of an environment file against the catalog and the stack's region."""

from __future__ import annotations

from config.catalog import Accelerator
from config.checks.common import env_file, fail, unknown_accelerator
from config.cluster import GpuPoolSpec
from config.errors import ConfigError, did_you_mean
from config.spec import PlatformSpec
from plan.project_quota import created_empty

PRICES = "config/catalog/prices.yaml"


def zones_in_region(spec: PlatformSpec) -> None:
    known = spec.catalog.regions.regions[spec.region].zone_names(spec.region)
    for i, zone in enumerate(spec.env.zones):
        if zone not in known:
            raise fail(env_file(spec), ("zones", i), zone,
                       f"is not a zone of region {spec.region} (expected one of: {', '.join(known)})")


def cpu_machine_shapes(spec: PlatformSpec) -> None:
    """CPU pools use shapes the catalog knows (their vCPUs and memory feed the capacity check), and
    every pool's machine family has a known vCPU quota metric (the quota table)."""
    known, quota = spec.catalog.machines.machines, spec.catalog.machines.cpu_quota
    for i, pool in enumerate(spec.env.cpu_pools):
        if pool.machine_type not in known:
            hint = did_you_mean(pool.machine_type, known)
            raise fail(env_file(spec), ("cpu_pools", i, "machine_type"), pool.machine_type,
                       f"is not in config/catalog/machines.yaml ({hint}add its vCPUs and memory there)")
    for kind, pools in (("cpu_pools", spec.env.cpu_pools), ("gpu_pools", spec.env.gpu_pools)):
        for i, pool in enumerate(pools):
            family = pool.machine_type.split("-")[0]
            if family not in quota:
                raise fail(env_file(spec), (kind, i, "machine_type"), pool.machine_type,
                           f"has no vCPU quota metric for family {family} in config/catalog/machines.yaml "
                           "(add it under cpu_quota)")


def gpu_pools(spec: PlatformSpec) -> None:
    """Shape and GPU count, MIG, provisioning combinations GKE refuses, zones offering the GPU."""
    catalog = spec.catalog.accelerators.accelerators
    for i, pool in enumerate(spec.env.gpu_pools):
        def at(*path, value, message, i=i):
            return fail(env_file(spec), ("gpu_pools", i, *path), value, message)

        unknown = unknown_accelerator(spec, pool.accelerator)
        if unknown:
            raise at("accelerator", value=pool.accelerator, message=unknown)
        gpu = catalog[pool.accelerator]
        for check in (_shape, _partitioning, _provisioning, _zones):
            problem = check(pool, gpu, spec)
            if problem:
                path, value, message = problem
                raise at(*path, value=value, message=message)


def _shape(pool: GpuPoolSpec, gpu: Accelerator, spec: PlatformSpec):
    shape = gpu.machines.get(pool.machine_type)
    if shape is None:
        return ("machine_type",), pool.machine_type, \
            f"does not carry {pool.accelerator} (shapes that do: {', '.join(gpu.machines)})"
    if shape.gpus != pool.gpus_per_node:
        fits = [m for m, s in gpu.machines.items() if s.gpus == pool.gpus_per_node]
        return ("gpus_per_node",), pool.gpus_per_node, (
            f"does not match {pool.machine_type}, which carries {shape.gpus} "
            f"(shapes with {pool.gpus_per_node}: {', '.join(fits) or 'none'})")
    if pool.local_ssds > shape.local_ssds:
        return ("local_ssds",), pool.local_ssds, f"is more than {pool.machine_type} offers ({shape.local_ssds})"
    return None


def _partitioning(pool: GpuPoolSpec, gpu: Accelerator, spec: PlatformSpec):
    if pool.mig_partition is None:
        return None
    if not gpu.mig_partitions:
        return ("mig_partition",), pool.mig_partition, \
            f"cannot be used: {pool.accelerator} has no MIG support (use sharing: TIME_SHARING)"
    if pool.mig_partition not in gpu.mig_partitions:
        return ("mig_partition",), pool.mig_partition, \
            f"is not a MIG profile of {pool.accelerator} (expected one of: {', '.join(gpu.mig_partitions)})"
    return None


def _provisioning(pool: GpuPoolSpec, gpu: Accelerator, spec: PlatformSpec):
    specific = pool.reservation is not None and pool.reservation.affinity == "SPECIFIC_RESERVATION"
    if pool.reservation and specific != bool(pool.reservation.name):
        return ("reservation", "name"), pool.reservation.name, \
            "is required with SPECIFIC_RESERVATION and not allowed with ANY_RESERVATION"
    # Flex-start alone, queued provisioning alone (older form) or both: GKE documents "flex-start
    # with queued provisioning" as one mode (kubernetes-engine/docs/how-to/provisioningrequest).
    dws = "queued_provisioning" if pool.queued_provisioning else "flex_start" if pool.flex_start else None
    if dws and pool.compact_placement:
        return ("compact_placement",), True, f"cannot be combined with {dws} (GKE refuses it)"
    if dws and pool.reservation:
        return ("reservation",), pool.reservation.affinity, \
            f"cannot be combined with {dws}: it obtains capacity without reservations"
    if dws and pool.spot:
        return ("spot",), True, f"cannot be combined with {dws} (it provisions on-demand capacity)"
    if pool.spot and specific:
        return ("reservation",), "SPECIFIC_RESERVATION", \
            "cannot be consumed by spot nodes (set spot: false or drop the reservation)"
    if gpu.machines[pool.machine_type].requires_spot_or_dws and not (pool.spot or dws):
        return ("machine_type",), pool.machine_type, \
            "is only offered as spot, flex_start or queued_provisioning (set one, or use a larger shape)"
    if dws and pool.min_nodes:
        return ("min_nodes",), pool.min_nodes, f"must be 0 with {dws} (nodes exist only while requested)"
    if dws and pool.warm_spares:
        return ("warm_spares",), pool.warm_spares, f"cannot be used with {dws}: its nodes exist only for the " \
            "workload that requested them (keep spares in an on-demand or spot pool)"
    return None


def _zones(pool: GpuPoolSpec, gpu: Accelerator, spec: PlatformSpec):
    region, env_zones = spec.region, spec.env.zones
    offered = gpu.zones.get(region, [])
    if not offered:
        return ("accelerator",), pool.accelerator, \
            f"is not offered in region {region} (regions offering it: {', '.join(sorted(gpu.zones))})"
    for i, zone in enumerate(pool.zones or []):
        if zone not in offered:
            return ("zones", i), zone, f"does not offer {pool.accelerator} (offered in {', '.join(offered)})"
        if zone not in env_zones:
            return ("zones", i), zone, f"is not one of the environment's zones ({', '.join(env_zones)})"
    zones = spec.gpu_pool_zones(pool)
    if not zones:
        return ("accelerator",), pool.accelerator, (
            f"is not offered in the environment's zones {', '.join(env_zones)} "
            f"(offered in {', '.join(offered)}; add one of them to zones)")
    if pool.compact_placement and len(zones) > 1:
        return ("compact_placement",), True, \
            f"needs the pool in a single zone, but it spans {', '.join(zones)} (set zones to one)"
    return None


def initial_nodes(spec: PlatformSpec) -> None:
    """A pool starts with the same count in each of its zones; min_nodes must split evenly, or the
    first apply creates (and needs quota for) more nodes than asked."""
    pools = [("cpu_pools", i, p, len(spec.env.zones)) for i, p in enumerate(spec.env.cpu_pools)]
    pools += [("gpu_pools", i, p, len(spec.gpu_pool_zones(p))) for i, p in enumerate(spec.env.gpu_pools)]
    for kind, i, pool, zones in pools:
        if pool.min_nodes % zones and not created_empty(pool):
            per_zone = -(-pool.min_nodes // zones)
            raise fail(env_file(spec), (kind, i, "min_nodes"), pool.min_nodes,
                       f"does not split over the pool's {zones} zones: it would start with {per_zone * zones} nodes "
                       f"(the initial count is per zone); use a multiple of {zones} or list fewer zones")


def data_in_region(spec: PlatformSpec) -> None:
    """Bucket keys live in the stack's region; HA database and regional Filestore need several zones."""
    data, file = spec.env.data, env_file(spec)
    location = data.storage.location
    if location.lower() != spec.region:
        raise fail(file, ("data", "storage", "location"), location,
                   f"needs a Cloud KMS key in location '{location.lower()}', but the platform's keys are "
                   f"in {spec.region} (use location: {spec.region.upper()})")
    if data.database.availability == "REGIONAL" and not spec.regional:
        raise fail(file, ("data", "database", "availability"), "REGIONAL",
                   f"needs a standby in a second zone, but this environment is zonal ({spec.env.zones[0]}); "
                   "use ZONAL or list more zones")
    if data.filestore is not None and data.filestore.regional and not spec.regional:
        raise fail(file, ("data", "filestore", "tier"), data.filestore.tier,
                   f"is regional, but this environment is zonal ({spec.env.zones[0]}); use ZONAL or BASIC_SSD")


def binary_authorization_in_prod(spec: PlatformSpec) -> None:
    mode = spec.env.cluster.binary_authorization
    if spec.environment == "prod" and mode != "enforce":
        raise fail(env_file(spec), ("cluster", "binary_authorization"), mode,
                   "must be 'enforce' in prod (only attested images run there)")


def prices(spec: PlatformSpec) -> None:
    """Every pool's machine and GPU, and the database tier, must have a price, or the cost tables would lie."""
    region, env = spec.region, spec.env
    regional = spec.catalog.prices.regions.get(region)
    if regional is None:
        raise ConfigError(PRICES, "regions", f"has no prices for {region} (add regions.{region})")
    for pool in [*env.cpu_pools, *env.gpu_pools]:
        if pool.machine_type not in regional.machines:
            raise ConfigError(PRICES, f"regions.{region}.machines",
                              f"has no price for {pool.machine_type} (used by pool '{pool.name}'; add it)")
    tier = env.data.database.tier
    if tier not in regional.cloudsql:
        hint = did_you_mean(tier, regional.cloudsql)
        raise ConfigError(env_file(spec), "data.database.tier",
                          f"{tier!r} is not a Cloud SQL tier listed in {PRICES} ({hint}known: "
                          f"{', '.join(regional.cloudsql)})")
    for pool in env.gpu_pools:
        if pool.accelerator not in regional.gpus:
            raise ConfigError(PRICES, f"regions.{region}.gpus",
                              f"has no price for {pool.accelerator} (used by pool '{pool.name}'; add it)")
