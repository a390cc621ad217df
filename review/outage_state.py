"""Drop the Helm releases a regional outage cannot delete from an exported stack state (docs/dr.md, failing over).

The switch moves each release to the other cluster: the engine creates it there and deletes it from the lost
one, which it cannot reach. Other Kubernetes objects are then dropped from the state (``deleteUnreachable``);
a Helm release is not (pulumi-kubernetes#2675), so the targeted apply would fail on it. `pulumi state delete`
refuses a resource that others depend on, and its ``--target-dependents`` would drop those too: IAP grants,
SLOs and alert policies that the apply would then create a second time. This removes only the releases listed
by the review (``outage-state-deletes.txt``) and every reference to them (dependencies, property dependencies,
``deletedWith``), which is what `pulumi stack import` needs to accept the state::

    pulumi stack export --stack prod --file state.json
    python -m review.outage_state build/review/prod/outage-state-deletes.txt state.json > edited.json
    pulumi stack import --stack prod --file edited.json

Exit 2 with one line if a listed URN is not in the state, or is something other than an ordinary resource a
release can be (a parent of others, a pending operation).
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
        raise StateError(f"{parents[0]} is a parent of other resources: only releases can be dropped this way")
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
        kept.append(resource)
    return {**state, "deployment": {**deployment, "resources": kept}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.outage_state", description=__doc__.split("\n\n")[0])
    parser.add_argument("urns", type=Path, help="the review's outage-state-deletes.txt")
    parser.add_argument("state", type=Path, help="`pulumi stack export --file` output")
    args = parser.parse_args(argv)
    try:
        urns = [u.strip() for u in args.urns.read_text(encoding="utf-8").splitlines() if u.strip()]
        state = json.loads(args.state.read_text(encoding="utf-8"))
        edited = drop(state, urns)
    except (OSError, json.JSONDecodeError, StateError) as error:
        print(f"review.outage_state: {error}", file=sys.stderr)
        return 2
    json.dump(edited, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
