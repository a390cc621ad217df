"""Compare two review bundles: what a change adds, removes, modifies and replaces, by type and name.

A modification that touches an input the provider cannot update in place (review/replace_on.yaml)
is a **replace**: the resource is deleted and created again, and its data with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from review.replacements import pins, replaced_by

COMPARED = ("parent", "provider", "protect", "aliases", "ignore_changes", "retain_on_delete", "delete_before_replace")


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


def _load(directory: Path) -> dict[str, dict]:
    records = json.loads((directory / "resources.json").read_text(encoding="utf-8"))
    return {f"{r['type']}::{r['name']}": r for r in records}


def changed_paths(old: dict, new: dict) -> list[str]:
    """Input paths and resource options whose values differ."""
    paths = [f"({opt})" for opt in COMPARED if old.get(opt) != new.get(opt)]
    a, b = _flatten(old["inputs"]), _flatten(new["inputs"])
    paths += [p for p in sorted(set(a) | set(b)) if a.get(p, "<absent>") != b.get(p, "<absent>")]
    return paths


def replacing_paths(old: dict, new: dict) -> list[str]:
    """The replace-forcing inputs that differ (none: an in-place update)."""
    return replaced_by(new["type"], pins(old["type"], old["inputs"]), pins(new["type"], new["inputs"]),
                       new.get("ignore_changes") or [])


def diff(old_dir: Path, new_dir: Path) -> dict[str, Any]:
    old, new = _load(old_dir), _load(new_dir)
    common = sorted(set(old) & set(new))
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "replaced": {k: paths for k in common if (paths := replacing_paths(old[k], new[k]))},
        "modified": {k: paths for k in common if (paths := changed_paths(old[k], new[k]))
                     and not replacing_paths(old[k], new[k])},
        "protected_removed": [k for k in sorted(set(old) - set(new)) if old[k].get("protect")],
    }


def render(result: dict[str, Any], old_dir: Path, new_dir: Path) -> str:
    lines = [f"# Review diff: {old_dir} -> {new_dir}", ""]
    counts = {k: len(result[k]) for k in ("added", "removed", "replaced", "modified")}
    lines.append(f"{counts['added']} to add, {counts['removed']} to remove, {counts['replaced']} to replace, "
                 f"{counts['modified']} to modify.")
    for kind, sign in (("added", "+"), ("removed", "-")):
        if result[kind]:
            lines += ["", f"## {kind.capitalize()}", ""] + [f"{sign} `{k}`" for k in result[kind]]
    if result["replaced"]:
        lines += ["", "## Replaced (deleted, then created again)", ""]
        for key, paths in result["replaced"].items():
            lines.append(f"± `{key}`: **replace**, forced by " + ", ".join(f"`{p}`" for p in paths))
    if result["modified"]:
        lines += ["", "## Modified", ""]
        for key, paths in result["modified"].items():
            lines.append(f"~ `{key}`: " + ", ".join(f"`{p}`" for p in paths))
    if result["protected_removed"]:
        lines += ["", "**Warning:** protected resources would be removed (a rename without `aliases`?): "
                  + ", ".join(f"`{k}`" for k in result["protected_removed"])]
    if result["replaced"]:
        lines += ["", "**Warning:** resources would be replaced, losing what they hold (a rename without "
                  "`aliases`, or a replace-forcing input?): " + ", ".join(f"`{k}`" for k in result["replaced"])]
    return "\n".join(lines) + "\n"
