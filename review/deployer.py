"""The review's "Deployer roles" section: what the identity running `pulumi up` needs for this stack."""

from __future__ import annotations

import textwrap

from plan.deployer import deployer_roles, needed_by, uncovered
from review.harness import StackRun
from review.markdown import table

CATALOG_FILE = "config/catalog/deployer_roles.yaml"
SCOPE_LABELS = {"project": "project", "billing_account": "billing account"}


def registered_types(run: StackRun) -> set[str]:
    """Every resource type the run registers (custom resources; components call no API)."""
    return {r.type for r in run.records if r.custom}


def deployer_section(run: StackRun) -> str:
    catalog = run.spec.catalog.deployer_roles
    types = registered_types(run)
    missing = uncovered(catalog, types)
    covered = types - set(missing)
    roles, rows_of = deployer_roles(catalog, covered), needed_by(catalog, covered)
    where = {"project": f"project `{run.spec.project}`",
             "billing_account": f"billing account `{run.spec.env.tenancy.billing_account}`"}
    rows = [[f"`{name}`", where[scope], ", ".join(f"`{row}`" for row in rows_of[name]), catalog.roles[name].why]
            for scope, names in roles.items() for name in names]
    text = ("## Deployer roles\n\nThe identity that runs `pulumi up` for this stack needs these predefined roles, "
            f"derived from the resource types it registers (`{CATALOG_FILE}`); README \"Deploying for real\" lists "
            "them for every stack.\n\n" + table(["role", "granted on", "needed by", "why"], rows))
    if missing:
        text += (f"\n**Not covered** (no row in `{CATALOG_FILE}`, so the roles above are incomplete): "
                 + ", ".join(f"`{t}`" for t in missing) + ".\n")
    return text


def readme_roles(runs: list[StackRun]) -> str:
    """The README's list: every role any stack needs, by scope, from the union of their registered types."""
    types = set().union(*(registered_types(run) for run in runs))
    roles = deployer_roles(runs[0].spec.catalog.deployer_roles, types)
    stacks = ", ".join(f"`{run.stack}`" for run in runs)
    lines = [f"Every stack ({stacks}) together, as `make docs` writes it from their reviews:", ""]
    for scope, names in roles.items():
        if names:
            lines += textwrap.wrap(f"- on the {SCOPE_LABELS[scope]}: " + ", ".join(f"`{n}`" for n in names),
                                   width=96, subsequent_indent="  ", break_on_hyphens=False)
    return "\n".join(lines) + "\n"
