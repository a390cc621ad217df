"""The per-environment sizing file, config/environments/<env>.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.cluster import ClusterSpec, CpuPoolSpec, GpuPoolSpec
from config.data import DataSpec
from config.entry import EntrySpec
from config.network import NetworkSpec
from config.operations import OperationsSpec
from config.recovery import DrSpec
from config.tenancy import EndpointSpec, TenancySpec
from config.types import Cron, DnsLabel, FieldError, Spec, TimeZone

ENVIRONMENTS = ("dev", "staging", "prod")
Environment = Literal["dev", "staging", "prod"]


class EncryptionSpec(Spec):
    """Cloud KMS settings for the platform's customer-managed keys."""

    rotation_days: int = Field(90, ge=1, le=90, description="Automatic rotation; at most 90 days by policy.")
    protection_level: Literal["SOFTWARE", "HSM"] = "SOFTWARE"
    destroy_scheduled_days: int = Field(30, ge=1, le=120, description="Grace period before a destroyed version is gone.")


class ImageSupplySpec(Spec):
    """The Artifact Registry caches of upstream registries (components/platform/image_supply.py)."""

    expected_gb: int = Field(50, ge=0, description="Cached image data, for the cost table.")
    delete_after_days: int = Field(180, ge=7, le=3650, description="Cached versions older than this are removed...")
    keep_versions: int = Field(10, ge=1, le=100, description="...except the newest N of every image.")


class WorkingHours(Spec):
    """When endpoints with zero minimum replicas run anyway (KEDA cron): a server that is down
    reports no queue, so queue depth alone cannot bring it back (ADR 0008)."""

    start: Cron = Field("0 8 * * 1-5", description="Cron: scale to one replica.")
    end: Cron = Field("0 20 * * 1-5", description="Cron: back to zero (if idle).")
    timezone: TimeZone = Field("Etc/UTC", description="IANA zone the crons are read in.")

    @model_validator(mode="after")
    def _a_window(self) -> WorkingHours:
        if " ".join(self.start.split()) == " ".join(self.end.split()):
            raise FieldError("end", self.end, "is the same as start: KEDA refuses a cron window that ends when it "
                                              "starts (set end to when the endpoints may stop, like '0 20 * * 1-5')")
        return self


class InferenceSpec(Spec):
    """Endpoints every tenant may use (`uses: [<name>]`), served in a platform namespace."""

    namespace: DnsLabel = "inference"
    sla: float = Field(99.5, ge=90, le=100, description="Sets the shared endpoints' minimum replicas.")
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    working_hours: WorkingHours = WorkingHours()
    queue_target: int = Field(3, ge=1, le=50, description="Waiting requests per replica before scaling out "
                                                          "(GKE recommends 3-5 for vLLM).")

    @model_validator(mode="after")
    def _unique(self) -> InferenceSpec:
        names = [e.name for e in self.endpoints]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise FieldError(f"endpoints.{i}.name", name, "is used by another shared endpoint")
        return self


class PolicySpec(Spec):
    """How the policy pack (policy/, docs/policy.md) gates this environment's changes."""

    enforcement: Literal["advisory", "mandatory"] = Field(
        description="advisory: violations are reported; mandatory: they fail `pulumi preview`/`up` and the review.")
    monthly_ceiling: float = Field(gt=0, description="USD a month the stack may cost at maximum scale (compute, "
                                                     "data and the DR region at rest); more is a violation.")


class EnvironmentSpec(Spec):
    """Sizing and switches for one environment (dev, staging or prod)."""

    prefix: DnsLabel = Field("aip", max_length=8, description="First part of every physical name.")
    protect: bool = Field(description="Protect stateful resources and turn on provider-side deletion protection.")
    generation: int | None = Field(
        None, ge=1, description="Unprotected environments only: increment after `pulumi destroy` so names Google "
                                "holds after deletion (KMS key rings, Cloud SQL instances) are new.")
    zones: list[str] = Field(min_length=1, description="Zones used in the stack's region (dev: one; prod: three).")
    network: NetworkSpec
    cluster: ClusterSpec
    cpu_pools: list[CpuPoolSpec] = Field(min_length=1, description="Must include one named `system`.")
    gpu_pools: list[GpuPoolSpec] = Field(default_factory=list)
    dr: DrSpec = DrSpec()
    encryption: EncryptionSpec = EncryptionSpec()
    data: DataSpec
    image_supply: ImageSupplySpec = ImageSupplySpec()
    tenancy: TenancySpec
    inference: InferenceSpec = InferenceSpec()
    entry: EntrySpec | None = Field(None, description="The platform gateway; required where a tenant exposes.")
    operations: OperationsSpec
    policy: PolicySpec

    @model_validator(mode="after")
    def _gated_where_protected(self) -> EnvironmentSpec:
        if self.protect and self.policy.enforcement != "mandatory":
            raise FieldError("policy.enforcement", self.policy.enforcement,
                             "is not allowed where protect is true: an environment whose data is protected gates "
                             "its changes (use mandatory)")
        return self

    @model_validator(mode="after")
    def _generation_only_where_unprotected(self) -> EnvironmentSpec:
        if self.generation is not None and self.protect:
            raise FieldError("generation", self.generation,
                             "renames (replaces) key rings and the database: only for environments with protect: false")
        return self

    @model_validator(mode="after")
    def _pools(self) -> EnvironmentSpec:
        names = [p.name for p in self.cpu_pools]
        if "system" not in names:
            raise FieldError("cpu_pools", names, "has no pool named 'system' (platform services run there)")
        for i, name in enumerate(names):
            if name in names[:i]:
                raise FieldError(f"cpu_pools.{i}.name", name, "is used by another CPU pool (names must be unique)")
        gpu_names = [p.name for p in self.gpu_pools]
        for i, name in enumerate(gpu_names):
            if name in names:
                raise FieldError(f"gpu_pools.{i}.name", name, "is already the name of a CPU pool")
            if name in gpu_names[:i]:
                raise FieldError(f"gpu_pools.{i}.name", name, "is used by another GPU pool (names must be unique)")
        return self

    @field_validator("zones")
    @classmethod
    def _unique_zones(cls, zones: list[str]) -> list[str]:
        if len(set(zones)) != len(zones):
            raise ValueError("lists a zone twice")
        return zones

    @property
    def tenant_pool(self) -> CpuPoolSpec | None:
        """The first CPU pool that serves tenants: where their CPU workloads and the loaders run."""
        return next((p for p in self.cpu_pools if p.serves_tenants), None)

    @property
    def regional(self) -> bool:
        """One zone: a zonal cluster; several: a regional (HA) control plane over them."""
        return len(self.zones) > 1

    @property
    def service_replicas(self) -> int:
        """Replicas of the platform's own controllers (KEDA, endpoint pickers): two, active and standby,
        where the environment is highly available."""
        return 2 if self.regional else 1
