"""The review's "Disaster recovery" section: what each data class can lose, how long failing over takes,
and what the DR region costs a month (plan/recovery.py; docs/dr.md has the runbook)."""

from __future__ import annotations

from plan import recovery
from review.harness import PROJECT, Record, StackRun
from review.markdown import duration, money, table


def _in_region(run: StackRun, type_: str, region: str) -> int:
    return sum(1 for r in run.by_type(type_) if f"-{region}" in r.name or f"-{region}" in r.parent)


# What the switch (`dr.serving_region: secondary`) changes, all in the DR region: the replica (promoted) and the
# standby's node pools (raised to their minimums). tests/test_recovery.py proves nothing else changes.
SWITCHED = ("gcp:sql/databaseInstance:DatabaseInstance", "gcp:container/nodePool:NodePool")


def urn(run: StackRun, record: Record) -> str:
    """The resource's URN as the Pulumi engine writes it: the stack, the project, then its parents' types."""
    types = [r.type for r in run.ancestors(record)] + [record.type]
    return f"urn:pulumi:{run.stack}::{PROJECT}::{'$'.join(types)}::{record.name}"


def failover_targets(run: StackRun) -> list[str]:
    """The URNs to apply in a regional outage, when `pulumi up` cannot reach the lost region's cluster and
    resources to diff them (docs/dr.md): exactly what the switch changes. Empty without a standby."""
    dr = run.spec.env.dr
    if not dr.standby_cluster:
        return []
    return sorted(urn(run, r) for t in SWITCHED for r in run.by_type(t) if f"-{dr.secondary_region}-" in r.name)


def recovery_section(run: StackRun) -> str:
    spec, dr = run.spec, run.spec.env.dr
    if not dr.active:
        return ("## Disaster recovery\n\nNone: this environment has no DR region (`dr.mode: none`). A lost region "
                "or a deleted namespace is rebuilt by `pulumi up`; data is not recovered.\n")
    region = dr.secondary_region
    rows = [[o.data, o.comes_back_from, o.rpo, duration(o.ready_seconds)] for o in recovery.objectives(spec)]
    steps = recovery.failover_steps(spec)
    step_rows = [[s.what, duration(s.seconds) + (f" ({duration(s.otherwise)})" if s.otherwise else ""), s.source]
                 for s in steps]
    rto, worse = recovery.rto_seconds(spec), recovery.rto_seconds(spec, otherwise=True)
    step_rows.append(["**RTO**", f"**{duration(rto)}**" + (f" ({duration(worse)})" if worse != rto else ""),
                      "the sum" + ("; in brackets, with the longer figures" if worse != rto else "")])
    costs = recovery.monthly(spec, keys=_in_region(run, "gcp:kms/cryptoKey:CryptoKey", region),
                             secrets=_in_region(run, "gcp:secretmanager/secret:Secret", region))
    cost_rows = [[c.item, c.sizing, money(c.monthly)] for c in costs]
    cost_rows.append(["**DR region per month**", "", f"**{money(sum(c.monthly for c in costs))}**"])
    state = "**failed over: the DR region serves**" if dr.failed_over else "the primary region serves"
    return (f"## Disaster recovery\n\nMode `{dr.mode}` in `{region}`; {state}. What each kind of data can lose "
            "(RPO) and when it is usable again after the decision to fail over:\n\n"
            + table(["data", "comes back from", "RPO", "usable after"], rows)
            + "\nFailing over (docs/dr.md), step by step:\n\n" + table(["step", "takes", "source"], step_rows)
            + (f"\nThe switch touches {len(failover_targets(run))} resources (the replica and the standby's node pools), "
               "listed in `failover-targets.txt` beside this summary: in a regional outage, apply only them "
               "(docs/dr.md, failing over).\n"
               if dr.standby_cluster else "")
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
