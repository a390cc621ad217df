"""The platform underneath: the project, then per region network, keys, image caches, the cluster and
its pools, storage, secrets and the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.data.database import Database, DatabaseArgs
from components.data.secrets import Secrets, SecretsArgs, SecretStore, SuppliedSecret
from components.data.storage import BucketPolicy, Storage, StorageArgs, StorageKeys
from components.platform.cluster import Cluster, ClusterArgs, ClusterNetwork
from components.platform.encryption import Encryption, EncryptionArgs, Formerly
from components.platform.gpu_pools import GpuNodePools, GpuNodePoolsArgs, PlacedGpuPool
from components.platform.identity import project_number
from components.platform.image_supply import ImageSupply, ImageSupplyArgs
from components.platform.network import Network, NetworkArgs
from components.platform.node_identity import NodeIdentity, NodeIdentityArgs
from components.platform.node_pools import NodeSettings
from components.platform.project_services import ProjectServices, ProjectServicesArgs
from config.cluster import CpuPoolSpec
from config.loader import secret_values_from_pulumi
from config.naming import Naming
from config.network import NetworkSpec
from config.spec import PlatformSpec
from plan import Plan
from plan.coldstart import preload


@dataclass(frozen=True)
class Project:
    """What the whole project shares, whatever the region."""

    apis: ProjectServices
    number: pulumi.Output[str]
    nodes: NodeIdentity

    @property
    def after_apis(self) -> pulumi.ResourceOptions:
        """Every component waits for the APIs it calls (config/catalog/apis.yaml)."""
        return pulumi.ResourceOptions(depends_on=[self.apis])


def project(spec: PlatformSpec) -> Project:
    apis = ProjectServices("apis", ProjectServicesArgs(project=spec.project, apis=spec.catalog.apis.enabled))
    nodes = NodeIdentity("nodes", NodeIdentityArgs(naming=spec.naming), opts=pulumi.ResourceOptions(depends_on=[apis]))
    return Project(apis=apis, number=project_number(spec.project), nodes=nodes)


@dataclass(frozen=True)
class RegionalPlatform:
    region: str
    naming: Naming
    network: Network
    keys: Encryption
    images: ImageSupply
    cluster: Cluster
    gpus: GpuNodePools
    buckets: BucketPolicy
    storage: Storage
    secret_store: SecretStore
    secrets: Secrets
    supplied: dict[str, Any]  # secret name -> its value from `pulumi config set --secret`, or None
    database: Database
    dr: Foundation | None  # the DR region's network, keys and image caches (layers/recovery.py builds the rest)


@dataclass(frozen=True)
class Foundation:
    """What every region in use has: its VPC, its keys and its image caches."""

    region: str
    naming: Naming
    network: Network
    keys: Encryption
    images: ImageSupply


@dataclass(frozen=True)
class Compute:
    """A region's cluster, with its CPU pools and Kubernetes provider, and its GPU pools."""

    cluster: Cluster
    gpus: GpuNodePools


def foundation(spec: PlatformSpec, base: Project, region: str, network_plan: NetworkSpec, *,
               keys_formerly: Formerly | None = None, admission: pulumi.Resource | None = None) -> Foundation:
    """Network, keys and image caches in ``region``. In the stack's own region components keep their names
    and the Binary Authorization policy (which admits every region's caches) is made here; in another
    region logical and physical names carry the region and its caches wait for ``admission``."""
    env, protect = spec.env, spec.env.protect
    primary = region == spec.region
    naming = spec.naming if primary else spec.naming.in_region(region)

    def called(thing: str) -> str:
        return thing if primary else f"{thing}-{region}"

    after_apis = base.after_apis
    network = Network(called("network"), NetworkArgs(naming=naming, region=region, plan=network_plan, protect=protect),
                      opts=after_apis)
    keys = Encryption(called("encryption"), EncryptionArgs(
        naming=naming, regions=(region,), settings=env.encryption, project_number=base.number, protect=protect,
        formerly=keys_formerly), opts=after_apis)
    versions = spec.catalog.versions
    images = ImageSupply(called("images"), ImageSupplyArgs(
        naming=naming, region=region, registries=versions.registries, images=versions.images,
        key=keys.key_id("artifacts"), settings=env.image_supply, binary_authorization=env.cluster.binary_authorization,
        admitted_regions=tuple(r for r in spec.regions_in_use if r != region) if primary else (),
        admission=None if primary else admission), opts=after_apis)
    return Foundation(region=region, naming=naming, network=network, keys=keys, images=images)


def compute(spec: PlatformSpec, base: Project, at: Foundation, *, location: str, zones: tuple[str, ...],
            regional: bool, control_plane_range: str, cpu_pools: tuple[CpuPoolSpec, ...],
            gpu_pools: tuple[PlacedGpuPool, ...]) -> Compute:
    """The cluster and its pools on a foundation (the same components in every region)."""
    env, versions, primary = spec.env, spec.catalog.versions, at.region == spec.region

    def called(thing: str) -> str:
        return thing if primary else f"{thing}-{at.region}"

    network = at.network
    node_settings = NodeSettings(service_account=base.nodes.email, disk_key=at.keys.key_id("disks"),
                                 node_tag=network.node_tag)
    cluster = Cluster(called("cluster"), ClusterArgs(
        naming=at.naming, location=location, zones=zones, regional=regional,
        network=ClusterNetwork(vpc_id=network.vpc_id, subnet_id=network.subnet_id,
                               pods_range_name=network.pods_range_name, services_range_name=network.services_range_name,
                               control_plane_range=control_plane_range),
        settings=env.cluster, versions=versions.gke, nodes=node_settings, secrets_key=at.keys.key_id("gke-secrets"),
        cpu_pools=cpu_pools, backup_agent=env.dr.active, gpu_metrics=bool(gpu_pools), protect=env.protect,
        movable=env.dr.standby_cluster),
        opts=base.after_apis)
    gpus = GpuNodePools(called("gpu"), GpuNodePoolsArgs(
        naming=at.naming, cluster_name=cluster.name, location=cluster.location, nodes=node_settings,
        gpu_driver=versions.gpu_driver, pools=gpu_pools), opts=base.after_apis)
    return Compute(cluster=cluster, gpus=gpus)


def regional_platform(spec: PlatformSpec, plan: Plan, base: Project, region: str) -> RegionalPlatform:
    """The platform in the stack's region: its foundation, cluster and pools, storage, secrets and database."""
    env, protect = spec.env, spec.env.protect
    at = foundation(spec, base, region, env.network)
    dr = env.dr
    # The DR region's foundation comes right after: the secrets below get their twins there (ADR 0011).
    dr_at = foundation(spec, base, dr.secondary_region, dr.network,
                       keys_formerly=Formerly("encryption", at.keys, dr.secondary_region),
                       admission=at.images.admission) if dr.active else None
    naming, network, keys, images, after_apis = at.naming, at.network, at.keys, at.images, base.after_apis
    versions = spec.catalog.versions
    serving = compute(spec, base, at, location=spec.cluster_location, zones=tuple(env.zones), regional=env.regional,
                      control_plane_range=env.network.control_plane_range, cpu_pools=tuple(env.cpu_pools),
                      gpu_pools=tuple(PlacedGpuPool(pool, tuple(spec.gpu_pool_zones(pool)), preload(spec, pool).disk_image)
                                     for pool in env.gpu_pools))
    cluster, gpus = serving.cluster, serving.gpus

    def called(thing: str) -> str:
        return thing

    buckets = BucketPolicy(naming=naming, settings=env.data.storage, protect=protect)
    storage = Storage(called("storage"), StorageArgs(
        buckets=buckets, keys=StorageKeys(storage=keys.key_id("storage"), backups=keys.key_id("backups"),
                                          filestore=keys.key_id("filestore"), disks=keys.key_id("disks")),
        filestore=env.data.filestore, region=region, zone=env.zones[0], vpc_id=network.vpc_id,
        vpc_name=network.vpc_name, psa_range_name=network.psa_range_name,
        psa_range=env.network.private_service_access_range, node_tag=network.node_tag, provider=cluster.provider,
        model_paths=plan.model_paths(), cache_paths=plan.cache_paths()), opts=after_apis)
    twin = SecretStore(naming=dr_at.naming, region=dr_at.region, key=dr_at.keys.key_id("secrets"),
                       protect=protect) if dr_at else None
    secret_store = SecretStore(naming=naming, region=region, key=keys.key_id("secrets"), protect=protect, twin=twin,
                               serving_twins=dr.failed_over)
    supplied = secret_values_from_pulumi(spec)
    secrets = Secrets(called("secrets"), SecretsArgs(
        store=secret_store, project_number=base.number, workload_pool=cluster.workload_pool, secrets=tuple(
            SuppliedSecret(s.name, tuple(s.readers), supplied[s.name]) for s in env.data.secrets.external)),
        opts=after_apis)
    database = Database(called("database"), DatabaseArgs(
        naming=naming, region=region, settings=env.data.database, version=versions.postgres,
        flags={name: flag.value for name, flag in spec.catalog.database_flags.flags.items()}, vpc_id=network.vpc_id,
        psa_range_name=network.psa_range_name, key=keys.key_id("database"), secrets=secret_store, protect=protect,
        backup_region=env.dr.secondary_region if env.dr.active else None),
        opts=after_apis)
    return RegionalPlatform(region=region, naming=naming, network=network, keys=keys, images=images, cluster=cluster,
                            gpus=gpus, buckets=buckets, storage=storage, secret_store=secret_store, secrets=secrets,
                            supplied=supplied, database=database, dr=dr_at)
