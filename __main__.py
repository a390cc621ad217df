"""The AI platform, one stack: load the validated spec, assemble it layer by layer, export.

project -> regional platform (network, keys, image caches, cluster and pools, storage, secrets,
database) -> tenancy (guardrails, tenants) -> workloads (KEDA, inference, model weights, GenBI)
-> entry (gateway, tenants' routes). Each layer is a function in layers/ (docs/architecture.md).
"""

import sys

from config import ConfigError
from config.loader import load_from_pulumi
from layers import entry, outputs, platform, tenancy, workloads
from plan import Plan

try:
    spec = load_from_pulumi()
except ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

plan = Plan.of(spec)
base = platform.project(spec)
primary = platform.regional_platform(spec, plan, base, spec.region)
tenants = tenancy.tenancy(spec, plan, base, primary)
served = workloads.workloads(spec, plan, base, primary, tenants)
ways_in = entry.entry(spec, plan, base, primary, tenants, served)
outputs.export(spec, base, primary, tenants, served, ways_in)
