"""The roles the identity that runs `pulumi up` needs: derived from the resource types a run registers.

The table is config/catalog/deployer_roles.yaml (type -> predefined roles, each role with its scope). A stack
needs the roles of the types it registers, no more: dev without budgets needs no billing role.
"""

from __future__ import annotations

from collections.abc import Iterable

from config.deployer import SCOPES, DeployerRoleCatalog


class UncoveredTypeError(ValueError):
    """Registered types with no row in the table: the deployer's roles would be incomplete."""

    def __init__(self, types: tuple[str, ...]) -> None:
        self.types = types
        super().__init__(f"no deployer role for {', '.join(types)}: add a row under resources in "
                         "config/catalog/deployer_roles.yaml")


def uncovered(catalog: DeployerRoleCatalog, types: Iterable[str]) -> tuple[str, ...]:
    """The types no row covers, sorted."""
    return tuple(sorted({t for t in types if catalog.row_for(t) is None}))


def deployer_roles(catalog: DeployerRoleCatalog, types: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Scope (``project``, ``billing_account``) -> the sorted, unique roles the types need there.

    Every scope is a key, empty where nothing needs it. Raises UncoveredTypeError naming every type without a row.
    """
    types = set(types)
    missing = uncovered(catalog, types)
    if missing:
        raise UncoveredTypeError(missing)
    names = {name for t in types for name in catalog.roles_for(t) or ()}
    return {scope: tuple(sorted(n for n in names if catalog.roles[n].scope == scope)) for scope in SCOPES}


def needed_by(catalog: DeployerRoleCatalog, types: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Role -> the table rows (a type or a ``prefix:*`` pattern) that name it among ``types``, sorted."""
    out: dict[str, set[str]] = {}
    for t in types:
        row = catalog.row_for(t)
        for name in catalog.roles_for(t) or ():
            out.setdefault(name, set()).add(row)
    return {name: tuple(sorted(rows)) for name, rows in sorted(out.items())}
