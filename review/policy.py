"""summary.md's "Policy" section and the bundle's policy.json: the pack (policy/) evaluated offline.

The review runs the same rules `pulumi preview --policy-pack policy` runs, over the recorded
resources, with the environment's enforcement (config/environments/<env>.yaml `policy`). A
violation where enforcement is mandatory makes `python -m review` exit 1 (the bundle is still
written, so the reviewer sees why).
"""

from __future__ import annotations

import json
from typing import Any

from policy.context import context_of
from policy.evaluate import evaluate, resource_of
from policy.rules import RULES, Finding
from review.harness import StackRun
from review.markdown import money, table

SEVERITY = {r.id: r.severity for r in RULES}
REMEDIATION = {r.id: r.remediation for r in RULES}


def findings(run: StackRun) -> list[Finding]:
    return evaluate(run.records, context_of(run.spec))


def mandatory(run: StackRun) -> bool:
    """Whether the stack breaks a rule its environment enforces."""
    return run.spec.env.policy.enforcement == "mandatory" and bool(findings(run))


def policy_json(run: StackRun) -> str:
    level = run.spec.env.policy.enforcement
    rows: list[dict[str, Any]] = [{"rule": f.rule, "severity": f.severity, "resource": f.resource,
                                   "message": f.message, "enforcement": level} for f in findings(run)]
    return json.dumps({"enforcement": level, "rules": len(RULES), "violations": rows}, indent=2, sort_keys=True) + "\n"


def _ceiling(run: StackRun) -> str:
    ctx = context_of(run.spec)
    cost = ctx.monthly_cost([resource_of(r) for r in run.records if r.custom]) if ctx.monthly_cost else 0.0
    return (f"Monthly cost at maximum scale (compute, data, DR region at rest): {money(cost)} of the "
            f"{money(ctx.monthly_ceiling)} ceiling (`policy.monthly_ceiling`, rule `stack-monthly-cost`).\n")


def policy_section(run: StackRun) -> str:
    found, level = findings(run), run.spec.env.policy.enforcement
    head = (f"## Policy\n\n{len(RULES)} rules of the policy pack (docs/policy.md), evaluated offline; enforcement "
            f"in this environment: **{level}**")
    if not found:
        return head + ". No violation.\n\n" + _ceiling(run)
    verdict = ("a violation fails `pulumi preview`/`up` and this review" if level == "mandatory"
               else "violations are reported, nothing is blocked")
    rows = [[f"`{f.rule}`", f.severity, f"`{f.resource}`" if f.resource else "(stack)", f.message,
             REMEDIATION[f.rule]] for f in found]
    return (head + f" ({verdict}). **{len(found)} violation(s):**\n\n"
            + table(["rule", "severity", "resource", "violation", "fix"], rows) + "\n" + _ceiling(run))
