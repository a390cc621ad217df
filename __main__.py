"""The AI platform, one stack: load the validated spec, assemble it layer by layer, export.

project -> regional platform (network, keys, image caches, cluster and pools, storage, secrets,
database) -> who is paged (notification channels) -> tenancy (guardrails, tenants) -> workloads (KEDA,
inference, model weights, GenBI) -> entry (gateway, tenants' routes) -> operations (alerts, SLOs,
dashboards, logs, audit, traces); where the environment has DR, the DR region after tenancy (replica,
bucket twins, backups, standby cluster). Each layer is a function in layers/ (docs/architecture.md).
"""

import sys

from config import ConfigError
from config.loader import load_from_pulumi
from layers import entry, operations, outputs, paging, platform, recovery, tenancy, workloads
from plan import Plan

try:
    spec = load_from_pulumi()
except ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

plan = Plan.of(spec)
base = platform.project(spec)
primary = platform.regional_platform(spec, plan, base, spec.region)
paged = paging.channels(spec, base, primary)
tenants = tenancy.tenancy(spec, plan, base, primary, paged)
standby = recovery.recovery(spec, plan, base, primary, tenants)
served = workloads.workloads(spec, plan, base, primary, tenants)
ways_in = entry.entry(spec, plan, base, primary, tenants, served)
watched = operations.operations(spec, plan, base, primary, tenants, served, ways_in, paged, standby)
outputs.export(spec, base, primary, tenants, served, ways_in, watched)
