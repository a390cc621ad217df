"""PlatformSpec: the whole validated input of one stack, and the facts derived from it once."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, PrivateAttr

from config.catalog import Catalog
from config.cluster import GpuPoolSpec
from config.data import ExternalSecret
from config.environment import Environment, EnvironmentSpec
from config.genbi import MIN_SCHEMA_TOKENS, context_budget, total_requests
from config.naming import Naming
from config.sizing import Sizing
from config.tenancy import (
    EndpointSpec,
    GenBiWorkload,
    InferenceWorkload,
    Needs,
    Quota,
    SharedEndpoint,
    TenantSpec,
    derive_quota,
)
from config.types import DnsLabel, ProjectId, Spec


class PlatformSpec(Spec):
    """Stack settings + the environment's sizing + the catalog + tenants, validated and frozen."""

    stack: DnsLabel
    project: ProjectId
    region: str
    environment: Environment
    env: EnvironmentSpec
    catalog: Catalog
    tenants: list[TenantSpec] = Field(default_factory=list, description="Tenants hosted by this stack.")
    all_tenants: list[TenantSpec] = Field(default_factory=list, description="Every tenant file, hosted or not.")
    stacks: list[str] = Field(default_factory=list, description="Every stack of the project.")

    _sizings: dict = PrivateAttr(default_factory=dict)

    def sizing(self, endpoint: EndpointSpec, sla: float) -> Sizing:
        """How this stack serves ``endpoint`` (config/sizing.py), computed once; SizingError on a mistake."""
        from config.endpoints import size_endpoint

        key = (id(endpoint), sla)
        if key not in self._sizings:
            self._sizings[key] = size_endpoint(self, endpoint, sla)
        return self._sizings[key]

    def needs(self, tenant: TenantSpec) -> Needs:
        """What the tenant's workloads need at maximum scale; inference from its sizing."""
        from config.endpoints import endpoint_needs

        return sum((endpoint_needs(self.sizing(w, tenant.sla)) if isinstance(w, InferenceWorkload)
                    else self.genbi_needs(w) for w in tenant.workloads), Needs())

    def genbi_needs(self, workload: GenBiWorkload) -> Needs:
        cpu, memory, pods = total_requests(self.environment == "prod")
        return Needs(cpu, memory, workload.storage_gi, pods)

    def genbi_endpoints(self, tenant: TenantSpec, workload: GenBiWorkload) -> tuple[
            tuple[str, EndpointSpec] | None, tuple[str, EndpointSpec] | None]:
        """(namespace, endpoint) of the GenBI's LLM and embedder: named, or the tenant's own first, then
        the first shared endpoint it uses, of the right kind, an LLM with enough context before one
        without (None where there is none)."""
        models = self.catalog.models.models
        own = [(tenant.name, w) for w in tenant.workloads if isinstance(w, InferenceWorkload)]
        shared = [(self.env.inference.namespace, e) for e in self.env.inference.endpoints if e.name in tenant.uses]

        def find(name: str | None, kind: str):
            candidates = [(ns, e) for ns, e in own + shared if e.model in models and models[e.model].kind == kind]
            if kind == "generation":  # one with room for WrenAI's prompts first (config/checks/genbi.py)
                candidates.sort(key=lambda c: context_budget(c[1].max_model_len)[0] < MIN_SCHEMA_TOKENS)
            if name is None:
                return candidates[0] if candidates else None
            named = [(ns, e) for ns, e in own + shared if e.name == name]
            return named[0] if named else None

        return find(workload.llm, "generation"), find(workload.embedder, "embedding")

    @property
    def shared_endpoints(self) -> dict[str, SharedEndpoint]:
        """Every endpoint tenants may `use`: the environment's services and its shared inference endpoints."""
        from config.endpoints import PORT

        inference = self.env.inference
        return {**self.env.tenancy.shared_endpoints,
                **{e.name: SharedEndpoint(namespace=inference.namespace, port=PORT) for e in inference.endpoints}}

    def shared_sizing(self, endpoint: EndpointSpec) -> Sizing:
        return self.sizing(endpoint, self.env.inference.sla)

    def inference_endpoints(self) -> list[tuple[str, EndpointSpec, float]]:
        """(namespace, endpoint, SLA) of every endpoint this stack serves: shared ones, then tenants'."""
        out = [(self.env.inference.namespace, e, self.env.inference.sla) for e in self.env.inference.endpoints]
        for tenant in self.tenants:
            out += [(tenant.name, w, tenant.sla) for w in tenant.workloads if isinstance(w, InferenceWorkload)]
        return out

    def tenant(self, name: str) -> TenantSpec:
        (found,) = [t for t in self.tenants if t.name == name]
        return found

    def quota(self, tenant: TenantSpec) -> Quota:
        return derive_quota(tenant, self.catalog.tiers, self.needs(tenant))

    @property
    def naming(self) -> Naming:
        """Physical names in the stack's primary region."""
        return Naming(prefix=self.env.prefix, environment=self.environment, project=self.project,
                      generation=self.env.generation)

    @property
    def regional(self) -> bool:
        """A regional (HA) control plane: the environment spans several zones."""
        return self.env.regional

    @property
    def cluster_location(self) -> str:
        return self.region if self.regional else self.env.zones[0]

    @property
    def regions_in_use(self) -> tuple[str, ...]:
        """The stack's region, then the DR region where the environment has one."""
        dr = self.env.dr
        return (self.region, dr.secondary_region) if dr.mode != "none" and dr.secondary_region else (self.region,)

    def gpu_pool_zones(self, pool: GpuPoolSpec) -> list[str]:
        """The zones a GPU pool runs in: configured, or the environment's zones that offer its GPU."""
        if pool.zones is not None:
            return list(pool.zones)
        offered = self.catalog.accelerators.accelerators[pool.accelerator].zones.get(self.region, [])
        return [z for z in self.env.zones if z in offered]

    def shared_secrets(self, tenant: TenantSpec) -> list[ExternalSecret]:
        """The supplied secrets a tenant's workloads use (a workload kind in the secret's ``used_by``)."""
        kinds = {w.kind for w in tenant.workloads}
        return [s for s in self.env.data.secrets.external if kinds & set(s.used_by)]

    @cached_property
    def machine_shapes(self) -> dict[str, tuple[int, float]]:
        """Machine type -> (vCPUs, memory GiB), from the catalog (CPU and GPU shapes)."""
        shapes = {name: (m.vcpus, m.memory_gb) for name, m in self.catalog.machines.machines.items()}
        for accelerator in self.catalog.accelerators.accelerators.values():
            shapes.update({name: (m.vcpus, m.memory_gb) for name, m in accelerator.machines.items()})
        return shapes
