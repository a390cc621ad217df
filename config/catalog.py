"""Catalog models: facts about GCP and pinned versions, read from config/catalog/*.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from config.tenancy import TierCatalog
from config.types import Spec


class Region(Spec):
    zones: list[str] = Field(min_length=1, description="Zone suffixes offered in the region (a, b, c).")

    def zone_names(self, region: str) -> list[str]:
        return [f"{region}-{z}" for z in self.zones]


class RegionCatalog(Spec):
    source: str
    as_of: str
    regions: dict[str, Region]


class CpuShape(Spec):
    vcpus: int = Field(ge=1)
    memory_gb: float = Field(gt=0)


class MachineCatalog(Spec):
    """CPU machine shapes (config/catalog/machines.yaml); GPU shapes are in accelerators.yaml."""

    source: str
    as_of: str
    machines: dict[str, CpuShape]


class GkeVersions(Spec):
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]
    min_master_version: str = Field(pattern=r"^1\.\d+(\.\d+(-gke\.\d+)?)?$")


class Versions(Spec):
    """Pinned versions of everything the platform installs (config/catalog/versions.yaml)."""

    gke: GkeVersions
    gpu_driver: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"]


class MachineShape(Spec):
    gpus: int = Field(ge=1)
    vcpus: int = Field(ge=1)
    memory_gb: float = Field(gt=0)
    local_ssds: int = Field(0, ge=0, description="Local SSDs (375 GB each) bundled with or attachable to the shape.")
    requires_spot_or_dws: bool = Field(False, description="Only obtainable as spot, flex-start or queued provisioning.")


class Accelerator(Spec):
    """One GPU model: the shapes that carry it and where it is offered."""

    display_name: str
    gpu_memory_gb: int
    mig_partitions: list[str] = Field(default_factory=list, description="Empty: no MIG support.")
    machines: dict[str, MachineShape]
    zones: dict[str, list[str]] = Field(description="Region -> zones offering the accelerator.")


class AcceleratorCatalog(Spec):
    source: str
    as_of: str
    accelerators: dict[str, Accelerator]


class Price(Spec):
    on_demand: float = Field(ge=0)
    spot: float = Field(ge=0)


class CloudSqlTier(Spec):
    vcpus: int = Field(ge=1)
    memory_gb: float = Field(gt=0)
    hourly: float = Field(ge=0, description="Zonal instance; REGIONAL (HA) costs twice this.")


class RegionPrices(Spec):
    machines: dict[str, Price] = Field(description="vCPU + memory of the shape, without GPUs.")
    gpus: dict[str, Price] = Field(description="Per GPU.")
    gke_cluster_hour: float = Field(ge=0, description="GKE Standard cluster management fee.")
    storage_gb_month: dict[str, float] = Field(description="GCS per storage class, regional location.")
    filestore_gb_month: dict[str, float] = Field(description="Filestore per tier, per provisioned GiB.")
    cloudsql: dict[str, CloudSqlTier] = Field(description="Cloud SQL Enterprise edition tiers.")
    cloudsql_storage_gb_month: float = Field(ge=0, description="SSD storage, zonal; REGIONAL doubles it.")


class PriceCatalog(Spec):
    source: str
    as_of: str
    currency: Literal["USD"]
    hours_per_month: int = 730
    regions: dict[str, RegionPrices]


class Catalog(Spec):
    """Everything under config/catalog/, each file validated on its own."""

    regions: RegionCatalog
    machines: MachineCatalog
    versions: Versions
    accelerators: AcceleratorCatalog
    prices: PriceCatalog
    tiers: TierCatalog
