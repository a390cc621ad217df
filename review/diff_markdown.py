"""The review diff as Markdown for a pull-request comment: flags first, then per stack its cost, GPU and
quota delta, counts, tenants in one line each, and the resources with old → new values.

GitHub refuses comments over 65,536 characters: lists are shortened until the text fits, and each
shortened list says how many entries it left out (the bundles have them all).
"""

from __future__ import annotations

import json
from typing import Any

from review.diff import StackDiff
from review.markdown import money, table

LIMIT = 65_000
VALUE_CHARS = 60
CAPS = (None, 200, 60, 20, 5, 0)  # entries shown per list, tried in order until the comment fits


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("`", "'").replace("\n", "\\n")


def short(value: Any, start: int = 0) -> str:
    """``value`` as one line of at most VALUE_CHARS, from ``start`` (marked … where cut)."""
    text = _text(value)
    if len(text) <= VALUE_CHARS:
        return text
    start = max(0, min(start, len(text) - VALUE_CHARS + 2))
    body = text[start:start + VALUE_CHARS - (2 if start else 1)]
    return ("…" if start else "") + body + ("…" if start + len(body) < len(text) else "")


def old_new(old: Any, new: Any) -> str:
    """`old` → `new`, long values cut around where they first differ (a dashboard's JSON differs deep inside)."""
    a, b = _text(old), _text(new)
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = common - 20 if max(len(a), len(b)) > VALUE_CHARS and common > 20 else 0
    return f"`{short(old, start)}` → `{short(new, start)}`"


def _capped(lines: list[str], cap: int | None, what: str) -> list[str]:
    if cap is None or len(lines) <= cap:
        return lines
    return [*lines[:cap], f"- … {len(lines) - cap} more {what} left out (comment size limit; see the bundle)"]


def _delta(old: float | None, new: float | None, unit=money) -> list[str]:
    if old is None or new is None:
        return [unit(old) if old is not None else "n/a", unit(new) if new is not None else "n/a", "n/a"]
    change = new - old
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return [unit(old), unit(new), f"**{sign}{unit(abs(change))}**" if change else "±0"]


def _cost(d: StackDiff) -> str:
    old, new = (d.base_facts or {}).get("cost", {}), (d.head_facts or {}).get("cost", {})
    rows = [[label, *_delta(old.get(k), new.get(k))] for label, k in (
        ("stack at rest (compute + data)", "rest"), ("stack at maximum scale (compute + data)", "max"),
        ("compute at rest", "compute_rest"), ("compute at maximum scale", "compute_max"), ("data services", "data"),
        ("DR region at rest", "dr"))]
    note = "" if d.base_facts else "\nThe base bundle has no facts.json (made before the diff knew cost): n/a.\n"
    return "**Monthly cost**\n\n" + table(["per month", "base", "head", "change"], rows) + note


def _count(n: float) -> str:
    return f"{n:,.0f}"


def _capacity(d: StackDiff) -> str:
    if d.base_facts is None or d.head_facts is None:
        return "**GPUs and quota:** n/a (a bundle has no facts.json).\n"
    old, new = d.base_facts, d.head_facts
    rows = []
    for kind in sorted(set(old.get("gpus", {})) | set(new.get("gpus", {}))):
        a, b = old.get("gpus", {}).get(kind, {}), new.get("gpus", {}).get(kind, {})
        for when in ("at_rest", "at_max"):
            if a.get(when, 0) != b.get(when, 0):
                rows.append([f"GPUs {kind} {when.replace('_', ' ')}", *_delta(a.get(when, 0), b.get(when, 0), _count)])
    quota = {(q["scope"], q["metric"]): q for q in old.get("quota", [])}
    quota_new = {(q["scope"], q["metric"]): q for q in new.get("quota", [])}
    for key in sorted(set(quota) | set(quota_new)):
        a, b = quota.get(key, {}), quota_new.get(key, {})
        for when in ("at_rest", "at_max"):
            if a.get(when, 0) != b.get(when, 0):
                rows.append([f"quota `{key[1]}` ({key[0]}) {when.replace('_', ' ')}",
                             *_delta(a.get(when, 0), b.get(when, 0), _count)])
    if not rows:
        return "**GPUs and quota:** no change.\n"
    return "**GPUs and GCP quota**\n\n" + table(["", "base", "head", "change"], rows)


def _policy(d: StackDiff) -> str:
    policy = d.head_policy
    if policy is None:
        return "**Policy:** the head bundle has no policy.json.\n"
    found = policy.get("violations", [])
    before = {(v["rule"], v["resource"]) for v in (d.base_policy or {}).get("violations", [])}
    new = [v for v in found if (v["rule"], v["resource"]) not in before]
    if not found:
        return f"**Policy:** no violation ({policy.get('enforcement')}).\n"
    lines = [f"- `{v['rule']}` {v['resource'] or '(stack)'}: {short(v['message'])}"
             + (" (new)" if (v["rule"], v["resource"]) not in before else "") for v in found]
    return (f"**Policy:** {len(found)} violation(s), {len(new)} new, enforcement **{policy.get('enforcement')}**\n\n"
            + "\n".join(lines) + "\n")


def _stack(d: StackDiff, cap: int | None) -> str:
    tenant_keys = {k for keys in (*d.new_tenants.values(), *d.gone_tenants.values()) for k in keys}
    parts = [f"## Stack `{d.stack}`", "",
             f"{len(d.added)} to add, {len(d.removed)} to remove, {len(d.replaced)} to replace, "
             f"{len(d.modified)} to modify.", "", _cost(d), _capacity(d), _policy(d)]
    tenants = [f"- new tenant `{t}`: {len(keys)} resources" for t, keys in sorted(d.new_tenants.items())]
    tenants += [f"- removed tenant `{t}`: {len(keys)} resources" for t, keys in sorted(d.gone_tenants.items())]
    if tenants:
        parts += ["**Tenants**", "", *tenants, ""]
    added = [f"+ `{k}`" for k in d.added if k not in tenant_keys]
    removed = [f"- `{k}`" + (" **(protected)**" if k in d.protected_removed else "")
               for k in d.removed if k not in tenant_keys]
    for title, lines, what in (("Added", added, "added resources"), ("Removed", removed, "removed resources")):
        if lines:
            parts += [f"### {title}", "", *_capped(lines, cap, what), ""]
    if d.replaced:
        lines = [f"± `{k}`: **replace**, forced by " + ", ".join(f"`{p}`" for p in paths)
                 for k, paths in d.replaced.items()]
        parts += ["### Replaced (deleted, then created again)", "", *_capped(lines, cap, "replacements"), ""]
    if d.modified:
        lines = []
        for key, found in d.modified.items():
            values = "; ".join(f"`{p}`: {old_new(a, b)}" for p, a, b in found[:8])
            more = f"; … {len(found) - 8} more" if len(found) > 8 else ""
            lines.append(f"~ `{key}`: {values}{more}")
        parts += ["### Modified", "", *_capped(lines, cap, "modified resources"), ""]
    return "\n".join(parts)


def _flags(diffs: list[StackDiff]) -> list[str]:
    out = []
    for d in diffs:
        if d.replaced:
            out.append(f"> **Warning:** `{d.stack}`: {len(d.replaced)} resource(s) would be **replaced**, losing what "
                       "they hold (a rename without `aliases`, or a replace-forcing input?): "
                       + ", ".join(f"`{k}`" for k in list(d.replaced)[:10]) + (" …" if len(d.replaced) > 10 else ""))
        if d.protected_removed:
            out.append(f"> **Warning:** `{d.stack}`: **protected** resources would be removed (a rename without "
                       "`aliases`?): " + ", ".join(f"`{k}`" for k in d.protected_removed[:10])
                       + (" …" if len(d.protected_removed) > 10 else ""))
        if d.mandatory_violations:
            out.append(f"> **Policy:** `{d.stack}`: {len(d.mandatory_violations)} mandatory violation(s) block "
                       "the preview")
    return out


def _overview(diffs: list[StackDiff]) -> str:
    rows = []
    for d in diffs:
        old, new = (d.base_facts or {}).get("cost", {}), (d.head_facts or {}).get("cost", {})
        rows.append([f"`{d.stack}`", len(d.added), len(d.removed), len(d.replaced), len(d.modified),
                     _delta(old.get("rest"), new.get("rest"))[2], _delta(old.get("max"), new.get("max"))[2],
                     len((d.head_policy or {}).get("violations", []))])
    return table(["stack", "add", "remove", "replace", "modify", "Δ/month at rest", "Δ/month at max",
                  "policy violations"], rows)


def render(diffs: list[StackDiff], base: str, head: str, only_base: list[str] = (), only_head: list[str] = (),
           limit: int = LIMIT) -> str:
    """The comment; lists shortened (CAPS) until it is under ``limit`` characters."""
    text = ""
    for cap in CAPS:
        head_lines = [f"# Review diff: `{base}` → `{head}`", "", *_flags(diffs), "", _overview(diffs)]
        if only_base or only_head:
            head_lines.append(f"Stacks only in the base: {', '.join(only_base) or 'none'}; only in the head: "
                              f"{', '.join(only_head) or 'none'} (not compared).\n")
        text = "\n".join([*head_lines, *(_stack(d, cap) for d in diffs)]) + "\n"
        if len(text) < limit:
            return text
    note = "\n\n… comment cut at the size limit; the full diff is in the review bundles.\n"
    return text[:limit - len(note)] + note
