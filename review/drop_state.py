"""Drop resources from an exported stack state, and every reference to them, keeping what depends on them.

`pulumi state delete` refuses a resource that others depend on, and its ``--target-dependents`` drops those too.
The DR runbook (docs/dr.md) needs neither:

- in a regional outage, the routers' Helm releases that the switch moves off the lost cluster: the engine
  cannot delete them there and, unlike other Kubernetes objects, cannot drop them (``deleteUnreachable`` is
  ignored for Helm releases, pulumi-kubernetes#2675), while IAP grants, SLOs and alert policies depend on them
  and would be created a second time if dropped with them (the review lists the releases:
  ``failover-state-deletes.txt``, ``failback-state-deletes.txt``);
- failing back, the promoted DR database, which alert policies and GenBI depend on, while a new replica
  takes its place.

It removes the listed resources and every reference to them (dependencies, property dependencies,
``deletedWith``, ``replaceWith``), which is what `pulumi stack import` needs to accept the state::

    pulumi stack export --stack prod --file state.json     # keep it: importing it undoes the edit
    python -m review.drop_state --urns build/review/prod/failover-state-deletes.txt state.json > edited.json
    pulumi stack import --stack prod --file edited.json

Exit 2 with one line if a listed URN is not in the state, is a parent or the provider of other resources, or
has a pending operation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class StateError(Exception):
    pass


def drop(state: dict, urns: list[str]) -> dict:
    """``state`` (a `pulumi stack export`) without ``urns`` and without any reference to them."""
    gone = set(urns)
    deployment = state.get("deployment") or {}
    resources = deployment.get("resources") or []
    present = {r["urn"] for r in resources}
    if missing := sorted(gone - present):
        raise StateError(f"{missing[0]} is not in the state: export the stack the review ran for, or it was "
                         "already dropped")
    if parents := sorted({r["parent"] for r in resources if r.get("parent") in gone and r["urn"] not in gone}):
        raise StateError(f"{parents[0]} is a parent of other resources: drop resources without children only")
    providers = {r.get("provider", "").rsplit("::", 1)[0] for r in resources if r["urn"] not in gone}
    if used := sorted(gone & providers):
        raise StateError(f"{used[0]} is the provider of other resources: it cannot be dropped this way")
    pending = {op.get("resource", {}).get("urn") for op in deployment.get("pending_operations") or []}
    if busy := sorted(gone & pending):
        raise StateError(f"{busy[0]} has a pending operation: `pulumi cancel` or `pulumi refresh` first")
    kept = []
    for resource in resources:
        if resource["urn"] in gone:
            continue
        resource = dict(resource)
        if "dependencies" in resource:
            resource["dependencies"] = [d for d in resource["dependencies"] if d not in gone]
        if "propertyDependencies" in resource:
            resource["propertyDependencies"] = {k: [d for d in v if d not in gone]
                                                for k, v in resource["propertyDependencies"].items()}
        if resource.get("deletedWith") in gone:
            del resource["deletedWith"]
        if "replaceWith" in resource:
            resource["replaceWith"] = [d for d in resource["replaceWith"] if d not in gone]
        kept.append(resource)
    return {**state, "deployment": {**deployment, "resources": kept}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.drop_state", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--urns", type=Path, help="a file of URNs, one per line (the review's *-state-deletes.txt)")
    which.add_argument("--urn", action="append", help="a URN (repeatable)")
    parser.add_argument("state", type=Path, help="`pulumi stack export --file` output")
    args = parser.parse_args(argv)
    try:
        urns = args.urn or [u.strip() for u in args.urns.read_text(encoding="utf-8").splitlines() if u.strip()]
        state = json.loads(args.state.read_text(encoding="utf-8"))
        edited = drop(state, urns)
    except (OSError, json.JSONDecodeError, StateError) as error:
        print(f"review.drop_state: {error}", file=sys.stderr)
        return 2
    json.dump(edited, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
