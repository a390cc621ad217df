"""The last check: tenants' quotas, with the shared endpoints, fit what the pools can hold."""

from __future__ import annotations

import math

from config.errors import ConfigError
from config.spec import PlatformSpec
from plan import Plan
from plan.capacity import gpu_units_per_node, tenant_capacity

SHARED = "(shared endpoints)"


def check_capacity(spec: PlatformSpec) -> None:
    """Refuse tenants whose quotas (plus the shared endpoints) exceed what the pools can hold, with a
    table and the fix."""
    plan = Plan.of(spec)
    capacity = tenant_capacity(spec)
    quotas = {t.name: plan.quota(t) for t in spec.tenants}
    tiers = {t.name: t.tier for t in spec.tenants}
    shared = plan.shared_needs()
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
