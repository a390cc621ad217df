"""Disaster recovery: the DR region, built by the same components as the primary one (docs/dr.md, ADR 0011).

Per mode, in the DR region:
- ``pilot_light``: the network, keys and image caches; a read replica of the database; a twin of every
  bucket that holds what cannot be re-created, kept current by replication; Backup for GKE's plan (its
  backups stored there) with restore plans ready;
- ``warm_standby``: also a cluster with its system pool up and its other pools at zero, the platform's
  guardrails and disk classes applied, and a restore plan of every tenant namespace into it.
``serving_region: secondary`` is the failover: the replica is promoted in place, the standby's pools go to their
minimums, and the serving side moves to the standby (layers/serving.py). ``standby()`` is built before the
tenancy layer (the serving side may run on its cluster), ``recovery()`` after it (the tenants' buckets and
namespaces are what it protects).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.data.storage import TENANT_CLASSES, BucketPolicy
from components.platform.gpu_pools import PlacedGpuPool
from components.platform.identity import workload_principal
from components.platform.image_supply import image_ref
from components.recovery.bucket_replicas import Access, BucketReplicas, BucketReplicasArgs, ReplicatedBucket
from components.recovery.cluster_backup import INTO_STANDBY, TENANTS_PLAN, ClusterBackup, ClusterBackupArgs, Target
from components.recovery.database_replica import DatabaseReplica, DatabaseReplicaArgs
from components.recovery.failover_restore import FailoverRestore, FailoverRestoreArgs, principal_subject
from components.recovery.standby_platform import StandbyPlatform, StandbyPlatformArgs
from components.tenancy.guardrails import TenantGuardrails, TenantGuardrailsArgs
from components.tenancy.tenant import OBJECT_USER, OBJECT_VIEWER
from components.workloads.autoscaling import Autoscaling
from config.data import MODEL_LOADER
from config.spec import PlatformSpec
from layers import cluster_services
from layers.platform import Compute, Foundation, Project, RegionalPlatform, compute
from layers.tenancy import Tenancy
from plan import Plan
from plan.coldstart import preload
from plan.recovery import REPLICATED_BUCKETS, standby_pools

SYSTEM_POOL = "system"


@dataclass(frozen=True)
class Recovery:
    region: str
    at: Foundation
    database: DatabaseReplica
    buckets: BucketReplicas
    backup: ClusterBackup
    standby: Compute | None


def cluster_id(project: str, cluster: Compute | RegionalPlatform) -> pulumi.Output[str]:
    c = cluster.cluster
    return pulumi.Output.all(c.location, c.name).apply(lambda v: f"projects/{project}/locations/{v[0]}/clusters/{v[1]}")


def weights_access(plan: Plan, project_number: pulumi.Input[str], pool: pulumi.Input[str]) -> tuple[Access, ...]:
    """On the models bucket's twin, each serving identity reads its model's folder and writes its compile cache, as
    on the source (components/tenancy/tenant.py, components/workloads/shared_inference.py): the Kubernetes identity
    is the same in the standby cluster (one workload pool per project). The model loader writes the whole bucket
    (components/workloads/model_weights.py), there as here."""
    loader = workload_principal(project_number, pool, f"{plan.spec.env.inference.namespace}/{MODEL_LOADER}")
    out = [Access("loader", OBJECT_USER, loader)]
    for key, endpoint in sorted(plan.endpoint_plans().items()):
        member, slug = workload_principal(project_number, pool, key), key.replace("/", "-")
        out += [Access(f"{slug}-weights", OBJECT_VIEWER, member, folder=endpoint.model_path),
                Access(f"{slug}-compile-cache", OBJECT_USER, member, folder=endpoint.cache_folder)]
    return tuple(out)


@dataclass(frozen=True)
class Standby:
    """What waits in the DR region for the switch: the database replica and, in warm standby, the cluster
    with the platform's guardrails, disk classes and tenant baselines applied."""

    region: str
    at: Foundation
    database: DatabaseReplica
    compute: Compute | None
    restore: FailoverRestore | None  # its Job runs the restore while the switch is on
    keda: Autoscaling | None = None  # the standby's own KEDA (layers/cluster_services.py; its collector too)

    @property
    def ready(self) -> tuple[pulumi.Resource, ...]:
        """What the serving side waits for in the standby: the restore Job, while the switch is on."""
        return (self.restore.job,) if self.restore and self.restore.job else ()


def standby(spec: PlatformSpec, base: Project, primary: RegionalPlatform) -> Standby | None:
    """Built before tenancy: the serving side (layers/serving.py) runs on this cluster after the switch."""
    dr, env = spec.env.dr, spec.env
    if not dr.active:
        return None
    region, at = dr.secondary_region, primary.dr
    naming, keys = at.naming, at.keys
    database = DatabaseReplica(f"database-{region}", DatabaseReplicaArgs(
        naming=naming, region=region, primary=primary.database.instance_name, settings=env.data.database,
        version=spec.catalog.versions.postgres,
        flags={name: flag.value for name, flag in spec.catalog.database_flags.flags.items()},
        vpc_id=at.network.vpc_id, psa_range_name=at.network.psa_range_name, key=keys.key_id("database"),
        promoted=dr.failed_over, protect=env.protect, generation=dr.replica_generation), opts=base.after_apis)
    cluster, restore, keda = None, None, None
    if dr.standby_cluster:
        cpu, gpu = standby_pools(spec)
        cluster = compute(spec, base, at, location=region, zones=tuple(dr.zones), regional=True,
                          control_plane_range=dr.network.control_plane_range, cpu_pools=cpu,
                          gpu_pools=tuple(PlacedGpuPool(pool, zones, preload(spec, pool).disk_image)
                                          for pool, zones in gpu))
        TenantGuardrails(f"guardrails-{region}", TenantGuardrailsArgs(
            platform_identities=tuple(env.tenancy.identities(spec.project)),
            platform_groups=tuple(env.tenancy.platform_groups),
            accelerators=tuple(sorted({p.accelerator for p in env.gpu_pools})), storage_classes=TENANT_CLASSES,
            provider=cluster.cluster.provider), opts=base.after_apis)
        routers = bool(env.entry and env.entry.inference_gateway)
        StandbyPlatform(f"standby-{region}", StandbyPlatformArgs(
            disk_key=keys.key_id("disks"), protect=env.protect,
            tenants=tuple((t.name, routers and bool(t.expose)) for t in spec.tenants),
            provider=cluster.cluster.provider), opts=base.after_apis)
        keda = cluster_services.keda(spec, f"autoscaling-{region}", naming, at.images, base.number, cluster.cluster,
                                     base.after_apis, grant=False)
        cluster_services.traces(spec, f"traces-{region}", at.images, base.number, cluster.cluster, base.after_apis,
                                grant=False)
        restore = FailoverRestore(f"restore-{region}", FailoverRestoreArgs(
            project=spec.project, location=region, backup_plan=naming.name(TENANTS_PLAN),
            restore_plan=naming.name(INTO_STANDBY),
            image=image_ref(at.images.prefixes, spec.catalog.versions.images["google-cloud-cli"]),
            provider=cluster.cluster.provider, run=dr.failed_over),
            # restored ScaledObjects need KEDA's CRD, and its webhook to admit them
            opts=pulumi.ResourceOptions(depends_on=[base.apis, keda]))
    return Standby(region=region, at=at, database=database, compute=cluster, restore=restore, keda=keda)


def recovery(spec: PlatformSpec, plan: Plan, base: Project, primary: RegionalPlatform, tenancy: Tenancy,
             waiting: Standby | None) -> Recovery | None:
    dr, env = spec.env.dr, spec.env
    if waiting is None:
        return None
    region, at, standby = waiting.region, waiting.at, waiting.compute
    naming, keys = at.naming, at.keys
    storage = env.data.storage
    twins = BucketPolicy(naming=naming, settings=storage.model_copy(update={"location": region.upper()}),
                         protect=env.protect)
    access = {"models": weights_access(plan, base.number, primary.cluster.workload_pool)}
    replicated = [ReplicatedBucket(thing, primary.storage.bucket_names[thing],
                                   storage_class=storage.buckets[thing].storage_class, access=access.get(thing, ()))
                  for thing in REPLICATED_BUCKETS if thing in primary.storage.bucket_names]
    replicated += [ReplicatedBucket(f"t-{name}", tenant.bucket, tenant=name,
                                    access=(Access("user", OBJECT_USER, tenant.google_member),))
                   for name, tenant in tenancy.tenants.items()]
    buckets = BucketReplicas(f"buckets-{region}", BucketReplicasArgs(
        buckets=twins, key=keys.key_id("storage"), replicated=tuple(replicated), project_number=base.number),
        opts=base.after_apis)
    backup = ClusterBackup(f"backup-{region}", ClusterBackupArgs(
        naming=naming, region=region, cluster=cluster_id(spec.project, primary),
        primary=Target(cluster_id(spec.project, primary), spec.region),
        namespaces=tuple(t.name for t in spec.tenants), schedule=dr.backup, key=keys.key_id("backups"),
        standby=Target(cluster_id(spec.project, standby), region) if standby else None, protect=env.protect,
        standby_serves=dr.failed_over,
        restorer=workload_principal(base.number, standby.cluster.workload_pool, principal_subject()) if standby else None),
        opts=pulumi.ResourceOptions(depends_on=[base.apis, *tenancy.tenants.values()]))
    return Recovery(region=region, at=at, database=waiting.database, buckets=buckets, backup=backup, standby=standby)
