"""Evaluate a CRD's CEL validation rules (``x-kubernetes-validations``) on an object, with cel-python.

The API server evaluates these rules on create and update; a JSON Schema cannot express them.
Rules are kept in the derived schemas (tests/schemas/crd2schema.py); each is evaluated on the
value at its node, with ``self`` bound to it. Transition rules (``oldSelf``) need an update and
are skipped; so are rules using Kubernetes' own CEL library (``isURL``, ``quantity``...), which
cel-python does not have, and comparisons across int-or-string types: they are listed, so a
skipped rule is visible.
"""

from __future__ import annotations

from typing import Any

import celpy

_ENV = celpy.Environment()
KUBERNETES_LIBRARY = ("isURL(", "quantity(", "url(", "isQuantity(", "format.", "ip(", "cidr(")


def violations(schema: dict, value: Any, path: str = "") -> tuple[list[str], list[str]]:
    """(messages of rules the value breaks, rules that could not be evaluated here)."""
    broken: list[str] = []
    skipped: list[str] = []
    for rule in schema.get("x-kubernetes-validations", []):
        expression = rule["rule"]
        if "oldSelf" in expression or any(f in expression for f in KUBERNETES_LIBRARY):
            skipped.append(f"{path or '.'}: {expression}")
            continue
        program = _ENV.program(_ENV.compile(expression))
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError:  # Kubernetes compares int-or-string values across types; cel-python cannot
            skipped.append(f"{path or '.'}: {expression} (cel-python: no heterogeneous comparison)")
            continue
        if not result:
            broken.append(f"{path or '.'}: {rule.get('message') or expression}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key, extra if isinstance(extra, dict) else None)
            if child:
                b, s = violations(child, item, f"{path}.{key}")
                broken += b
                skipped += s
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            b, s = violations(schema["items"], item, f"{path}[{i}]")
            broken += b
            skipped += s
    return broken, skipped
