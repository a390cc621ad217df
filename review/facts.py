"""facts.json: the figures `--diff` compares between two bundles (cost, GPUs, quota, tenants' resources).

The same totals summary.md shows: compute from plan.compute_totals, data from summary.data_items,
the DR region from recovery.dr_monthly, quota from plan/project_quota.quota_needs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from plan import project_quota
from review.harness import StackRun
from review.recovery import dr_monthly
from review.summary import data_items


def _cents(amount: float) -> float:
    return round(amount, 2)


def tenant_of(names: list[str], tenants: list[str]) -> str | None:
    """The tenant a resource belongs to: the longest tenant name that is a dash-separated part of its name or
    its parent's (``tenant-acme-research-bucket``, ``genbi-acme-research-bi``, ``...-t-acme-research``)."""
    for tenant in sorted(tenants, key=len, reverse=True):
        pattern = re.compile(rf"(^|-){re.escape(tenant)}(-|$)")
        if any(pattern.search(name) for name in names):
            return tenant
    return None


def facts(run: StackRun) -> dict[str, Any]:
    low, high = run.plan.compute_totals()
    data = sum(item.monthly for item in data_items(run))
    gpus: dict[str, dict[str, int]] = {}
    for pool in run.plan.pool_capacity():
        if pool.accelerator:
            entry = gpus.setdefault(pool.accelerator, {"at_rest": 0, "at_max": 0})
            entry["at_rest"] += pool.rest_nodes * pool.gpus_per_node
            entry["at_max"] += pool.gpus_at_max
    quota = [{"scope": q.scope, "metric": q.metric, "at_rest": q.at_rest, "at_max": q.at_max}
             for q in project_quota.quota_needs(run.spec, run.plan.rest_nodes())]
    names = [t.name for t in run.spec.tenants]
    tenants: dict[str, list[str]] = {name: [] for name in names}
    for record in run.records:
        owner = tenant_of([record.name, record.parent.split("::")[-1]], names)
        if owner:
            tenants[owner].append(record.key)
    return {
        "stack": run.stack, "environment": run.spec.environment,
        "cost": {"compute_rest": _cents(low), "compute_max": _cents(high), "data": _cents(data),
                 "dr": _cents(dr_monthly(run)), "rest": _cents(low + data), "max": _cents(high + data)},
        "gpus": gpus, "quota": quota, "tenants": {k: sorted(v) for k, v in tenants.items()},
    }


def facts_json(run: StackRun) -> str:
    return json.dumps(facts(run), indent=2, sort_keys=True) + "\n"
