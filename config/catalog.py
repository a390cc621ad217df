"""Catalog models: facts about GCP and pinned versions, read from config/catalog/*.yaml."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.deployer import DeployerRoleCatalog
from config.errors import did_you_mean
from config.genbi import GenBiCatalog
from config.models import ModelCatalog
from config.tenancy import TierCatalog
from config.types import FieldError, Spec


class Figure(Spec):
    value: float = Field(ge=0)
    source: str


class RecoveryCatalog(Spec):
    """config/catalog/recovery.yaml: the durations behind the review's RTO and RPO, each with its source."""

    as_of: str
    sql_promotion_seconds: Figure
    sql_replication_lag_seconds: Figure
    bucket_replication_seconds: Figure
    cluster_create_seconds: Figure
    restore_seconds: Figure
    switch_apply_seconds: Figure


class ServingCatalog(Spec):
    """config/catalog/serving.yaml: the figures behind cold-start estimates (plan/coldstart.py), each with its source."""

    as_of: str
    autoscaler_seconds: Figure = Field(description="Cluster autoscaler: unschedulable pod to scale-up decision.")
    node_seconds: Figure = Field(description="A GPU node from scale-up to allocatable GPUs (VM, driver).")
    pod_start_seconds: Figure = Field(description="Scheduling, the GCS FUSE sidecar and the init containers.")
    image_gb: Figure = Field(description="The vLLM image, compressed (what a node downloads).")
    image_pull_mb_s: Figure = Field(description="A whole-image pull from Artifact Registry in the region.")
    image_preloaded_seconds: Figure = Field(description="Container start when a secondary boot disk holds the image.")
    streamer_nic_share: Figure = Field(description="Share of the node's network bandwidth vLLM's Run:ai streamer "
                                                   "reads weights from object storage at.")
    streamer_gb_s: Figure = Field(description="The streamer's measured rate, for a shape without a known NIC.")
    fuse_gb_s: Figure = Field(description="GCS FUSE read throughput with parallel downloads, per node.")
    engine_seconds: Figure = Field(description="vLLM from process start to a first answer, compile cache warm, "
                                               "weights excluded.")
    engine_seconds_per_10b: Figure = Field(description="Added per 10 billion parameters (graphs, profiling).")
    compile_seconds: Figure = Field(description="Added when no compile cache exists yet (the first replica).")


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
    cpu_quota: dict[str, str] = Field(description="Machine family -> regional vCPU quota metric.")


class GkeVersions(Spec):
    """The cluster follows its release channel: GKE picks the channel's default version at creation and
    upgrades within the channel. A pinned minor would fail once it leaves the channel."""

    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]


class Registry(Spec):
    """An upstream container registry the platform pulls from: through a remote repository of its own
    (``preset`` or ``uri``), or, for Google's own Artifact Registry hosts, directly (``direct``)."""

    repository: str | None = Field(None, pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$",
                                   description="Artifact Registry repository id of the cache.")
    preset: Literal["DOCKER_HUB"] | None = Field(None, description="A public repository Artifact Registry knows.")
    uri: str | None = Field(None, pattern=r"^https://[a-z0-9.-]+$", description="Any other upstream.")
    direct: bool = Field(False, description="Pulled as is; Binary Authorization allowlists each catalog image.")

    @model_validator(mode="after")
    def _one_upstream(self) -> Registry:
        if self.direct:
            if self.repository or self.preset or self.uri:
                raise FieldError("direct", True, "is pulled as is: give no repository, preset or uri")
            return self
        if (self.preset is None) == (self.uri is None):
            raise FieldError("uri", self.uri, "give exactly one of preset and uri")
        if not self.repository:
            raise FieldError("repository", None, "is required for a cached registry")
        return self


TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


class Preload(Spec):
    """A Compute Engine disk image holding an image's unpacked layers, for GKE's secondary boot disks: built by
    gke-disk-image-builder from exactly the pinned tag, in each stack's project (docs/cold-start.md)."""

    disk_image: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", description="The disk image's name.")
    built_from: str = Field(pattern=TAG, description="The tag it was built from: the pinned tag, or it is stale.")
    disk_size_gb: int = Field(60, ge=10, le=2000, description="The builder's --disk-size-gb: the unpacked layers.")


class Image(Spec):
    """An upstream image and its pinned tag; rendered through the registry's remote repository."""

    image: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]+/[a-z0-9._/-]+$", description="Upstream name with registry host.")
    tag: str = Field(pattern=TAG)
    source: str = Field(description="Where the tag was checked.")
    cuda: str | None = Field(None, pattern=r"^\d+\.\d+$", description="CUDA the image is built with (GPU images).")
    preload: Preload | None = Field(None, description="Its disk image for GPU nodes' secondary boot disks.")

    @property
    def registry(self) -> str:
        return self.image.split("/", 1)[0]

    @property
    def path(self) -> str:
        """The path under the registry; Docker Hub's official images live under `library/`."""
        path = self.image.split("/", 1)[1]
        return f"library/{path}" if self.registry == "docker.io" and "/" not in path else path


class Chart(Spec):
    repository: str = Field(pattern=r"^(https|oci)://")
    chart: str
    version: str = Field(pattern=r"^v?\d+\.\d+\.\d+$")
    source: str

    @property
    def oci(self) -> bool:
        return self.repository.startswith("oci://")

    @property
    def reference(self) -> str:
        """What helm installs: ``oci://<registry>/<chart>``, or the chart's name in its https repository."""
        return f"{self.repository}/{self.chart}" if self.oci else self.chart


class GpuDriver(Spec):
    min_driver: str = Field(pattern=r"^\d+(\.\d+)*$", description="The oldest NVIDIA driver this setting installs.")
    source: str


class Versions(Spec):
    """Pinned versions of everything the platform installs (config/catalog/versions.yaml)."""

    gke: GkeVersions
    postgres: str = Field(pattern=r"^POSTGRES_\d+$", description="Cloud SQL database_version.")
    registries: dict[str, Registry] = Field(default_factory=dict, description="Upstream host -> its cache.")
    images: dict[str, Image] = Field(default_factory=dict)
    charts: dict[str, Chart] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _images_have_a_registry(self) -> Versions:
        for name, image in self.images.items():
            if image.registry not in self.registries:
                raise FieldError(f"images.{name}.image", image.image,
                                 f"comes from {image.registry}, which has no entry under registries "
                                 f"(known: {', '.join(self.registries)})")
        return self
    gpu_driver: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"]
    gpu_drivers: dict[Literal["DEFAULT", "LATEST"], GpuDriver] = Field(
        default_factory=dict, description="The oldest driver each GKE setting installs.")
    cuda_drivers: dict[str, str] = Field(default_factory=dict, description="CUDA major -> oldest driver it runs on.")
    cuda_drivers_source: str = ""


class MachineShape(Spec):
    gpus: int = Field(ge=1)
    vcpus: int = Field(ge=1)
    memory_gb: float = Field(gt=0)
    local_ssds: int = Field(0, ge=0, description="Local SSDs (375 GB each) bundled with or attachable to the shape.")
    requires_spot_or_dws: bool = Field(False, description="Only obtainable as spot, flex-start or queued provisioning.")
    network_gbps: float | None = Field(None, gt=0, description="Maximum egress bandwidth (what weights stream in at).")


class Accelerator(Spec):
    """One GPU model: the shapes that carry it and where it is offered."""

    display_name: str = Field(description="NVIDIA <model> [memory]: the model word is its short name (l4, a100).")
    aliases: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]] = Field(
        default_factory=list, description="Other names people give it (l4, tesla-l4): never accepted, only "
                                          "suggested when a config uses one.")
    quota_metric: str = Field(pattern=r"^[A-Z0-9_]+_GPUS$", description="Regional on-demand GPU quota metric.")
    gpu_memory_gb: int
    mig_partitions: list[str] = Field(default_factory=list, description="Empty: no MIG support.")
    machines: dict[str, MachineShape]
    zones: dict[str, list[str]] = Field(description="Region -> zones offering the accelerator.")

    @property
    def short_name(self) -> str:
        """``NVIDIA A100 80GB`` -> ``a100``: the word people put in a name of their own for it."""
        words = self.display_name.lower().split()
        return words[1] if len(words) > 1 else words[0]


class AcceleratorCatalog(Spec):
    source: str
    as_of: str
    accelerators: dict[str, Accelerator]

    @model_validator(mode="after")
    def _aliases_name_one_accelerator(self) -> AcceleratorCatalog:
        owner: dict[str, str] = {name.lower(): name for name in self.accelerators}
        for name, gpu in self.accelerators.items():
            for i, alias in enumerate(gpu.aliases):
                if alias in owner:
                    raise FieldError(f"accelerators.{name}.aliases.{i}", alias,
                                     f"already names {owner[alias]} (an alias points at one accelerator)")
                owner[alias] = name
        return self

    def suggest(self, value: object) -> str:
        """``"did you mean 'nvidia-l4'? "`` by meaning: the name in another case, an alias, or the one GPU
        whose short name is a word of ``value`` (narrowed by a memory size in it); else the closest spelling."""
        text, names = str(value).strip().lower(), list(self.accelerators)
        found = [n for n in names if text in (n.lower(), *self.accelerators[n].aliases)]
        if not found:
            shorts = {gpu.short_name for gpu in self.accelerators.values()}
            words = [s for s in shorts if re.search(rf"(?<![a-z0-9]){re.escape(s)}(?![0-9])", text)]
            if len(words) == 1:
                found = [n for n in names if self.accelerators[n].short_name == words[0]]
                sized = [n for n in found if re.search(rf"(?<![0-9]){self.accelerators[n].gpu_memory_gb}(?![0-9])", text)]
                found = sized or found
        if not found:
            return did_you_mean(value, names)
        return f"did you mean {' or '.join(repr(n) for n in found)}? "


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
    kms_key_version_month: dict[str, float] = Field(description="Per active key version, by protection level.")
    secret_version_month: float = Field(ge=0, description="Per active secret version and replica location.")
    artifact_registry_gb_month: float = Field(ge=0, description="Stored (cached) image data.")
    pd_balanced_gb_month: float = Field(ge=0, description="Balanced persistent disk, zonal, per provisioned GiB.")


class PriceCatalog(Spec):
    source: str
    as_of: str
    currency: Literal["USD"]
    hours_per_month: int = 730
    regions: dict[str, RegionPrices]


class DatabaseFlag(Spec):
    value: str
    why: str


class DatabaseFlagCatalog(Spec):
    """Flags every Cloud SQL PostgreSQL instance gets (config/catalog/database_flags.yaml)."""

    source: str
    as_of: str
    flags: dict[str, DatabaseFlag]


class ApiCatalog(Spec):
    """Which Google API each resource type and feature uses (config/catalog/apis.yaml)."""

    source: str
    as_of: str
    bootstrap: list[str] = Field(description="Enabled out of band before the first apply.")
    resources: dict[str, str] = Field(description="Resource type (or `prefix:*`) -> API.")
    features: dict[str, str] = Field(description="API -> what needs it besides resources.")

    def api_for(self, resource_type: str) -> str | None:
        if resource_type in self.resources:
            return self.resources[resource_type]
        return self.resources.get(resource_type.split(":")[0] + ":*")

    @property
    def enabled(self) -> tuple[str, ...]:
        """Every API the program enables (all but the bootstrap ones), sorted."""
        return tuple(sorted((set(self.resources.values()) | set(self.features)) - set(self.bootstrap)))


class Exporter(Spec):
    version: str
    source: str
    metrics: dict[str, Literal["gauge", "counter", "histogram"]] = Field(min_length=1)


class CloudMetrics(Spec):
    source: str
    metrics: dict[str, Literal["gauge", "delta", "cumulative", "distribution"]] = Field(min_length=1)


def promql_name(metric_type: str) -> str:
    """A Cloud Monitoring metric type as PromQL names it: the first / becomes :, every other . or / an _."""
    domain, _, path = metric_type.partition("/")
    return domain.replace(".", "_") + ":" + path.replace(".", "_").replace("/", "_")


class MetricCatalog(Spec):
    """config/catalog/metrics.yaml: every metric the program names, and where each was checked."""

    source: str
    as_of: str
    exporters: dict[str, Exporter]
    cloud: CloudMetrics

    def promql_names(self) -> set[str]:
        """Every series name PromQL may use: exporters' (histograms as _bucket, _sum, _count) and Google's."""
        out: set[str] = set()
        for exporter in self.exporters.values():
            for name, kind in exporter.metrics.items():
                out |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else {name}
        for metric_type, kind in self.cloud.metrics.items():
            name = promql_name(metric_type)
            out |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "distribution" else {name}
        return out


class Catalog(Spec):
    """Everything under config/catalog/, each file validated on its own."""

    regions: RegionCatalog
    models: ModelCatalog
    serving: ServingCatalog
    recovery: RecoveryCatalog
    genbi: GenBiCatalog
    apis: ApiCatalog
    deployer_roles: DeployerRoleCatalog
    database_flags: DatabaseFlagCatalog
    machines: MachineCatalog
    versions: Versions
    accelerators: AcceleratorCatalog
    prices: PriceCatalog
    tiers: TierCatalog
    metrics: MetricCatalog
