"""Per-stack inventories: counts per resource type and the identity of stateful resources.

Regenerate after an intended change with ``make inventories`` (``python -m tests.inventory --write``).
Each stateful resource is pinned by type, logical name, parent and every input whose change
makes the provider replace it (review/replace_on.yaml): its physical name, location, key
ring, ... A change to any of them means Pulumi would delete and recreate the resource and lose
its data, so regeneration refuses it unless ``--allow-replace`` is given. Move with ``aliases``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from config.loader import ROOT, project_stacks
from policy.stateful import STATEFUL_TYPES
from review.harness import StackRun, run_stack
from review.replacements import pins, replaced_by

# Identities: replacing one loses every grant to it (and a user its objects' ownership), so they
# are pinned too; they are not protected, because offboarding a tenant deletes them.
IDENTITY_TYPES = ("gcp:serviceaccount/account:Account", "gcp:sql/user:User")
# What stateful resources need to stay usable: a removed key grant takes the database, Filestore
# and disks offline; the peering carries Cloud SQL's private IP; a namespace holds a tenant's
# volumes. Pinned so that a rename shows up; not protected (offboarding removes a tenant's).
LIFELINE_TYPES = ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp:servicenetworking/connection:Connection",
                  "kubernetes:core/v1:Namespace")
PINNED_TYPES = STATEFUL_TYPES + IDENTITY_TYPES + LIFELINE_TYPES


def inventory(run: StackRun) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for record in run.records:
        if record.custom:
            counts[record.type] = counts.get(record.type, 0) + 1
    stateful = [
        {"type": r.type, "name": r.name, "parent": r.parent, "protect": r.protect, "pins": pins(r.type, r.inputs),
         **({"formerly": moved} if (moved := resource_aliases(r)) else {})}
        for r in run.records if r.type in PINNED_TYPES
    ]
    return {"stack": run.stack, "resources": sum(counts.values()), "counts": dict(sorted(counts.items())),
            "stateful": stateful, "aliases": former_keys(run)}


def resource_aliases(record) -> list[str]:
    """``<parent key>|<name>`` a resource was registered under before (its own aliases with a parent): a
    resource moved to another component keeps its URN through them."""
    return sorted(f"{a['parent']}|{a.get('name', record.name)}" for a in record.aliases if "parent" in a)


def former_keys(run: StackRun) -> dict[str, list[str]]:
    """Component key -> the keys it was registered under before (its aliases): a pinned resource whose
    parent moved to an aliased component keeps its URN, so it is not replaced."""
    out = {}
    for record in run.records:
        if not record.custom and record.aliases:
            out[record.key] = sorted(f"{a.get('type', record.type)}::{a.get('name', record.name)}"
                                     for a in record.aliases if "urn" not in a)
    return dict(sorted(out.items()))


def directory(root: Path = ROOT) -> Path:
    return root / "tests" / "inventories"


def path(stack: str, root: Path = ROOT) -> Path:
    return directory(root) / f"{stack}.json"


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def replaced_stateful(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why pinned stateful resources of ``old`` would be replaced by ``new``: gone, or a pinned input changed."""
    current = {(s["type"], s["name"]): s for s in new["stateful"]}
    # resources that moved by their own alias: (type, old parent|old name) -> where they are now
    aliased = {(s["type"], old): s for s in new["stateful"] for old in s.get("formerly", [])}
    reasons = []
    for item in old["stateful"]:
        key = f"{item['type']}::{item['name']}"
        now = aliased.get((item["type"], f"{item['parent']}|{item['name']}"))
        if now is not None:  # moved with an alias: the same URN, compare its pins
            changed = replaced_by(item["type"], item.get("pins", {}), now["pins"]) if "pins" in item else []
            reasons += [f"{key} would be replaced: " + ", ".join(changed)] if changed else []
            continue
        now = current.get((item["type"], item["name"]))
        moved = now is not None and item["parent"] in new.get("aliases", {}).get(now["parent"], [])
        if now is None or (now["parent"] != item["parent"] and not moved):
            reasons.append(f"{key} (parent {item['parent'] or 'stack'}) is gone: renamed or moved without aliases")
            continue
        if "pins" not in item:  # an inventory written before pins existed: nothing to compare
            continue
        changed = replaced_by(item["type"], item["pins"], now["pins"])
        if changed:
            detail = ", ".join(f"{p} {item['pins'].get(p, '<absent>')!r} -> {now['pins'].get(p, '<absent>')!r}"
                               for p in changed)
            reasons.append(f"{key} would be replaced: {detail}")
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.inventory")
    parser.add_argument("--write", action="store_true", help="rewrite tests/inventories/*.json")
    parser.add_argument("--allow-replace", action="store_true",
                        help="accept replacing pinned stateful resources (their data is lost)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project tree (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    status = 0
    for stack in project_stacks(root):
        new = inventory(run_stack(stack, root))
        file = path(stack, root)
        old = json.loads(file.read_text()) if file.exists() else None
        reasons = replaced_stateful(old, new) if old else []
        if reasons and not args.allow_replace:
            for reason in reasons:
                print(f"{stack}: stateful {reason}; add aliases, or pass --allow-replace if losing it is intended",
                      file=sys.stderr)
            status = 1
            continue
        if args.write:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(dump(new))
        print(f"{stack}: {new['resources']} resources, {len(new['stateful'])} stateful pinned"
              + ("" if args.write else " (dry run; --write to save)"))
    return status


if __name__ == "__main__":
    sys.exit(main())
