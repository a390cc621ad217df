"""The AI platform, one stack: load the validated spec, assemble it layer by layer, export.

platform (ProjectServices, NodeIdentity; Network, Encryption, ImageSupply, Cluster, GpuNodePools per
region in use; Storage, Secrets, Database) -> paging (NotificationChannels) -> the standby where there is DR
(DatabaseReplica; the standby's cluster, TenantGuardrails, StandbyPlatform, FailoverRestore) -> serving (which cluster the
Kubernetes side runs on: `dr.serving_region`) -> tenancy (TenantGuardrails, Tenant) -> recovery (BucketReplicas,
ClusterBackup) -> workloads (Autoscaling, SharedInference, ModelWeights, WarmCapacity, InferenceEndpoint, GenBi) -> entry
(PlatformServices, InferenceRouting, RouterMetrics, TenantEntry) -> operations (AlertRules, CloudAlerting,
ServiceLevels, TenantLogs, AuditLogging, Dashboards, TraceCollector). One function per layer in layers/.
"""

import sys

from config import ConfigError
from config.loader import load_from_pulumi
from layers import entry, operations, outputs, paging, platform, recovery, serving, tenancy, workloads
from plan import Plan

try:
    spec = load_from_pulumi()
except ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

plan = Plan.of(spec)
base = platform.project(spec)
primary = platform.regional_platform(spec, plan, base, spec.region)
paged = paging.channels(spec, base, primary)
waiting = recovery.standby(spec, base, primary)
where = serving.serving(spec, primary, waiting.compute if waiting else None, waiting.ready if waiting else (),
                        waiting.keda if waiting else None)
tenants = tenancy.tenancy(spec, plan, base, primary, where, paged)
dr = recovery.recovery(spec, plan, base, primary, tenants, waiting)
served = workloads.workloads(spec, plan, base, primary, where, tenants, dr)
ways_in = entry.entry(spec, plan, base, primary, where, tenants, served, waiting)
watched = operations.operations(spec, plan, base, primary, where, tenants, served, ways_in, paged, dr)
outputs.export(spec, base, primary, where, tenants, served, ways_in, watched)
