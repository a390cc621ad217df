"""Which input changes make the provider replace a resource (review/replace_on.yaml).

Used by ``review --diff`` (a change is marked **replace**) and by the inventories (a stateful
resource's replace-forcing inputs are pinned; changing one fails unless allowed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).with_name("replace_on.yaml")
ABSENT = "<absent>"


def _not_an_expansion(old: Any, new: Any) -> bool:
    """A subnet range may grow in place; any other change (shrink, move) replaces."""
    try:
        return not ipaddress.ip_network(new).supernet_of(ipaddress.ip_network(old))
    except (TypeError, ValueError):
        return old != new


def _replica_locations(replication: Any) -> Any:
    if not isinstance(replication, dict):
        return replication
    replicas = (replication.get("userManaged") or {}).get("replicas") or []
    return {"auto": "auto" in replication, "locations": sorted(r.get("location", "") for r in replicas)}


CONDITIONS: dict[str, Callable[[Any, Any], bool]] = {
    "replica_locations_changed": lambda old, new: _replica_locations(old) != _replica_locations(new),
    "not_an_expansion": _not_an_expansion,
    "unlocked": lambda old, new: old is True and new is not True,  # a locked retention policy cannot unlock
    "unset": lambda old, new: old not in (None, ABSENT) and new in (None, ABSENT),
    # a replica re-pointed to another primary is made again; one whose primary is removed is promoted in place
    "repointed": lambda old, new: new not in (None, ABSENT),
}


@cache
def table() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    for type_, rules in data.items():
        for path, condition in (rules.get("when") or {}).items():
            if condition not in CONDITIONS:
                raise ValueError(f"{TABLE.name}: {type_}: {path}: unknown condition {condition!r}")
    return data


def lookup(inputs: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of the inputs, or ABSENT."""
    value: Any = inputs
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return ABSENT
        value = value[key]
    return value


def pins(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Path -> value of every replace-forcing input the resource sets."""
    rules = table().get(type_, {})
    paths = [*rules.get("always", []), *(rules.get("when") or {})]
    return {p: v for p in paths if (v := lookup(inputs, p)) is not ABSENT}


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    return any(path == i or path.startswith(f"{i}.") for i in ignore_changes)


def replaced_by(type_: str, old: dict[str, Any], new: dict[str, Any],
                ignore_changes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The replace-forcing paths whose values differ between two pin sets (``pins()`` results)."""
    rules = table().get(type_, {})
    out = []
    for path in rules.get("always", []):
        if not _ignored(path, ignore_changes) and old.get(path, ABSENT) != new.get(path, ABSENT):
            out.append(path)
    for path, condition in (rules.get("when") or {}).items():
        before, after = old.get(path, ABSENT), new.get(path, ABSENT)
        if not _ignored(path, ignore_changes) and before != after and CONDITIONS[condition](before, after):
            out.append(path)
    return out
