"""PlatformSpec: the whole validated input of one stack, and the lookups that need nothing derived.

What follows from it (sizing, quotas, capacity, cost, cold start, the GenBI wiring) is computed
in ``plan/`` (``plan.Plan.of(spec)``), once per spec.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import Field, PrivateAttr

from config.catalog import Catalog
from config.cluster import GpuPoolSpec
from config.data import ExternalSecret
from config.environment import Environment, EnvironmentSpec
from config.naming import Naming
from config.tenancy import ENDPOINT_PORT, EndpointSpec, InferenceWorkload, SharedEndpoint, TenantSpec
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

    # Where plan.Plan keeps what it derives from this spec (config never reads it).
    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def shared_endpoints(self) -> dict[str, SharedEndpoint]:
        """Every endpoint tenants may `use`: the environment's services and its shared inference endpoints."""
        inference = self.env.inference
        return {**self.env.tenancy.shared_endpoints,
                **{e.name: SharedEndpoint(namespace=inference.namespace, port=ENDPOINT_PORT)
                   for e in inference.endpoints}}

    def inference_endpoints(self) -> list[tuple[str, EndpointSpec, float]]:
        """(namespace, endpoint, SLA) of every endpoint this stack serves: shared ones, then tenants'."""
        out = [(self.env.inference.namespace, e, self.env.inference.sla) for e in self.env.inference.endpoints]
        for tenant in self.tenants:
            out += [(tenant.name, w, tenant.sla) for w in tenant.workloads if isinstance(w, InferenceWorkload)]
        return out

    def tenant(self, name: str) -> TenantSpec:
        (found,) = [t for t in self.tenants if t.name == name]
        return found

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
