"""Operations, the last layer: what pages whom (docs/operations.md, ADR 0010).

Who is paged comes earlier (layers/paging.py: a tenant's budget mails its own channels). Here: alert
rules and the managed Alertmanager's routing in the cluster, what Cloud Monitoring must watch from
outside it, each tenant's service levels at the gateway, its own log bucket, dashboards, audit logging
and the trace collector.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.operations.alert_rules import AlertRules, AlertRulesArgs
from components.operations.audit_logging import AuditLogging, AuditLoggingArgs
from components.operations.cloud_alerting import CloudAlerting, CloudAlertingArgs
from components.operations.dashboards import Dashboards, DashboardsArgs
from components.operations.service_levels import ServiceLevels, ServiceLevelsArgs
from components.operations.tenant_logs import TenantLogs, TenantLogsArgs
from components.operations.trace_collector import TraceCollector
from config.operations import tenant_webhook_secret
from config.spec import PlatformSpec
from layers import cluster_services
from layers.entry import Entry
from layers.paging import Channels
from layers.platform import Project, RegionalPlatform
from layers.recovery import Recovery
from layers.serving import Serving
from layers.tenancy import Tenancy
from layers.workloads import Workloads
from plan import Plan, alertmanager, alerts, dashboards

# The load balancer's request counts per gateway class: (metric, monitored resource).
REQUEST_METRICS = {
    False: ("loadbalancing.googleapis.com/https/external/regional/request_count", "http_external_regional_lb_rule"),
    True: ("loadbalancing.googleapis.com/https/internal/request_count", "internal_http_lb_rule"),
}


@dataclass(frozen=True)
class Operations:
    rules: AlertRules
    cloud: CloudAlerting
    service_levels: dict[str, ServiceLevels]  # by tenant (those that expose sites)
    logs: dict[str, TenantLogs]  # by tenant
    audit: AuditLogging
    dashboards: Dashboards
    traces: TraceCollector | None  # the primary cluster's


def _alertmanager_config(spec: PlatformSpec, platform: RegionalPlatform) -> pulumi.Output[str]:
    """The configuration with the receivers' secret values in it (a secret Output)."""
    names = alertmanager.secrets_needed(spec)
    for tenant in spec.tenants:
        hook = tenant.alerts.webhook
        if hook and platform.supplied.get(tenant_webhook_secret(tenant.name)) is None:
            pulumi.log.warn(f"tenant {tenant.name}'s alert webhook is not set: until `pulumi config set --secret "
                            f"ai-platform:{hook.config_key} https://...`, its webhook alerts go to the platform's on-call")
    values = [pulumi.Output.from_input(platform.supplied.get(n)) for n in names]
    return pulumi.Output.secret(pulumi.Output.all(*values).apply(
        lambda resolved: alertmanager.render(spec, dict(zip(names, resolved, strict=True)))))


def operations(spec: PlatformSpec, plan: Plan, base: Project, platform: RegionalPlatform, serving: Serving,
               tenancy: Tenancy, served: Workloads, ways_in: Entry, paged: Channels,
               standby: Recovery | None = None) -> Operations:
    """In-cluster rules and collectors run in the serving cluster, and what watches from outside names it; the
    log buckets, audit sinks and their keys stay in the primary region."""
    env, cluster, naming = spec.env, serving.cluster, platform.naming
    settings, plans = env.operations, plan.endpoint_plans()
    inference = env.inference.namespace
    namespaces: dict[str, pulumi.Input[str]] = {t: tenancy.tenants[t].namespace for t in tenancy.tenants}
    namespaces[inference] = served.shared.namespace
    groups = {t.name: alerts.tenant_groups(spec, plans, t.name) for t in spec.tenants}
    groups[inference] = alerts.shared_groups(spec, plans)
    # everything that scrapes must exist before the rules reading its series matter; the rules wait for
    # the namespaces they live in and for the workloads they watch
    watched = [*served.endpoints.values(), served.autoscaling]
    rules = AlertRules("alerting", AlertRulesArgs(
        project=spec.project, project_number=base.number, workload_pool=platform.cluster.workload_pool,
        namespaced=namespaces, groups={ns: g for ns, g in groups.items() if g}, tenants=tuple(tenancy.tenants),
        cluster_groups=alerts.platform_groups(spec), alertmanager_config=_alertmanager_config(spec, platform),
        provider=cluster.provider), opts=pulumi.ResourceOptions(depends_on=[base.apis, *tenancy.tenants.values(),
                                                                            served.shared, *watched]))
    cloud = CloudAlerting("cloud-alerting", CloudAlertingArgs(
        naming=naming, cluster=cluster.name,
        database_instance=standby.database.instance_name if serving.secondary else platform.database.instance_name,
        channels=paged.platform.names,
        replica=standby.database.instance_name if standby and not spec.env.dr.failed_over else None,
        lag_ceiling_seconds=spec.catalog.recovery.sql_replication_lag_seconds.value), opts=base.after_apis)
    levels = {}
    internal = bool(env.entry and env.entry.internal)
    metric, resource = REQUEST_METRICS[internal]
    for tenant in spec.tenants:
        sites = plan.exposures(tenant)
        if sites and tenant.name in ways_in.sites:
            levels[tenant.name] = ServiceLevels(f"service-levels-{tenant.name}", ServiceLevelsArgs(
                naming=naming, tenant=tenant.name, namespace=tenant.name, sites=sites, sla=tenant.sla,
                request_metric=metric, lb_resource=resource, uptime_period=settings.uptime_period,
                internal=internal, channels=paged.for_tenant(tenant.name)),
                opts=pulumi.ResourceOptions(depends_on=[base.apis, ways_in.sites[tenant.name]]))
    logs = {t.name: TenantLogs(f"logs-{t.name}", TenantLogsArgs(
        naming=naming, tenant=t.name, region=platform.region, cluster=cluster.name,
        retention_days=settings.log_retention_days, key=platform.keys.key_id("logs"),
        readers=tuple(f"group:{g}" for g in (*t.owners, *t.viewers)), protect=env.protect),
        opts=base.after_apis) for t in spec.tenants}
    audit = AuditLogging("audit-logging", AuditLoggingArgs(
        naming=naming, audit_bucket=platform.storage.bucket_names["audit-logs"]), opts=base.after_apis)
    boards = {"platform": cluster.name.apply(lambda c: dashboards.platform_dashboard(spec, c, plans))}
    for tenant in spec.tenants:
        boards[tenant.name] = cluster.name.apply(lambda c, t=tenant.name: dashboards.tenant_dashboard(spec, c, t, plans))
    board = Dashboards("dashboards", DashboardsArgs(project=spec.project, dashboards=boards), opts=base.after_apis)
    # the primary cluster's (a warm standby runs its own: layers/cluster_services.py), whichever serves
    traces = cluster_services.traces(spec, "traces", platform.images, base.number, platform.cluster,
                                     pulumi.ResourceOptions(depends_on=[base.apis]))
    return Operations(rules=rules, cloud=cloud, service_levels=levels, logs=logs, audit=audit, dashboards=board,
                      traces=traces)
