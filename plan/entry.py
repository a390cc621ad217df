"""What each tenant exposes through the platform gateway: one site per exposed endpoint and GenBI UI."""

from __future__ import annotations

from dataclasses import dataclass

from config.spec import PlatformSpec
from config.tenancy import ENDPOINT_PORT, TenantSpec
from plan.endpoints import EndpointPlan
from plan.genbi import GRACE_SECONDS, PORTS, service_name


@dataclass(frozen=True)
class Exposure:
    """A backend the tenant exposes: a Service (or InferencePool) of its namespace."""

    name: str  # the route's
    hostname: str
    port: int
    drain_seconds: int  # the pods' termination grace: in-flight requests finish
    pool: bool = False  # behind an InferencePool (the Inference Gateway) rather than the Service
    health_path: str | None = "/health"  # None: a TCP check (the app has no health route)
    backend: str | None = None  # the Service or InferencePool, if not named like the route

    @property
    def target(self) -> str:
        return self.backend or self.name


def exposures(spec: PlatformSpec, plans: dict[str, EndpointPlan], tenant: TenantSpec) -> tuple[Exposure, ...]:
    """The tenant's exposed inference endpoints (drained as long as their pods' grace), then its GenBI UIs
    (WrenAI's UI has no health route: a TCP check)."""
    entry = spec.env.entry
    if entry is None:
        return ()
    return tuple(Exposure(name=name, hostname=entry.hostname(tenant.name, name), port=ENDPOINT_PORT,
                          drain_seconds=plans[f"{tenant.name}/{name}"].termination_grace_seconds,
                          pool=entry.inference_gateway) for name in tenant.expose) + tuple(
        Exposure(name=w.name, hostname=entry.hostname(tenant.name, w.name), port=PORTS["ui"],
                 drain_seconds=GRACE_SECONDS, health_path=None, backend=service_name(w.name, "ui"))
        for w in tenant.genbi)
