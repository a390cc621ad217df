"""The AI platform, one stack: load the validated spec, assemble it layer by layer, export.

platform (ProjectServices, NodeIdentity; Network, Encryption, ImageSupply, Cluster, GpuNodePools per
region in use; Storage, Secrets, Database) -> paging (NotificationChannels) -> tenancy (TenantGuardrails,
Tenant) -> recovery where there is DR (DatabaseReplica, BucketReplicas, ClusterBackup, StandbyPlatform)
-> workloads (Autoscaling, SharedInference, ModelWeights, WarmCapacity, InferenceEndpoint, GenBi) -> entry
(PlatformServices, InferenceRouting, RouterMetrics, TenantEntry) -> operations (AlertRules, CloudAlerting,
ServiceLevels, TenantLogs, AuditLogging, Dashboards, TraceCollector). One function per layer in layers/.
"""

import sys

from config import ConfigError
from config.loader import load_from_pulumi
from layers import entry, operations, outputs, paging, platform, recovery, tenancy, workloads
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
tenants = tenancy.tenancy(spec, plan, base, primary, paged)
standby = recovery.recovery(spec, plan, base, primary, tenants)
served = workloads.workloads(spec, plan, base, primary, tenants)
ways_in = entry.entry(spec, plan, base, primary, tenants, served)
watched = operations.operations(spec, plan, base, primary, tenants, served, ways_in, paged, standby)
outputs.export(spec, base, primary, tenants, served, ways_in, watched)
