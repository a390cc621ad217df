"""The review's "Disaster recovery" section: what each data class can lose, how long failing over takes,
and what the DR region costs a month (plan/recovery.py; docs/dr.md has the runbook)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from plan import recovery
from review.harness import HELM_RELEASE, PROJECT, Record, StackRun, copy_tree, run_stack
from review.markdown import duration, money, table


def _in_region(run: StackRun, type_: str, region: str) -> int:
    return sum(1 for r in run.by_type(type_) if f"-{region}" in r.name or f"-{region}" in r.parent)


def urn(run: StackRun, record: Record) -> str:
    """The resource's URN as the Pulumi engine writes it: the stack, the project, then its parents' types."""
    types = [r.type for r in run.ancestors(record)] + [record.type]
    return f"urn:pulumi:{run.stack}::{PROJECT}::{'$'.join(types)}::{record.name}"


def switched(run: StackRun, root: Path) -> StackRun:
    """The same stack with the failover switch the other way (``dr.serving_region``), run from a copy of ``root``."""
    with tempfile.TemporaryDirectory(prefix="switched-") as tmp:
        tree = copy_tree(Path(tmp), root)
        path = tree / "config" / "environments" / f"{run.spec.environment}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["dr"]["serving_region"] = "primary" if run.spec.env.dr.failed_over else "secondary"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return run_stack(run.stack, tree)


def failover_targets(run: StackRun, other: StackRun) -> list[str]:
    """The URNs to apply in a regional outage, when `pulumi up` cannot reach the lost region's cluster to diff
    what is there (docs/dr.md): exactly what the switch changes or creates, ``other`` being the stack switched the
    other way. A Kubernetes object that changes cluster is in it (its provider changes: the engine replaces it).
    What the switch removes (the replica-lag alert policy, the finished restore Job at failback) waits for the
    next full `pulumi up`."""
    before, after = run.by_key, other.by_key
    changed = [urn(run, r) for key, r in before.items() if r.custom and key in after
               and (r.inputs, r.provider) != (after[key].inputs, after[key].provider)]
    created = [urn(other, r) for key, r in after.items() if r.custom and key not in before]
    return sorted(changed + created)


def _moved(run: StackRun, other: StackRun) -> list[Record]:
    """What the switch moves to the other cluster (``other``: the stack switched): its provider differs there."""
    after = other.by_key
    return [r for r in run.records if r.key in after and after[r.key].provider != r.provider]


def release_state_deletes(run: StackRun, other: StackRun) -> list[str]:
    """The Helm releases the switch moves off the cluster it leaves (``other``: the stack switched). In an outage
    the engine cannot delete them there and, unlike other objects, cannot drop them from the state either
    (pulumi-kubernetes' Helm delete ignores ``deleteUnreachable``: pulumi-kubernetes#2675), so the runbook drops
    them first with review/drop_state.py (docs/dr.md); the targeted apply then installs them where it serves."""
    return sorted(urn(run, r) for r in _moved(run, other) if r.type == HELM_RELEASE)


def fence(run: StackRun, other: StackRun) -> list[str]:
    """`kubectl delete` commands for what the switch moved off the cluster it left, if that cluster could not be
    reached then (docs/dr.md, failing back, step 0): the namespaces that moved (their objects go with them), and
    what moved outside them (cluster-scoped objects, the Alertmanager configuration). Left alone, its workloads
    run again when its region does."""
    moved = [r for r in _moved(run, other)
             if r.type.startswith("kubernetes:") and (r.inputs.get("metadata") or {}).get("name")]
    namespaces = {r.inputs["metadata"]["name"] for r in moved if r.type == "kubernetes:core/v1:Namespace"}
    out = []
    for record in moved:
        meta = record.inputs["metadata"]
        if meta.get("namespace") in namespaces:
            continue
        group = record.inputs["apiVersion"].rpartition("/")[0]
        kind = record.inputs["kind"].lower() + (f".{group}" if group else "")
        where = f" -n {meta['namespace']}" if meta.get("namespace") else ""
        out.append(f"kubectl delete {kind} {meta['name']}{where} --ignore-not-found")
    return sorted(out, key=lambda line: (not line.startswith("kubectl delete namespace "), line))


def switch_files(run: StackRun, other: StackRun) -> dict[str, list[str]]:
    """What the runbook applies or deletes, per direction, whichever way ``run``'s config points (``other`` is
    the stack switched): failing over is from the primary's serving to the DR region's, failing back the reverse."""
    resting, serving = (other, run) if run.spec.env.dr.failed_over else (run, other)
    files = {}
    for direction, (start, end) in {"failover": (resting, serving), "failback": (serving, resting)}.items():
        files[f"{direction}-targets.txt"] = failover_targets(start, end)
        files[f"{direction}-state-deletes.txt"] = release_state_deletes(start, end)
        files[f"{direction}-fence.txt"] = fence(start, end)
    return files


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
            + ("\nThe switch promotes the replica, raises the standby's pools, restores the tenants' namespaces into "
               "the standby (a Job it waits for), then moves every Kubernetes object the program owns in the "
               "tenants' namespaces, the workloads, the routes and the in-cluster monitoring to the other cluster, "
               "and points the hostnames at its gateway. Beside this summary, `failover-targets.txt` lists what "
               "it changes: in a regional outage, apply only those, after dropping the Helm releases in "
               "`failover-state-deletes.txt` from the state, and fence the lost cluster with "
               "`failover-fence.txt` when it returns; `failback-*` are the same the other way (docs/dr.md).\n" if dr.standby_cluster else "")
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
