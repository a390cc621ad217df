"""Checks of tenant files against the catalog, the project's stacks and the hosting stack."""

from __future__ import annotations

from config.checks.common import fail, tenant_file, unknown_accelerator
from config.environment import ENVIRONMENTS
from config.errors import ConfigError, did_you_mean
from config.naming import InvalidNameError, Naming
from config.spec import PlatformSpec
from config.tenancy import InferenceWorkload, TenantSpec
from plan import Plan
from plan.endpoints import SizingError


def _path(field: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in field.split("."))


RESERVED_PREFIXES = ("kube-", "gke-", "gmp-")


def reserved_names(spec: PlatformSpec) -> set[str]:
    """Namespaces a tenant may not take: Kubernetes', GKE's and the platform's own."""
    tenancy = spec.env.tenancy
    return {"default", "monitoring", "keda", tenancy.gateway_namespace, spec.env.inference.namespace,
            *(e.namespace for e in tenancy.shared_endpoints.values())}


def tenant_files(spec: PlatformSpec) -> None:
    """Every tenant file, hosted here or not: tier, stacks, name length, workload count, accelerators."""
    for tenant in spec.all_tenants:
        _tenant(spec, tenant, tenant_file(tenant.name))


def _tenant(spec: PlatformSpec, tenant: TenantSpec, file: str) -> None:
    if tenant.name.startswith(RESERVED_PREFIXES) or tenant.name in reserved_names(spec):
        raise ConfigError(file, "name", f"{tenant.name!r} is reserved: a tenant's namespace may not be the platform's, "
                          f"Kubernetes' or GKE's (names starting with {', '.join(RESERVED_PREFIXES)} and "
                          f"{', '.join(sorted(reserved_names(spec)))}); choose another name")
    tiers = spec.catalog.tiers.tiers
    if tenant.tier not in tiers:
        hint = did_you_mean(tenant.tier, tiers)
        raise ConfigError(file, "tier", f"{tenant.tier!r} is not a tier of config/catalog/tiers.yaml "
                          f"({hint}tiers: {', '.join(tiers)})")
    for i, name in enumerate(tenant.stacks):
        if name not in spec.stacks:
            raise ConfigError(file, f"stacks[{i}]", f"{name!r} is not a stack of this project "
                              f"(stacks: {', '.join(spec.stacks)}; each is a Pulumi.<stack>.yaml)")
    # The tenant's Google service account has the tightest limit; the longest environment name decides.
    longest = Naming(spec.env.prefix, max(ENVIRONMENTS, key=len), spec.project)
    try:
        longest.name(tenant.name, kind="service_account")
    except InvalidNameError as error:
        allowed = error.limit - (len(error.name) - len(tenant.name))
        raise ConfigError(file, "name", f"{tenant.name!r} is too long: its Google service account id {error.name!r} "
                          f"would be {len(error.name)} characters (limit {error.limit}); "
                          f"use at most {allowed} characters") from None
    limit = tiers[tenant.tier].max_workloads
    if len(tenant.workloads) > limit:
        raise ConfigError(file, "workloads", f"declares {len(tenant.workloads)} workloads; tier {tenant.tier} allows "
                          f"{limit} (choose a larger tier or remove workloads)")
    named = [(("workloads", i, "accelerators", j), accelerator) for i, workload in enumerate(tenant.workloads)
             for j, accelerator in enumerate(getattr(workload, "accelerators", None) or [])]
    named += [(("quota", "gpus", accelerator), accelerator) for accelerator in (tenant.quota and tenant.quota.gpus) or {}]
    for path, accelerator in named:
        unknown = unknown_accelerator(spec, accelerator)
        if unknown:
            raise fail(file, path, accelerator, unknown)


def tenants_on_stack(spec: PlatformSpec) -> None:
    """Hosted tenants: the endpoints they use exist here, and each inference endpoint has a size here."""
    shared = spec.shared_endpoints
    for tenant in spec.tenants:
        file = tenant_file(tenant.name)
        for i, workload in enumerate(tenant.workloads):
            if isinstance(workload, InferenceWorkload):
                try:
                    Plan.of(spec).sizing(workload, tenant.sla)
                except SizingError as error:
                    raise fail(file, ("workloads", i, *_path(error.field)), error.value, error.message) from None
        for i, endpoint in enumerate(tenant.uses):
            if endpoint not in shared:
                raise ConfigError(file, f"uses[{i}]", f"{endpoint!r} is not a shared endpoint of stack {spec.stack} "
                                  f"(known: {', '.join(shared) or 'none'})")
