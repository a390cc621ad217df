"""PlatformSpec: the whole validated input of one stack."""

from __future__ import annotations

from pydantic import Field

from config.catalog import Catalog
from config.environment import Environment, EnvironmentSpec
from config.tenancy import Quota, TenantSpec, derive_quota
from config.types import DnsLabel, ProjectId, Spec


class PlatformSpec(Spec):
    """Stack settings + the environment's sizing + the catalog, validated and frozen."""

    stack: DnsLabel
    project: ProjectId
    region: str
    environment: Environment
    env: EnvironmentSpec
    catalog: Catalog
    tenants: list[TenantSpec] = Field(default_factory=list, description="Tenants hosted by this stack.")

    def quota(self, tenant: TenantSpec) -> Quota:
        return derive_quota(tenant, self.catalog.tiers)

    @property
    def regional(self) -> bool:
        """Staging and prod clusters span the region; dev is zonal."""
        return self.environment != "dev"
