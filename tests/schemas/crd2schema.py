"""Derive a strict JSON Schema from a CustomResourceDefinition, for tests/test_manifests.py.

    python tests/schemas/crd2schema.py <crd.yaml> <version> <source> > tests/schemas/<kind>.json

Objects that list their properties refuse unknown ones (what `kubectl apply --validate=strict`
and the API server's field validation do); int-or-string fields accept both; descriptions are
dropped. CEL rules stay as ``x-kubernetes-validations`` for tests/crd_rules.py to evaluate.
"""

from __future__ import annotations

import json
import sys

import yaml

KEEP = ("type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
        "required", "x-kubernetes-validations")


def convert(node: dict) -> dict:
    out = {k: node[k] for k in KEEP if k in node}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if "properties" in node:
        out["properties"] = {k: convert(v) for k, v in node["properties"].items()}
        if not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
            out["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = convert(node["additionalProperties"])
    if "items" in node:
        out["items"] = convert(node["items"])
    return out


def schema(crd: dict, version: str, source: str) -> dict:
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    root = served["schema"]["openAPIV3Schema"]
    properties = {k: convert(v) for k, v in root["properties"].items() if k not in ("metadata", "status")}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": f"Derived by tests/schemas/crd2schema.py from {source}",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", *[r for r in root.get("required", []) if r != "metadata"]],
        "additionalProperties": False,
        "properties": {
            **properties,
            "apiVersion": {"const": f"{crd['spec']['group']}/{version}"},
            "kind": {"const": crd["spec"]["names"]["kind"]},
            "metadata": {"type": "object", "required": ["name"]},
        },
        **({"x-kubernetes-validations": root["x-kubernetes-validations"]} if "x-kubernetes-validations" in root else {}),
    }


if __name__ == "__main__":
    path, version, source = sys.argv[1:4]
    with open(path) as f:
        print(json.dumps(schema(yaml.safe_load(f), version, source), indent=1, sort_keys=True))
