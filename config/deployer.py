"""The deployer's roles per resource type (config/catalog/deployer_roles.yaml), beside the API table.

Which roles one stack needs follows from the types its run registers: plan/deployer.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from config.errors import did_you_mean
from config.types import FieldError, Spec

PREDEFINED = re.compile(r"^roles/[a-z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9.]*$")


def _predefined(value: str) -> str:
    """Predefined roles only, ``roles/<service>.<role>``: the basic ones (roles/owner, roles/editor) have no dot."""
    if not PREDEFINED.match(value):
        raise ValueError("is not a predefined role (roles/<service>.<role>; basic roles like roles/owner or "
                         "roles/editor grant far more than a deployer needs)")
    return value


RoleName = Annotated[str, AfterValidator(_predefined)]
Scope = Literal["project", "billing_account"]
SCOPES: tuple[Scope, ...] = ("project", "billing_account")


class DeployerRole(Spec):
    scope: Scope = Field(description="Where it is granted: the stack's project or the billing account.")
    why: str = Field(min_length=1, description="What needs it, and why not a smaller role.")


class DeployerRoleCatalog(Spec):
    """Predefined role(s) the identity running `pulumi up` needs per resource type."""

    source: str
    as_of: str
    roles: dict[RoleName, DeployerRole] = Field(min_length=1)
    resources: dict[str, list[RoleName]] = Field(
        min_length=1, description="Resource type (or `prefix:*`) -> roles; empty: no Google API is called.")

    @model_validator(mode="after")
    def _roles_are_declared(self) -> DeployerRoleCatalog:
        for type_, names in self.resources.items():
            for i, name in enumerate(names):
                if name not in self.roles:
                    raise FieldError(f"resources.{type_}.{i}", name,
                                     f"is not declared under roles ({did_you_mean(name, self.roles)}declare it with "
                                     "its scope and why)")
        named = {name for names in self.resources.values() for name in names}
        for name in self.roles:
            if name not in named:
                raise FieldError(f"roles.{name}", name, "is named by no resource type (name it under resources or "
                                 "remove it)")
        return self

    def row_for(self, resource_type: str) -> str | None:
        """The row that covers ``resource_type``: its own, else its ``prefix:*`` row (None: no row)."""
        if resource_type in self.resources:
            return resource_type
        pattern = resource_type.split(":")[0] + ":*"
        return pattern if pattern in self.resources else None

    def roles_for(self, resource_type: str) -> tuple[str, ...] | None:
        """The roles ``resource_type`` needs, like ``ApiCatalog.api_for``; None: no row covers it."""
        row = self.row_for(resource_type)
        return None if row is None else tuple(self.resources[row])
