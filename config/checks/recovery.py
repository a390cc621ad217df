"""Checks of the DR region: a real region, other than the stack's; its zones in it; its address plan apart
from the primary's; every GPU pool's accelerator offered where the DR cluster runs."""

from __future__ import annotations

import itertools

from config.checks.common import env_file, fail
from config.spec import PlatformSpec
from config.types import network

RANGES = ("primary_range", "pods_range", "services_range", "control_plane_range", "proxy_only_range",
          "private_service_access_range")


def dr_region(spec: PlatformSpec) -> None:
    dr, file = spec.env.dr, env_file(spec)
    region = dr.secondary_region
    if region is None:
        return
    if region not in spec.catalog.regions.regions:
        raise fail(file, ("dr", "secondary_region"), region, "is not a GCP region (see config/catalog/regions.yaml)")
    if region == spec.region:
        raise fail(file, ("dr", "secondary_region"), region,
                   "is the stack's own region (a DR region must be another one)")
    zones = {f"{region}-{z}" for z in spec.catalog.regions.regions[region].zones}
    for i, zone in enumerate(dr.zones or []):
        if zone not in zones:
            raise fail(file, ("dr", "zones", i), zone, f"is not a zone of {region} ({', '.join(sorted(zones))})")
    if dr.network is not None:
        for theirs, ours in itertools.product(RANGES, RANGES):
            if network(getattr(dr.network, theirs)).overlaps(network(getattr(spec.env.network, ours))):
                raise fail(file, ("dr", "network", theirs), getattr(dr.network, theirs),
                           f"overlaps network.{ours} '{getattr(spec.env.network, ours)}': keep the DR region's ranges "
                           "apart from the primary's")
    if dr.standby_cluster:
        for pool in spec.env.gpu_pools:
            offered = set(spec.catalog.accelerators.accelerators[pool.accelerator].zones.get(region, []))
            if not offered & set(dr.zones or []):
                raise fail(file, ("gpu_pools", spec.env.gpu_pools.index(pool), "accelerator"), pool.accelerator,
                           f"is not offered in the DR cluster's zones ({', '.join(dr.zones or [])}): the standby "
                           f"could not serve pool '{pool.name}' (offered in {region}: "
                           f"{', '.join(sorted(offered)) or 'none'})")
