"""Tenants: one file each in config/tenants/, tiers from config/catalog/tiers.yaml.

A workload kind is one model with a ``kind`` literal; adding a kind means adding a class here
and to ``Workload``, and what it needs to plan/ (``Plan.needs``). Quotas follow from tier and
needs (plan/tenant_quota.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.genbi import DataSource
from config.operations import Slo, TenantAlerts
from config.types import DnsLabel, FieldError, Spec

EMAIL = r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"
ENDPOINT_PORT = 8000  # vLLM's OpenAI-compatible API and its /metrics, on every inference endpoint


class EndpointSpec(Spec):
    """A model served by vLLM. What it runs on, with how many GPUs and replicas, follows from sizing
    (config/sizing.py); the optional fields constrain or override it, and sizing checks them."""

    name: DnsLabel = Field(max_length=20)
    model: str = Field(min_length=1, description="A key of config/catalog/models.yaml.")
    dtype: Literal["bf16", "fp8", "awq", "gptq"] = "bf16"
    max_model_len: int = Field(ge=256, le=1_048_576, description="Longest prompt + completion, tokens.")
    peak_concurrency: int = Field(ge=1, le=100_000, description="Sequences in flight at the busiest time.")
    min_replicas: int | None = Field(None, ge=0, le=100, description="Default from the SLA and the environment.")
    max_replicas: int | None = Field(None, ge=1, le=100, description="Override; at least what the peak needs.")
    accelerators: list[str] | None = Field(None, min_length=1, description="Only these GPU types.")
    tensor_parallel: int | None = Field(None, ge=1, le=16, description="Override of the chosen TP size.")
    wake_up_seconds: int | None = Field(None, ge=30, le=3600, description=(
        "How soon a new replica must serve (waking from zero or past the running replicas); checked against the "
        "cold-start estimate, which a warm spare node in the endpoint's pool shortens (docs/cold-start.md)."))

    @model_validator(mode="after")
    def _replicas(self) -> EndpointSpec:
        if self.min_replicas is not None and self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise FieldError("min_replicas", self.min_replicas, f"is more than max_replicas ({self.max_replicas})")
        return self


class InferenceWorkload(EndpointSpec):
    """A tenant's vLLM endpoint (components/workloads/inference.py)."""

    kind: Literal["inference"]


class GenBiWorkload(Spec):
    """WrenAI GenBI (UI, AI service, engine, ibis server, Qdrant) on the platform's endpoints (docs/genbi.md)."""

    kind: Literal["genbi"]
    name: DnsLabel = Field(max_length=20)
    llm: DnsLabel | None = Field(None, description="A generation endpoint: the tenant's own, or a shared one it "
                                                   "uses. Default: its first, else the first shared one it uses.")
    embedder: DnsLabel | None = Field(None, description="An embedding endpoint, found the same way.")
    data_sources: list[DataSource] = Field(default_factory=list, description="What the engine and ibis may reach.")
    storage_gi: int = Field(10, ge=1, le=1000, description="Qdrant's volume.")


Workload = Annotated[InferenceWorkload | GenBiWorkload, Field(discriminator="kind")]


class Budget(Spec):
    monthly: float = Field(gt=0, description="Monthly budget in the billing account's currency.")
    thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.9, 1.0], min_length=1)

    @model_validator(mode="after")
    def _thresholds(self) -> Budget:
        for i, t in enumerate(self.thresholds):
            if not 0 < t <= 2:
                raise FieldError(f"thresholds.{i}", t, "must be a fraction of the budget between 0 and 2")
        return self


class QuotaOverride(Spec):
    """Explicit numbers that replace the derived ones (each optional)."""

    cpu: float | None = Field(None, gt=0)
    memory_gi: float | None = Field(None, gt=0)
    storage_gi: int | None = Field(None, ge=0)
    gpus: dict[str, int] | None = None
    pods: int | None = Field(None, ge=1)


class TenantSpec(Spec):
    """One tenant: who owns it, where it runs, what it may use and what it runs."""

    name: DnsLabel
    display_name: str = Field(min_length=1, max_length=80)
    tier: str
    stacks: list[str] = Field(min_length=1)
    owners: list[Annotated[str, Field(pattern=EMAIL)]] = Field(min_length=1, description="Google groups: admin.")
    viewers: list[Annotated[str, Field(pattern=EMAIL)]] = Field(default_factory=list, description="Groups: view.")
    sla: float = Field(ge=90, le=99.999, description="Availability target in percent, e.g. 99.9.")
    budget: Budget | None = None
    quota: QuotaOverride | None = None
    uses: list[str] = Field(default_factory=list, description="Shared platform endpoints the tenant calls.")
    workloads: list[Workload] = Field(default_factory=list)
    expose: list[DnsLabel] = Field(default_factory=list, description="Inference endpoints reachable through the "
                                   "platform gateway, at <name>.<tenant>.<entry.domain>, behind IAP.")
    alerts: TenantAlerts = Field(description="Where its alerts go: its own receivers (docs/operations.md).")
    api_clients: list[Annotated[str, Field(pattern=r"^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$")]] = Field(
        default_factory=list, description="Service accounts that call the exposed endpoints with Google-signed "
                                          "ID tokens (besides the owners' and viewers' members).")

    @property
    def genbi(self) -> list[GenBiWorkload]:
        return [w for w in self.workloads if isinstance(w, GenBiWorkload)]

    @property
    def sites(self) -> list[str]:
        """What the gateway serves under the tenant's subdomain: exposed endpoints, then GenBI UIs."""
        return [*self.expose, *(w.name for w in self.genbi)]

    @model_validator(mode="after")
    def _unique_workloads(self) -> TenantSpec:
        names = [w.name for w in self.workloads]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise FieldError(f"workloads.{i}.name", name, "is used by another workload of this tenant")
        return self


class Tier(Spec):
    cpu: float = Field(gt=0)
    memory_gi: float = Field(gt=0)
    storage_gi: int = Field(ge=0)
    gpus: int = Field(ge=0)
    max_workloads: int = Field(ge=1)
    pods: int = Field(ge=1)
    services: int = Field(ge=1)
    pvcs: int = Field(ge=0)
    slo: Slo


class TierCatalog(Spec):
    default_accelerator: str
    headroom: float = Field(ge=0, le=2)
    tiers: dict[str, Tier]


class SharedEndpoint(Spec):
    """A platform service tenants may call (egress is allowed only to those a tenant `uses`)."""

    namespace: DnsLabel
    port: int = Field(ge=1, le=65535)


class TenancySpec(Spec):
    """The `tenancy` section of an environment file."""

    gpu_overcommit: float = Field(1.0, ge=0.1, le=10, description="Sum of GPU quotas may exceed capacity by this.")
    cpu_overcommit: float = Field(1.0, ge=0.1, le=10)
    memory_overcommit: float = Field(1.0, ge=0.1, le=10)
    billing_account: str | None = Field(None, pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    gateway_namespace: DnsLabel = "gateway-system"
    shared_endpoints: dict[str, SharedEndpoint] = Field(default_factory=dict)
    platform_identities: list[Annotated[str, Field(pattern=r"^[a-z0-9._%+{}-]+@[a-z0-9.{}-]+$")]] = Field(
        min_length=1,
        description="Kubernetes usernames (Google accounts; `{project}` is the stack's project) allowed to change "
                    "objects the platform manages in tenant namespaces: the identity that runs `pulumi up`.")

    platform_groups: list[Annotated[str, Field(pattern=r"^[a-z0-9._%+-]+@[a-z0-9.-]+$")]] = Field(
        default_factory=list,
        description="Google Groups whose members may also change those objects (break-glass admins, a CI "
                    "identity pool); they must be members of the cluster's `security_group` for GKE to see them.")

    def identities(self, project: str) -> list[str]:
        return [i.replace("{project}", project) for i in self.platform_identities]
