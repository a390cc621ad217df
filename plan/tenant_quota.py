"""A tenant's namespace quota: the larger of its tier and what its workloads need, unless overridden."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from config.tenancy import TenantSpec, TierCatalog


@dataclass
class Needs:
    """What workloads need at their maximum scale (requests)."""

    cpu: float = 0.0
    memory_gi: float = 0.0
    storage_gi: float = 0.0
    pods: int = 0
    gpus: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Needs) -> Needs:
        gpus = dict(self.gpus)
        for kind, count in other.gpus.items():
            gpus[kind] = gpus.get(kind, 0) + count
        return Needs(self.cpu + other.cpu, self.memory_gi + other.memory_gi, self.storage_gi + other.storage_gi,
                     self.pods + other.pods, gpus)


@dataclass(frozen=True)
class Quota:
    """A tenant's namespace quota and where each number came from (tier, workloads or override)."""

    cpu: float
    memory_gi: float
    storage_gi: int
    gpus: dict[str, int]
    pods: int
    services: int
    pvcs: int
    sources: dict[str, str]

    @property
    def total_gpus(self) -> int:
        return sum(self.gpus.values())


def derive_quota(tenant: TenantSpec, tiers: TierCatalog, needs: Needs) -> Quota:
    """The larger of tier and the workloads' ``needs`` (+headroom), unless the tenant overrides a number.

    CPU, memory and storage get ``headroom``; GPUs are whole devices and get none.
    """
    tier, h = tiers.tiers[tenant.tier], tiers.headroom
    sources: dict[str, str] = {}

    def pick(key: str, from_tier: float, from_needs: float) -> float:
        sources[key] = "workloads" if from_needs > from_tier else "tier"
        return max(from_tier, from_needs)

    cpu = pick("cpu", tier.cpu, math.ceil(needs.cpu * (1 + h) * 10) / 10)
    memory = pick("memory_gi", tier.memory_gi, math.ceil(needs.memory_gi * (1 + h)))
    storage = int(pick("storage_gi", tier.storage_gi, math.ceil(needs.storage_gi * (1 + h))))
    pods = int(pick("pods", tier.pods, needs.pods * 2))  # rolling updates double pods briefly
    gpus = {tiers.default_accelerator: tier.gpus} if tier.gpus else {}
    for kind, count in needs.gpus.items():
        gpus[kind] = max(gpus.get(kind, 0), count)
    sources["gpus"] = "workloads" if any(needs.gpus.get(k, 0) > (tier.gpus if k == tiers.default_accelerator
                                                                 else 0) for k in needs.gpus) else "tier"
    override = tenant.quota
    if override is not None:
        for key in ("cpu", "memory_gi", "storage_gi", "pods", "gpus"):
            if getattr(override, key) is not None:
                sources[key] = "override"
        cpu = override.cpu if override.cpu is not None else cpu
        memory = override.memory_gi if override.memory_gi is not None else memory
        storage = override.storage_gi if override.storage_gi is not None else storage
        pods = override.pods if override.pods is not None else pods
        gpus = dict(override.gpus) if override.gpus is not None else gpus
    return Quota(cpu=cpu, memory_gi=memory, storage_gi=storage, gpus={k: v for k, v in gpus.items() if v},
                 pods=pods, services=tier.services, pvcs=tier.pvcs, sources=sources)
