"""The stack-wide facts rules read (policy.rules.base.Context), from the stack's validated config.

Both the pack (a real preview: the stack's config files) and the review (the spec it already
loaded) build the context here, so the environment's enforcement, the cost ceiling and what the
cost counts are the same in both.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from config.spec import PlatformSpec
from plan import Plan, capacity, recovery
from policy.rules.base import Context, Resource

KEY = "gcp:kms/cryptoKey:CryptoKey"
SECRET = "gcp:secretmanager/secret:Secret"  # noqa: S105 (a type token)


def _in_region(resources: list[Resource], type_: str, region: str) -> int:
    return sum(1 for r in resources if r.type == type_ and (f"-{region}" in r.name or f"-{region}" in r.parent))


def monthly_costs(spec: PlatformSpec, resources: list[Resource]) -> dict[str, float]:
    """Monthly cost parts as summary.md totals them: compute at rest and at maximum scale, data services
    (keys and secrets counted in the stack), and the DR region at rest."""
    low, high = Plan.of(spec).compute_totals()
    keys, secrets = sum(r.type == KEY for r in resources), sum(r.type == SECRET for r in resources)
    data = sum(c.monthly for c in capacity.data_costs(spec) + capacity.service_costs(spec, keys=keys, secrets=secrets))
    dr = 0.0
    if spec.env.dr.active and spec.env.dr.secondary_region:
        region = spec.env.dr.secondary_region
        dr = sum(c.monthly for c in recovery.monthly(spec, keys=_in_region(resources, KEY, region),
                                                     secrets=_in_region(resources, SECRET, region)))
    return {"compute_rest": low, "compute_max": high, "data": data, "dr": dr}


def monthly_max(spec: PlatformSpec, resources: list[Resource]) -> float:
    """What the ceiling is compared with: compute at maximum scale + data + the DR region at rest."""
    parts = monthly_costs(spec, resources)
    return parts["compute_max"] + parts["data"] + parts["dr"]


def image_prefixes(spec: PlatformSpec) -> tuple[str, ...]:
    """``<region>-docker.pkg.dev/<project>/<cache>/`` of every cached upstream registry, in every region in use."""
    registries = spec.catalog.versions.registries.values()
    return tuple(f"{region}-docker.pkg.dev/{spec.project}/{r.repository}/"
                 for region in spec.regions_in_use for r in registries if not r.direct)


def context_of(spec: PlatformSpec) -> Context:
    versions = spec.catalog.versions
    direct = tuple(f"{i.image}:{i.tag}" for i in versions.images.values() if versions.registries[i.registry].direct)
    return Context(stack=spec.stack, environment=spec.environment, enforcement=spec.env.policy.enforcement,
                   protect=spec.env.protect, monthly_ceiling=spec.env.policy.monthly_ceiling,
                   tenants=tuple(t.name for t in spec.tenants), image_prefixes=image_prefixes(spec),
                   direct_images=direct, monthly_cost=partial(monthly_max, spec))


def context_for_stack(stack: str, root: Path) -> Context:
    """The context of a stack of the tree at ``root``, from its files (as `pulumi preview` sees them).

    Encrypted config values cannot be read here: they stand in as placeholders (no rule reads one).
    """
    from config import loader

    values = {k: "<secret>" if isinstance(v, dict) and set(v) == {"secure"} else v
              for k, v in loader.stack_config_from_file(stack, root).items()}
    return context_of(loader.load(stack, values, root, checks=False))
