"""Checks of cold start: warm spare nodes fit their pool, and an endpoint's asked wake-up is met (docs/cold-start.md)."""

from __future__ import annotations

import math

from config.checks.common import env_file, fail, tenant_file
from config.spec import PlatformSpec
from config.tenancy import InferenceWorkload
from plan import Plan


def warm_spares(spec: PlatformSpec) -> None:
    """The placeholders of a pool's warm spares hold whole nodes beside what its minimum replicas fill, within the
    pool's maximum: a spare that does not fit stays pending and holds nothing."""
    plan = Plan.of(spec)
    rest = plan.rest_nodes()
    for i, pool in enumerate(spec.env.gpu_pools):
        if pool.warm_spares and rest[pool.name] > pool.max_nodes:
            held = rest[pool.name] - pool.warm_spares
            raise fail(env_file(spec), ("gpu_pools", i, "warm_spares"), pool.warm_spares,
                       f"does not fit pool '{pool.name}': its minimum replicas hold {held} of its {pool.max_nodes} "
                       f"nodes (raise max_nodes to {rest[pool.name]} or lower warm_spares)")


def wake_up(spec: PlatformSpec) -> None:
    """An endpoint's ``wake_up_seconds`` is at least what a new replica takes: on a free node where its pool keeps one
    at rest, else with a new node; where only a warm node would do, say which pool needs a spare."""
    plan = Plan.of(spec)
    declared = [(env_file(spec), ("inference", "endpoints", i), spec.env.inference.namespace, e)
                for i, e in enumerate(spec.env.inference.endpoints)]
    declared += [(tenant_file(t.name), ("workloads", i), t.name, w)
                 for t in spec.tenants for i, w in enumerate(t.workloads) if isinstance(w, InferenceWorkload)]
    starts, plans, free = plan.cold_starts(), plan.endpoint_plans(), plan.free_nodes()
    for file, path, namespace, endpoint in declared:
        asked = endpoint.wake_up_seconds
        if asked is None:
            continue
        key = f"{namespace}/{endpoint.name}"
        start, pool = starts[key], plans[key].pool
        if start.warm_seconds > asked:
            raise fail(file, (*path, "wake_up_seconds"), asked,
                       f"is shorter than a new replica's start even on a warm node ({math.ceil(start.warm_seconds)} s on "
                       f"pool '{pool}': plan/coldstart.py; ask for at least {math.ceil(start.warm_seconds)}, or keep "
                       "more minimum replicas)")
        if not free[pool] and start.new_node_seconds > asked:
            index = next(i for i, p in enumerate(spec.env.gpu_pools) if p.name == pool)
            raise fail(file, (*path, "wake_up_seconds"), asked,
                       f"is shorter than a new replica's start with a new node ({math.ceil(start.new_node_seconds)} s), and "
                       f"pool '{pool}' keeps no free node at rest (set gpu_pools[{index}].warm_spares: 1 in "
                       f"{env_file(spec)}, or ask for at least {math.ceil(start.new_node_seconds)})")
