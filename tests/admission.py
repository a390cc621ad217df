"""Evaluate rendered ValidatingAdmissionPolicies the way the API server does, with cel-python.

cel-python is a pure-Python implementation of Google's Common Expression Language (the same
language Kubernetes uses for admission); it parses and evaluates the expressions as rendered,
so a typo or a wrong field path fails here instead of on the cluster. Kubernetes adds a few
library functions to CEL (quantity, url, ...); our policies use only standard CEL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import celpy

_ENV = celpy.Environment()
_CACHE: dict[str, Any] = {}


def evaluate(expression: str, activation: dict[str, Any]) -> Any:
    program = _CACHE.get(expression)
    if program is None:
        program = _CACHE[expression] = _ENV.program(_ENV.compile(expression))
    return program.evaluate(activation)


@dataclass
class Request:
    """One admission request: the object (None on DELETE), the old one (None on CREATE), who asks."""

    object: dict | None
    old_object: dict | None = None
    username: str = "tenant-admin@example.com"
    groups: list[str] = field(default_factory=list)
    namespace: dict | None = None  # the Namespace object the request is in
    group: str = ""  # the API group of the resource

    @property
    def operation(self) -> str:
        return "DELETE" if self.object is None else "CREATE" if self.old_object is None else "UPDATE"

    def activation(self) -> dict[str, Any]:
        return {
            "object": celpy.json_to_cel(self.object),
            "oldObject": celpy.json_to_cel(self.old_object),
            "request": celpy.json_to_cel({"operation": self.operation,
                                          "userInfo": {"username": self.username, "groups": self.groups},
                                          "resource": {"group": self.group}}),
            "namespaceObject": celpy.json_to_cel(self.namespace or {"metadata": {"labels": {}}}),
        }


def denials(policy: dict, request: Request) -> list[str]:
    """The messages of the validations that refuse ``request`` (empty: admitted, or not matched)."""
    spec = policy["spec"]
    activation = request.activation()
    for condition in spec.get("matchConditions", []):
        if not evaluate(condition["expression"], activation):
            return []
    variables = celpy.celtypes.MapType({})
    for variable in spec.get("variables", []):  # in order: a variable may use the ones before it
        activation["variables"] = variables
        variables = celpy.celtypes.MapType({**variables, celpy.celtypes.StringType(variable["name"]):
                                            evaluate(variable["expression"], activation)})
    activation["variables"] = variables
    return [v["message"] for v in spec["validations"] if not evaluate(v["expression"], activation)]
