"""Stateful data services of an environment: buckets, Filestore, Cloud SQL, secrets."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from config.types import DnsLabel, FieldError, Spec

# Filestore: minimum capacity per tier (GiB) and whether the tier takes a customer-managed key.
FILESTORE_TIERS: dict[str, tuple[int, bool]] = {
    "BASIC_HDD": (1024, False),
    "BASIC_SSD": (2560, False),
    "ZONAL": (1024, True),
    "REGIONAL": (1024, True),
    "ENTERPRISE": (1024, True),
}
REGIONAL_FILESTORE = ("REGIONAL", "ENTERPRISE")
BUCKET_PURPOSES = ("models", "artifacts", "backups", "audit-logs")
# The data.secrets.external entry holding the Hugging Face token, and the Kubernetes service account (in the
# inference namespace) of the model loader that reads it for gated models.
HF_TOKEN_SECRET = "hf-token"  # noqa: S105 (a secret's name, not a value)
MODEL_LOADER = "model-loader"


class BucketSpec(Spec):
    """One platform bucket; ``expected_gb`` only feeds the review's cost estimate."""

    expected_gb: int = Field(ge=0)
    storage_class: Literal["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"] = "STANDARD"


class StorageSpec(Spec):
    """GCS settings shared by every bucket of the platform (and tenants' buckets)."""

    location: str = Field(description="Bucket location; must be the stack's region so the CMEK key can serve it.")
    soft_delete_days: int = Field(7, ge=0, le=90, description="0 disables soft delete; 7-90 otherwise.")
    noncurrent_versions: int = Field(3, ge=1, le=100, description="Older versions kept per object.")
    noncurrent_days: int = Field(30, ge=1, description="Days a noncurrent version is kept.")
    nearline_after_days: int = Field(30, ge=1)
    coldline_after_days: int = Field(90, ge=1)
    audit_retention_days: int = Field(365, ge=1, le=3650)
    lock_audit_retention: bool = Field(False, description="Locking is irreversible: prod only.")
    buckets: dict[Literal["models", "artifacts", "backups", "audit-logs"], BucketSpec]

    @model_validator(mode="after")
    def _coherent(self) -> StorageSpec:
        if 0 < self.soft_delete_days < 7:
            raise FieldError("soft_delete_days", self.soft_delete_days, "must be 0 (off) or between 7 and 90")
        if self.coldline_after_days <= self.nearline_after_days:
            raise FieldError("coldline_after_days", self.coldline_after_days,
                             f"must be later than nearline_after_days ({self.nearline_after_days})")
        missing = [p for p in BUCKET_PURPOSES if p not in self.buckets]
        if missing:
            raise FieldError("buckets", sorted(self.buckets), f"lacks {', '.join(missing)}")
        return self


class FilestoreSpec(Spec):
    """Shared read-write-many storage (model cache) on the platform VPC."""

    tier: Literal["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"]
    capacity_gb: int = Field(ge=1)
    share_name: str = Field("models", pattern=r"^[a-z][a-z0-9_]{0,15}$")

    @model_validator(mode="after")
    def _capacity(self) -> FilestoreSpec:
        minimum, _ = FILESTORE_TIERS[self.tier]
        if self.capacity_gb < minimum:
            raise FieldError("capacity_gb", self.capacity_gb,
                             f"is below the {self.tier} minimum of {minimum} GiB")
        return self

    @property
    def cmek(self) -> bool:
        return FILESTORE_TIERS[self.tier][1]

    @property
    def regional(self) -> bool:
        return self.tier in REGIONAL_FILESTORE


# Longest point-in-time recovery window per Cloud SQL edition (days).
# https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr: 1-7 Enterprise, 1-35 Enterprise Plus.
PITR_MAX_DAYS = {"ENTERPRISE": 7, "ENTERPRISE_PLUS": 35}


class DatabaseSpec(Spec):
    """The platform's Cloud SQL for PostgreSQL instance (tenants and GenBI get databases on it)."""

    tier: str = Field(description="A tier listed under cloudsql in config/catalog/prices.yaml.")
    edition: Literal["ENTERPRISE", "ENTERPRISE_PLUS"] = Field(
        "ENTERPRISE", description="Set explicitly: PostgreSQL 16+ defaults to ENTERPRISE_PLUS, which refuses "
                                  "db-custom tiers.")
    availability: Literal["ZONAL", "REGIONAL"]
    disk_size_gb: int = Field(20, ge=10, le=65536, description="Initial size; autoresize grows it afterwards.")
    backup_retention: int = Field(7, ge=1, le=365, description="Automated backups kept.")
    pitr_days: int = Field(7, ge=1, le=35, description="Point-in-time recovery window.")
    maintenance_day: int = Field(7, ge=1, le=7, description="1 = Monday ... 7 = Sunday.")
    maintenance_hour: int = Field(3, ge=0, le=23)
    max_connections: int = Field(200, ge=25, le=262143)

    @model_validator(mode="after")
    def _pitr_within_backups(self) -> DatabaseSpec:
        if self.pitr_days > PITR_MAX_DAYS[self.edition]:
            raise FieldError("pitr_days", self.pitr_days,
                             f"is longer than Cloud SQL {self.edition} keeps logs for point-in-time recovery "
                             f"({PITR_MAX_DAYS[self.edition]} days)")
        if self.pitr_days > self.backup_retention:
            raise FieldError("pitr_days", self.pitr_days,
                             f"is longer than backup_retention ({self.backup_retention}); PITR needs the backups")
        if self.edition == "ENTERPRISE_PLUS" and not self.tier.startswith("db-perf-optimized-"):
            raise FieldError("tier", self.tier, "is not offered by ENTERPRISE_PLUS (use a db-perf-optimized-N-* "
                                                "tier or edition: ENTERPRISE)")
        return self


class ExternalSecret(Spec):
    """A secret whose value a human supplies: `pulumi config set --secret ai-platform:<config_key> ...`.

    Readers are derived: every hosted tenant workload of a kind in ``used_by`` (its Kubernetes
    service account), plus the platform identities listed in ``readers``.
    """

    name: DnsLabel = Field(max_length=40)
    config_key: str = Field(pattern=r"^[a-z][a-zA-Z0-9]*$")
    description: str
    used_by: list[Literal["inference", "genbi"]] = Field(
        default_factory=list, description="Tenant workload kinds that read it.")
    readers: list[str] = Field(default_factory=list,
                               description="Platform identities `namespace/serviceaccount` that read it.")

    @model_validator(mode="after")
    def _readers(self) -> ExternalSecret:
        for i, reader in enumerate(self.readers):
            if not re.match(r"^[a-z0-9-]{1,63}/[a-z0-9-]{1,253}$", reader):
                raise FieldError(f"readers.{i}", reader, "is not 'namespace/serviceaccount'")
        return self


class SecretsSpec(Spec):
    external: list[ExternalSecret] = Field(default_factory=list)


class DataSpec(Spec):
    """The `data` section of an environment file."""

    storage: StorageSpec
    filestore: FilestoreSpec | None = Field(
        None, description="Shared NFS model cache. None: pods read weights from the models bucket (GCS FUSE).")
    database: DatabaseSpec
    secrets: SecretsSpec = SecretsSpec()
