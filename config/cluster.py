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


# GKE's workload vulnerability scanning tiers that no longer exist (about-workload-vulnerability-scanning):
# the standard tier was shut down on 2025-07-31, Advanced Vulnerability Insights on 2026-06-16.
RETIRED_VULNERABILITY_MODES = {"VULNERABILITY_BASIC": "shut down on 2025-07-31",
                               "VULNERABILITY_ENTERPRISE": "shut down on 2026-06-16"}


class ClusterSpec(Spec):
    """GKE control-plane settings that vary by environment."""

    authorized_networks: list[AuthorizedNetwork] = Field(
        default_factory=list,
        description="CIDRs allowed on the control plane's IP endpoint. Empty: the IP endpoints are off and the "
                    "IAM-gated DNS endpoint is the only way in.")
    binary_authorization: Literal["enforce", "dryrun", "disabled"] = Field(
        "enforce", description="enforce: only admitted images run; dryrun: violations are logged, not blocked.")
    gke_enterprise: bool = Field(False, description="The project has GKE Enterprise (needed for posture ENTERPRISE).")
    security_posture: Literal["BASIC", "ENTERPRISE"] = "BASIC"
    vulnerability_scanning: str = Field(
        "VULNERABILITY_DISABLED",
        description="GKE workload vulnerability scanning; retired by Google. Images are scanned in Artifact Registry.")
    intranode_visibility: bool = Field(False, description="Pod-to-pod traffic on one node goes through the VPC "
                                                          "(flow logs, firewall): costs some throughput.")
    security_group: str = Field(pattern=r"^gke-security-groups@[a-z0-9.-]+\.[a-z]+$",
                                description="Google Groups for RBAC: the gke-security-groups@<domain> group.")
    maintenance: MaintenanceWindow

    @model_validator(mode="after")
    def _values_gke_accepts(self) -> ClusterSpec:
        if self.vulnerability_scanning in RETIRED_VULNERABILITY_MODES:
            raise FieldError("vulnerability_scanning", self.vulnerability_scanning,
                             f"is no longer offered by GKE ({RETIRED_VULNERABILITY_MODES[self.vulnerability_scanning]});"
                             " use VULNERABILITY_DISABLED (images are scanned by Artifact Analysis in Artifact Registry)")
        if self.vulnerability_scanning != "VULNERABILITY_DISABLED":
            raise FieldError("vulnerability_scanning", self.vulnerability_scanning,
                             "is not a GKE vulnerability mode (use VULNERABILITY_DISABLED)")
        if self.security_posture == "ENTERPRISE" and not self.gke_enterprise:
            raise FieldError("security_posture", "ENTERPRISE",
                             "needs GKE Enterprise (set gke_enterprise: true if the project has it, or use BASIC)")
        return self


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
    preload_image: bool = Field(True, description="The serving image on a secondary boot disk (docs/cold-start.md); "
                                                  "false: every new node pulls it whole.")
    warm_spares: int = Field(0, ge=0, le=20, description="Nodes kept free for new replicas by low-priority placeholder "
                                                         "pods, which a replica preempts (ADR 0019).")
    reservation: Reservation | None = None
    queued_provisioning: bool = False
    flex_start: bool = False
    compact_placement: bool = False
    local_ssds: int = Field(0, ge=0, description="Local SSDs for ephemeral storage (model cache, scratch).")
    disk_size_gb: int = Field(200, ge=50, le=65536)

    @model_validator(mode="after")
    def _spares_fit(self) -> GpuPoolSpec:
        if self.warm_spares > self.max_nodes:
            raise FieldError("warm_spares", self.warm_spares, f"is more than max_nodes ({self.max_nodes})")
        return self

