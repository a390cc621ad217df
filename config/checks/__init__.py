"""The one validation pass over a loaded spec: an ordered list of check functions.

The pydantic models (``config/*.py``) check what one file can say about itself: types,
syntax, ranges, fields that must agree within the file. Everything that needs the catalog,
the stack's region or several files is a check here, run in this order after loading; each
raises ``ConfigError`` with one line naming the file, the field and the fix.
"""

from __future__ import annotations

from collections.abc import Callable

from config.checks import (
    capacity,
    coldstart,
    entry,
    environment,
    genbi,
    inference,
    operations,
    recovery,
    tenants,
    versions,
)
from config.spec import PlatformSpec

Check = Callable[[PlatformSpec], None]

CHECKS: list[Check] = [
    environment.zones_in_region,
    environment.cpu_machine_shapes,
    environment.gpu_pools,
    environment.initial_nodes,
    environment.data_in_region,
    environment.binary_authorization_in_prod,
    recovery.dr_region,
    environment.prices,
    versions.cuda_runs_on_the_driver,
    versions.preload_is_of_the_pinned_tag,
    tenants.tenant_files,
    entry.exposures,
    inference.shared_endpoints,
    tenants.tenants_on_stack,
    inference.gated_weights,
    coldstart.warm_spares,
    coldstart.wake_up,
    genbi.genbi,
    entry.entry,
    operations.receivers,
    operations.traces,
    capacity.check_capacity,
]


def run_checks(spec: PlatformSpec) -> None:
    for check in CHECKS:
        check(spec)
