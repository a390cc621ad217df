"""Compare review bundles (base branch vs head): what a change adds, removes, modifies and replaces, what it
does to cost, GPUs and quota, and whether it breaks the policy pack. review/diff_markdown.py renders it.

A modification that touches an input the provider cannot update in place (review/replace_on.yaml)
is a **replace**: the resource is deleted and created again, and its data with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review.replacements import pins, replaced_by

COMPARED = ("parent", "provider", "protect", "aliases", "ignore_changes", "retain_on_delete", "delete_before_replace")
GATES = ("replace", "protected-delete", "policy")
ABSENT = "<absent>"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, inner in enumerate(value):
            out.update(_flatten(inner, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _load(directory: Path) -> dict[str, dict]:
    records = json.loads((directory / "resources.json").read_text(encoding="utf-8"))
    return {f"{r['type']}::{r['name']}": r for r in records}


def changes(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
    """(path, old value, new value) of every resource option and input that differs."""
    out = [(f"({opt})", old.get(opt), new.get(opt)) for opt in COMPARED if old.get(opt) != new.get(opt)]
    a, b = _flatten(old["inputs"]), _flatten(new["inputs"])
    out += [(p, a.get(p, ABSENT), b.get(p, ABSENT)) for p in sorted(set(a) | set(b))
            if a.get(p, ABSENT) != b.get(p, ABSENT)]
    return out


def changed_paths(old: dict, new: dict) -> list[str]:
    """Input paths and resource options whose values differ."""
    return [path for path, _, _ in changes(old, new)]


def replacing_paths(old: dict, new: dict) -> list[str]:
    """The replace-forcing inputs that differ (none: an in-place update)."""
    return replaced_by(new["type"], pins(old["type"], old["inputs"]), pins(new["type"], new["inputs"]),
                       new.get("ignore_changes") or [])


@dataclass
class StackDiff:
    """One stack's change from its base bundle to its head bundle."""

    stack: str
    added: list[str]
    removed: list[str]
    replaced: dict[str, list[str]]
    modified: dict[str, list[tuple[str, Any, Any]]]
    protected_removed: list[str]
    base_facts: dict[str, Any] | None = None
    head_facts: dict[str, Any] | None = None
    base_policy: dict[str, Any] | None = None
    head_policy: dict[str, Any] | None = None
    new_tenants: dict[str, list[str]] = field(default_factory=dict)  # tenant -> its added resources
    gone_tenants: dict[str, list[str]] = field(default_factory=dict)  # tenant -> its removed resources

    @property
    def mandatory_violations(self) -> list[dict[str, Any]]:
        policy = self.head_policy or {}
        return [v for v in policy.get("violations", []) if v.get("enforcement") == "mandatory"]

    def gates(self) -> dict[str, bool]:
        return {"replace": bool(self.replaced), "protected-delete": bool(self.protected_removed),
                "policy": bool(self.mandatory_violations)}


def _tenants(facts: dict[str, Any] | None) -> dict[str, list[str]]:
    return (facts or {}).get("tenants", {})


def compare(base: Path, head: Path, stack: str | None = None) -> StackDiff:
    """The diff of two bundles of one stack."""
    old, new = _load(base), _load(head)
    common = sorted(set(old) & set(new))
    replaced = {k: paths for k in common if (paths := replacing_paths(old[k], new[k]))}
    result = StackDiff(
        stack=stack or head.name,
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        replaced=replaced,
        modified={k: found for k in common if k not in replaced and (found := changes(old[k], new[k]))},
        protected_removed=[k for k in sorted(set(old) - set(new)) if old[k].get("protect")],
        base_facts=_read(base / "facts.json"), head_facts=_read(head / "facts.json"),
        base_policy=_read(base / "policy.json"), head_policy=_read(head / "policy.json"),
    )
    before, after = _tenants(result.base_facts), _tenants(result.head_facts)
    if result.base_facts is not None:
        added, removed = set(result.added), set(result.removed)
        result.new_tenants = {t: [k for k in keys if k in added] for t, keys in after.items() if t not in before}
        result.gone_tenants = {t: [k for k in keys if k in removed] for t, keys in before.items() if t not in after}
    return result


def diff(old_dir: Path, new_dir: Path) -> dict[str, Any]:
    """The diff of two bundles as plain data (added, removed, replaced, modified paths, protected removals)."""
    d = compare(old_dir, new_dir)
    return {"added": d.added, "removed": d.removed, "replaced": d.replaced,
            "modified": {k: [p for p, _, _ in v] for k, v in d.modified.items()},
            "protected_removed": d.protected_removed}


def is_bundle(directory: Path) -> bool:
    return (directory / "resources.json").is_file()


def stacks_in(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if is_bundle(p)) if root.is_dir() else []


def compare_roots(base: Path, head: Path) -> tuple[list[StackDiff], list[str], list[str]]:
    """Diffs of every stack bundled under both roots, and the stacks only in base / only in head.
    Two bundles (directories with resources.json) compare as one stack."""
    if is_bundle(base) and is_bundle(head):
        return [compare(base, head, head.name)], [], []
    old, new = stacks_in(base), stacks_in(head)
    both = [s for s in new if s in old]
    return ([compare(base / s, head / s, s) for s in both], [s for s in old if s not in new],
            [s for s in new if s not in old])


def failed_gates(diffs: list[StackDiff], fail_on: list[str]) -> list[str]:
    """``gate: stack, stack`` for every gate in ``fail_on`` some stack's change trips."""
    out = []
    for gate in fail_on:
        stacks = [d.stack for d in diffs if d.gates()[gate]]
        if stacks:
            out.append(f"{gate}: {', '.join(stacks)}")
    return out
