"""Cluster and node pool sizing: the `cluster`, `cpu_pools` and `gpu_pools` of an environment file.

The models check what a file can say about itself; what depends on the catalog, the region
or other files (shapes, zones, combinations GKE refuses) is checked in ``config/checks``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

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


class DrSpec(Spec):
    """Disaster recovery posture (the DisasterRecovery component reads the rest)."""

    mode: Literal["none", "pilot_light", "warm_standby", "active_active"] = "none"
    secondary_region: str | None = None

    @model_validator(mode="after")
    def _region_when_needed(self) -> DrSpec:
        if self.mode != "none" and not self.secondary_region:
            raise FieldError("secondary_region", None, f"is required when mode is {self.mode}")
        return self
