"""The review's "Disaster recovery" section: what each data class can lose, how long failing over takes,
and what the DR region costs a month (plan/recovery.py; docs/dr.md has the runbook)."""

from __future__ import annotations

from plan import recovery
from review.harness import StackRun
from review.markdown import money, table


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "not recoverable here"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _in_region(run: StackRun, type_: str, region: str) -> int:
    return sum(1 for r in run.by_type(type_) if f"-{region}" in r.name or f"-{region}" in r.parent)


def recovery_section(run: StackRun) -> str:
    spec, dr = run.spec, run.spec.env.dr
    if not dr.active:
        return ("## Disaster recovery\n\nNone: this environment has no DR region (`dr.mode: none`). A lost region "
                "or a deleted namespace is rebuilt by `pulumi up`; data is not recovered.\n")
    region = dr.secondary_region
    rows = [[o.data, o.comes_back_from, o.rpo, _duration(o.ready_seconds)] for o in recovery.objectives(spec)]
    steps = recovery.failover_steps(spec)
    step_rows = [[s.what, _duration(s.seconds), s.source] for s in steps]
    step_rows.append(["**RTO**", f"**{_duration(recovery.rto_seconds(spec))}**", "the sum"])
    costs = recovery.monthly(spec, keys=_in_region(run, "gcp:kms/cryptoKey:CryptoKey", region),
                             secrets=_in_region(run, "gcp:secretmanager/secret:Secret", region))
    cost_rows = [[c.item, c.sizing, money(c.monthly)] for c in costs]
    cost_rows.append(["**DR region per month**", "", f"**{money(sum(c.monthly for c in costs))}**"])
    state = "**failed over: the DR region serves**" if dr.failed_over else "the primary region serves"
    return (f"## Disaster recovery\n\nMode `{dr.mode}` in `{region}`; {state}. What each kind of data can lose "
            "(RPO) and when it is usable again after the decision to fail over:\n\n"
            + table(["data", "comes back from", "RPO", "usable after"], rows)
            + "\nFailing over (docs/dr.md), step by step:\n\n" + table(["step", "takes", "source"], step_rows)
            + f"\nThe DR region at rest, at {spec.region} list prices:\n\n" + table(["item", "sizing", "monthly"],
                                                                                   cost_rows))


def dr_monthly(run: StackRun) -> float:
    """The DR region's monthly cost at rest, as the section's table totals it."""
    region = run.spec.env.dr.secondary_region
    if region is None or not run.spec.env.dr.active:
        return 0.0
    return sum(c.monthly for c in recovery.monthly(
        run.spec, keys=_in_region(run, "gcp:kms/cryptoKey:CryptoKey", region),
        secrets=_in_region(run, "gcp:secretmanager/secret:Secret", region)))
