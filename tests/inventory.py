"""Per-stack inventories: counts per resource type and the identity of stateful resources.

Regenerate after an intended change with ``make inventories`` (``python -m tests.inventory --write``).
Regeneration refuses to drop a pinned stateful resource unless ``--allow-replace`` is given:
a changed type, name or parent of a bucket, key, database or secret means Pulumi would
delete and recreate it, which loses data. Add ``aliases`` instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from review.harness import StackRun, run_stack

DIR = Path(__file__).resolve().parent / "inventories"
STACKS = ("dev", "staging", "prod")

# Types whose replacement loses data or identity. Pinned by type + logical name + parent.
STATEFUL_TYPES = (
    "gcp:compute/globalAddress:GlobalAddress",  # PSA range: Cloud SQL private IPs live in it
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:container/cluster:Cluster",
    "gcp:filestore/instance:Instance",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:kms/keyRing:KeyRing",
    "gcp:secretmanager/secret:Secret",
    "gcp:sql/database:Database",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:storage/bucket:Bucket",
    "random:index/randomPassword:RandomPassword",
)


def inventory(run: StackRun) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for record in run.records:
        if record.custom:
            counts[record.type] = counts.get(record.type, 0) + 1
    stateful = [
        {"type": r.type, "name": r.name, "parent": r.parent, "protect": r.protect}
        for r in run.records if r.type in STATEFUL_TYPES
    ]
    return {"stack": run.stack, "resources": sum(counts.values()), "counts": dict(sorted(counts.items())),
            "stateful": stateful}


def path(stack: str) -> Path:
    return DIR / f"{stack}.json"


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def dropped_stateful(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Pinned stateful resources of ``old`` whose type, name or parent is gone from ``new``."""
    ident = {(s["type"], s["name"], s["parent"]) for s in new["stateful"]}
    return [s for s in old["stateful"] if (s["type"], s["name"], s["parent"]) not in ident]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.inventory")
    parser.add_argument("--write", action="store_true", help="rewrite tests/inventories/*.json")
    parser.add_argument("--allow-replace", action="store_true", help="accept dropping pinned stateful resources")
    args = parser.parse_args(argv)
    status = 0
    for stack in STACKS:
        new = inventory(run_stack(stack))
        old = json.loads(path(stack).read_text()) if path(stack).exists() else None
        lost = dropped_stateful(old, new) if old else []
        if lost and not args.allow_replace:
            for item in lost:
                print(f"{stack}: stateful {item['type']}::{item['name']} (parent {item['parent'] or 'stack'}) "
                      "would be replaced; add aliases, or pass --allow-replace if losing it is intended",
                      file=sys.stderr)
            status = 1
            continue
        if args.write:
            path(stack).write_text(dump(new))
        print(f"{stack}: {new['resources']} resources, {len(new['stateful'])} stateful pinned"
              + ("" if args.write else " (dry run; --write to save)"))
    return status


if __name__ == "__main__":
    sys.exit(main())
