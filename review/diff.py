"""Compare two review bundles: what a change adds, removes and modifies, by type and name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMPARED = ("parent", "provider", "protect", "aliases", "ignore_changes", "retain_on_delete")


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


def diff(old_dir: Path, new_dir: Path) -> dict[str, Any]:
    old, new = _load(old_dir), _load(new_dir)
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "modified": {k: changed_paths(old[k], new[k]) for k in sorted(set(old) & set(new))
                     if changed_paths(old[k], new[k])},
    }


def render(result: dict[str, Any], old_dir: Path, new_dir: Path) -> str:
    lines = [f"# Review diff: {old_dir} -> {new_dir}", ""]
    counts = {k: len(v) for k, v in result.items()}
    lines.append(f"{counts['added']} to add, {counts['removed']} to remove, {counts['modified']} to modify.")
    for kind, sign in (("added", "+"), ("removed", "-")):
        if result[kind]:
            lines += ["", f"## {kind.capitalize()}", ""] + [f"{sign} `{k}`" for k in result[kind]]
    if result["modified"]:
        lines += ["", "## Modified", ""]
        for key, paths in result["modified"].items():
            lines.append(f"~ `{key}`: " + ", ".join(f"`{p}`" for p in paths))
    protected_removed = [k for k in result["removed"] if _load(old_dir)[k].get("protect")]
    if protected_removed:
        lines += ["", "**Warning:** protected resources would be removed (a rename without `aliases`?): "
                  + ", ".join(f"`{k}`" for k in protected_removed)]
    return "\n".join(lines) + "\n"
