"""Disaster recovery of an environment: the `dr` section (docs/dr.md, ADR 0011).

A mode says what exists in the DR region before anything fails; ``serving_region`` is the failover
switch. What each mode's RTO and RPO come to is computed from what is built (plan/recovery.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.network import NetworkSpec
from config.types import FieldError, Spec

MODES = ("none", "pilot_light", "warm_standby", "active_active")


class BackupSchedule(Spec):
    """Backup for GKE: how often the tenants' namespaces (objects, Secrets, volumes) are backed up, how
    long backups are kept, and for how long nobody can delete one (a deleted backup cannot be restored)."""

    rpo_minutes: int = Field(ge=60, le=86400, description="Backup for GKE's target RPO (rpo_config: 60 to 86400).")
    retain_days: int = Field(ge=1, le=365)
    delete_lock_days: int = Field(0, ge=0, le=90)

    @model_validator(mode="after")
    def _consistent(self) -> BackupSchedule:
        if self.delete_lock_days > self.retain_days:
            raise FieldError("delete_lock_days", self.delete_lock_days,
                             f"is longer than retain_days ({self.retain_days}): a backup cannot be locked past its "
                             "deletion")
        if self.retain_days > 360 * self.rpo_minutes / 1440:
            raise FieldError("retain_days", self.retain_days,
                             f"is more than 360 backups at rpo_minutes {self.rpo_minutes} (Backup for GKE's limit): "
                             "lower it or back up less often")
        return self


class DrSpec(Spec):
    """What exists in the DR region, and which region serves."""

    mode: Literal[MODES] = "none"  # type: ignore[valid-type]
    secondary_region: str | None = None
    zones: list[str] | None = Field(None, min_length=1, description="The DR cluster's zones (warm_standby).")
    network: NetworkSpec | None = Field(None, description="The DR region's VPC; its ranges must not overlap the "
                                                          "primary's (a peering or VPN between them stays possible).")
    backup: BackupSchedule | None = None
    serving_region: Literal["primary", "secondary"] = Field(
        "primary", description="The failover switch: `secondary` promotes the DR database, raises the standby's "
                               "pools to their minimums, moves the program's Kubernetes side (tenants' namespaces, "
                               "workloads, routes, in-cluster monitoring) to the standby on the DR copies of images, "
                               "buckets, secrets and the database, and points the hostnames at the standby's "
                               "gateway; it restores the tenants' namespaces into the standby first (docs/dr.md).")
    replica_generation: int = Field(
        1, ge=1, description="Raised by one at each failback, after the promoted DR database is dropped from the "
                             "state: the new replica is `<prefix>-<env>-<dr region>-pg-r<generation>` (Cloud SQL "
                             "has no demotion, and holds a deleted instance's name for up to a week; docs/dr.md).")
    dns_ttl_seconds: int = Field(60, ge=30, le=300, description="TTL of tenants' hostname records while a DR mode is on: "
                                                                "how long clients keep the old address after re-pointing.")

    @model_validator(mode="after")
    def _complete_for_its_mode(self) -> DrSpec:
        if self.mode == "active_active":
            raise FieldError("mode", self.mode, "is not built: both regions serving needs stateful services "
                             "replicated both ways (ADR 0011); use warm_standby")
        if self.mode == "none":
            if self.serving_region != "primary":
                raise FieldError("serving_region", self.serving_region, "needs a DR mode (pilot_light or warm_standby)")
            return self
        for field in ("secondary_region", "network", "backup"):
            if getattr(self, field) is None:
                raise FieldError(field, None, f"is required when mode is {self.mode}")
        if self.mode == "warm_standby" and not self.zones:
            raise FieldError("zones", None, "is required for warm_standby: the DR cluster's zones")
        if self.serving_region == "secondary" and self.mode != "warm_standby":
            raise FieldError("serving_region", self.serving_region,
                             f"needs a cluster in the DR region, which {self.mode} does not have: raise mode to "
                             "warm_standby first (docs/dr.md, failing over from pilot light)")
        return self

    @property
    def active(self) -> bool:
        return self.mode != "none"

    @property
    def standby_cluster(self) -> bool:
        return self.mode == "warm_standby"

    @property
    def failed_over(self) -> bool:
        return self.serving_region == "secondary"
