"""Cluster and node pool sizing: the `cluster`, `cpu_pools` and `gpu_pools` of an environment file.

GPU pools are checked against config/catalog/accelerators.yaml (passed in the validation
context): shape and GPU count, MIG, zones offering the accelerator, and the combinations
GKE refuses (queued provisioning with compact placement or a reservation, spot with a
specific reservation, ...), each with a message that says what to change.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from config.catalog import Accelerator, AcceleratorCatalog
from config.errors import did_you_mean
from config.types import Cidr, DnsLabel, FieldError, Spec

RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class AuthorizedNetwork(Spec):
    name: str = Field(min_length=1)
    cidr: Cidr


class MaintenanceWindow(Spec):
    """A recurring window (RFC 5545 RRULE); GKE needs at least 48 h per 32 days."""

    start: str = Field(pattern=RFC3339)
    end: str = Field(pattern=RFC3339)
    recurrence: str = Field(pattern=r"^FREQ=(DAILY|WEEKLY)(;BYDAY=[A-Z,]+)?$")


class ClusterSpec(Spec):
    """GKE control-plane settings that vary by environment."""

    authorized_networks: list[AuthorizedNetwork] = Field(
        default_factory=list, description="CIDRs allowed on the IP endpoint; the DNS endpoint is IAM-gated.")
    binary_authorization: Literal["enforce", "disabled"] = "enforce"
    security_posture: Literal["BASIC", "ENTERPRISE"] = "BASIC"
    vulnerability_scanning: Literal["VULNERABILITY_DISABLED", "VULNERABILITY_BASIC", "VULNERABILITY_ENTERPRISE"] = (
        "VULNERABILITY_BASIC")
    security_group: str = Field(pattern=r"^gke-security-groups@[a-z0-9.-]+\.[a-z]+$",
                                description="Google Groups for RBAC: the gke-security-groups@<domain> group.")
    maintenance: MaintenanceWindow


class NodePoolSpec(Spec):
    """Sizing shared by CPU and GPU pools. Node counts are totals across the pool's zones."""

    name: DnsLabel = Field(max_length=20)
    machine_type: str = Field(pattern=r"^[a-z][a-z0-9]*-[a-z]+(-[a-z0-9]+)*$")
    min_nodes: int = Field(ge=0)
    max_nodes: int = Field(ge=1, le=1000)
    spot: bool = False
    disk_type: Literal["pd-balanced", "pd-ssd", "hyperdisk-balanced"] = "pd-balanced"
    disk_size_gb: int = Field(100, ge=20, le=65536)
    max_surge: int = Field(1, ge=0, le=20)

    @model_validator(mode="after")
    def _min_le_max(self) -> NodePoolSpec:
        if self.min_nodes > self.max_nodes:
            raise FieldError("min_nodes", self.min_nodes, f"is more than max_nodes ({self.max_nodes})")
        return self


class CpuPoolSpec(NodePoolSpec):
    """A CPU pool. One named `system` runs platform services; `serves_tenants` pools run tenant workloads."""

    serves_tenants: bool = False


class GpuSharing(Spec):
    strategy: Literal["TIME_SHARING", "MPS"]
    max_clients: int = Field(ge=2, le=48)


class SecondaryBootDisk(Spec):
    """A disk image with the inference image preloaded (GKE image cache): cuts cold start."""

    image: str = Field(pattern=r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/global/images/[a-z][-a-z0-9]*$")
    mode: Literal["CONTAINER_IMAGE_CACHE", "MODE_UNSPECIFIED"] = "CONTAINER_IMAGE_CACHE"


class Reservation(Spec):
    affinity: Literal["ANY_RESERVATION", "SPECIFIC_RESERVATION"]
    name: str | None = Field(None, description="Reservation name; required for SPECIFIC_RESERVATION.")


class GpuPoolSpec(NodePoolSpec):
    """A GPU pool: accelerator, shape, sharing, provisioning model."""

    accelerator: str
    gpus_per_node: int = Field(ge=1)
    sharing: GpuSharing | None = None
    mig_partition: str | None = None
    zones: list[str] | None = Field(None, description="Default: the environment's zones that offer the accelerator.")
    secondary_boot_disk: SecondaryBootDisk | None = None
    reservation: Reservation | None = None
    queued_provisioning: bool = False
    flex_start: bool = False
    compact_placement: bool = False
    local_ssds: int = Field(0, ge=0, description="Local SSDs for ephemeral storage (model cache, scratch).")
    disk_size_gb: int = Field(200, ge=50, le=65536)

    def check(self, accelerators: AcceleratorCatalog, region: str, env_zones: list[str]) -> None:
        """Catalog-dependent checks; raises FieldError on the offending field."""
        catalog = accelerators.accelerators
        if self.accelerator not in catalog:
            hint = did_you_mean(self.accelerator, catalog)
            raise FieldError("accelerator", self.accelerator,
                             f"is not in config/catalog/accelerators.yaml ({hint}known: {', '.join(catalog)})")
        gpu = catalog[self.accelerator]
        self._check_shape(gpu)
        self._check_partitioning(gpu)
        self._check_provisioning(gpu)
        zones = self.effective_zones(gpu, region, env_zones)
        if self.compact_placement and len(zones) > 1:
            raise FieldError("compact_placement", True,
                             f"needs the pool in a single zone, but it spans {', '.join(zones)} (set zones to one)")

    def _check_shape(self, gpu: Accelerator) -> None:
        shape = gpu.machines.get(self.machine_type)
        if shape is None:
            raise FieldError("machine_type", self.machine_type,
                             f"does not carry {self.accelerator} (shapes that do: {', '.join(gpu.machines)})")
        if shape.gpus != self.gpus_per_node:
            fits = [m for m, s in gpu.machines.items() if s.gpus == self.gpus_per_node]
            raise FieldError("gpus_per_node", self.gpus_per_node,
                             f"does not match {self.machine_type}, which carries {shape.gpus} "
                             f"(shapes with {self.gpus_per_node}: {', '.join(fits) or 'none'})")
        if self.local_ssds > shape.local_ssds:
            raise FieldError("local_ssds", self.local_ssds,
                             f"is more than {self.machine_type} offers ({shape.local_ssds})")

    def _check_partitioning(self, gpu: Accelerator) -> None:
        if self.mig_partition is None:
            return
        if not gpu.mig_partitions:
            raise FieldError("mig_partition", self.mig_partition,
                             f"cannot be used: {self.accelerator} has no MIG support (use sharing: TIME_SHARING)")
        if self.mig_partition not in gpu.mig_partitions:
            raise FieldError("mig_partition", self.mig_partition,
                             f"is not a MIG profile of {self.accelerator} (expected one of: {', '.join(gpu.mig_partitions)})")

    def _check_provisioning(self, gpu: Accelerator) -> None:
        specific = self.reservation is not None and self.reservation.affinity == "SPECIFIC_RESERVATION"
        if self.reservation and specific != bool(self.reservation.name):
            raise FieldError("reservation.name", self.reservation.name,
                             "is required with SPECIFIC_RESERVATION and not allowed with ANY_RESERVATION")
        dws = "queued_provisioning" if self.queued_provisioning else "flex_start" if self.flex_start else None
        if self.queued_provisioning and self.flex_start:
            raise FieldError("flex_start", True, "cannot be combined with queued_provisioning (pick one)")
        if dws and self.compact_placement:
            raise FieldError("compact_placement", True, f"cannot be combined with {dws} (GKE refuses it)")
        if dws and self.reservation:
            raise FieldError("reservation", self.reservation.affinity,
                             f"cannot be combined with {dws}: it obtains capacity without reservations")
        if dws and self.spot:
            raise FieldError("spot", True, f"cannot be combined with {dws} (it provisions on-demand capacity)")
        if self.spot and specific:
            raise FieldError("reservation", "SPECIFIC_RESERVATION",
                             "cannot be consumed by spot nodes (set spot: false or drop the reservation)")
        if gpu.machines[self.machine_type].requires_spot_or_dws and not (self.spot or dws):
            raise FieldError("machine_type", self.machine_type,
                             "is only offered as spot, flex_start or queued_provisioning (set one, or use a larger shape)")
        if dws and self.min_nodes:
            raise FieldError("min_nodes", self.min_nodes, f"must be 0 with {dws} (nodes exist only while requested)")

    def effective_zones(self, gpu: Accelerator, region: str, env_zones: list[str]) -> list[str]:
        offered = gpu.zones.get(region, [])
        if not offered:
            regions = ", ".join(sorted(gpu.zones))
            raise FieldError("accelerator", self.accelerator,
                             f"is not offered in region {region} (regions offering it: {regions})")
        if self.zones is None:
            zones = [z for z in env_zones if z in offered]
            if not zones:
                raise FieldError("accelerator", self.accelerator,
                                 f"is not offered in the environment's zones {', '.join(env_zones)} "
                                 f"(offered in {', '.join(offered)}; add one of them to zones)")
            return zones
        for i, zone in enumerate(self.zones):
            if zone not in offered:
                raise FieldError(f"zones.{i}", zone,
                                 f"does not offer {self.accelerator} (offered in {', '.join(offered)})")
            if zone not in env_zones:
                raise FieldError(f"zones.{i}", zone,
                                 f"is not one of the environment's zones ({', '.join(env_zones)})")
        return list(self.zones)


class DrSpec(Spec):
    """Disaster recovery posture (the DisasterRecovery component reads the rest)."""

    mode: Literal["none", "pilot_light", "warm_standby", "active_active"] = "none"
    secondary_region: str | None = None

    @model_validator(mode="after")
    def _region_when_needed(self) -> DrSpec:
        if self.mode != "none" and not self.secondary_region:
            raise FieldError("secondary_region", None, f"is required when mode is {self.mode}")
        return self


def check_gpu_pools(pools: list[GpuPoolSpec], info: ValidationInfo, env_zones: list[str]) -> None:
    """Run each pool's catalog checks; names must be unique."""
    context = info.context or {}
    catalog, region = context.get("accelerators"), context.get("region")
    seen: set[str] = set()
    for i, pool in enumerate(pools):
        if pool.name in seen:
            raise FieldError(f"{i}.name", pool.name, "is used by another GPU pool (names must be unique)")
        seen.add(pool.name)
        if catalog is not None:
            try:
                pool.check(catalog, region, env_zones)
            except FieldError as error:
                raise FieldError(f"{i}.{error.field}", error.value, error.message) from None
