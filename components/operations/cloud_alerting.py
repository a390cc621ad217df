"""What must alert when the cluster cannot: Cloud Monitoring policies evaluated outside it.

The cluster gone silent (no target reports, or the rule evaluator's heartbeat stops), the database
down or filling, containers near their memory limit, GPU XID errors and node pools that cannot grow
(both read from logs: GKE's DCGM package has no XID metric, and the autoscaler reports blocked scale-ups
only in its visibility log). Each policy goes to the platform's channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.naming import Naming
from plan.alerts import HEARTBEAT

m = gcp.monitoring
CONTAINER_MEMORY_CEILING = 0.8  # the seeds' memory threshold
SQL_DISK_CEILING = 0.85  # the seeds' disk threshold


@dataclass(frozen=True)
class CloudAlertingArgs:
    naming: Naming
    cluster: pulumi.Input[str]
    database_instance: pulumi.Input[str]
    channels: list[pulumi.Input[str]]  # the platform's notification channels
    replica: pulumi.Input[str] | None = None  # the DR region's database replica, where there is one
    lag_ceiling_seconds: float = 60  # its RPO (config/catalog/recovery.yaml)


def docs(text: str) -> m.AlertPolicyDocumentationArgs:
    return m.AlertPolicyDocumentationArgs(content=text, mime_type="text/markdown")


def threshold(filter_: pulumi.Input[str], comparison: str, value: float, duration: str, aligner: str,
              period: str = "60s", reducer: str | None = None, group_by: list[str] | None = None
              ) -> m.AlertPolicyConditionConditionThresholdArgs:
    return m.AlertPolicyConditionConditionThresholdArgs(
        filter=filter_, comparison=comparison, threshold_value=value, duration=duration,
        aggregations=[m.AlertPolicyConditionConditionThresholdAggregationArgs(
            alignment_period=period, per_series_aligner=aligner, cross_series_reducer=reducer,
            group_by_fields=group_by)],
        trigger=m.AlertPolicyConditionConditionThresholdTriggerArgs(count=1))


def promql(query: pulumi.Input[str], duration: str) -> m.AlertPolicyConditionConditionPrometheusQueryLanguageArgs:
    return m.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
        query=query, duration=duration, evaluation_interval="60s")


def absent(filter_: pulumi.Input[str], duration: str) -> m.AlertPolicyConditionConditionAbsentArgs:
    return m.AlertPolicyConditionConditionAbsentArgs(
        filter=filter_, duration=duration,
        aggregations=[m.AlertPolicyConditionConditionAbsentAggregationArgs(
            alignment_period="300s", per_series_aligner="ALIGN_MEAN", cross_series_reducer="REDUCE_COUNT")],
        trigger=m.AlertPolicyConditionConditionAbsentTriggerArgs(count=1))


class CloudAlerting(pulumi.ComponentResource):
    """Outputs: ``policies`` (policy key -> name) and ``log_metrics`` (log-based metric key -> name)."""

    def __init__(self, name: str, args: CloudAlertingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "CloudAlerting"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        project = naming.project
        xid = gcp.logging.Metric(
            f"{name}-gpu-xid", project=project, name="gpu-xid-errors",
            description="NVIDIA XID errors: GPU faults the driver reports (GKE's DCGM package exports no XID metric)",
            filter='(resource.type="k8s_node" AND jsonPayload.MESSAGE:"NVRM: Xid") OR (resource.type="k8s_container" '
                   'AND resource.labels.namespace_name="kube-system" AND textPayload:"Xid")',
            label_extractors={"node": "EXTRACT(resource.labels.node_name)"},
            metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
                metric_kind="DELTA", value_type="INT64",
                labels=[gcp.logging.MetricMetricDescriptorLabelArgs(key="node", value_type="STRING")]),
            opts=child)
        blocked = gcp.logging.Metric(
            f"{name}-scale-up-blocked", project=project, name="node-pool-scale-up-blocked",
            description="The cluster autoscaler could not add a node: a pool at its maximum, a stockout, quota",
            filter='logName:"cluster-autoscaler-visibility" AND (jsonPayload.noDecisionStatus.noScaleUp:* OR '
                   'jsonPayload.resultInfo.results.errorMsg.messageId:"scale.up.error")',
            metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(metric_kind="DELTA", value_type="INT64"),
            opts=child)
        cluster = pulumi.Output.from_input(args.cluster)
        database = pulumi.Output.all(project, args.database_instance).apply(lambda v: f"{v[0]}:{v[1]}")
        policies: dict[str, tuple[str, list[m.AlertPolicyConditionArgs], str, str]] = {
            "cluster-silent": ("The cluster reports no metrics", [m.AlertPolicyConditionArgs(
                display_name="no scrape target reports", condition_absent=absent(cluster.apply(
                    lambda c: 'metric.type="prometheus.googleapis.com/up/gauge" AND resource.type="prometheus_target" '
                              f'AND resource.labels.cluster="{c}"'), "600s"))],
                "CRITICAL", "No target in the cluster has reported for 10 minutes: the cluster, its nodes or "
                            "managed collection are down. In-cluster alerts cannot fire either."),
            "rule-evaluator-silent": ("The cluster's alert rules stopped running", [m.AlertPolicyConditionArgs(
                display_name="no rule evaluator heartbeat", condition_absent=absent(cluster.apply(
                    lambda c: f'metric.type="prometheus.googleapis.com/{HEARTBEAT}/gauge" AND '
                              f'resource.type="prometheus_target" AND resource.labels.cluster="{c}"'), "900s"))],
                "CRITICAL", "The managed rule evaluator records a heartbeat every minute; none for 15 minutes "
                            "means no tenant or platform alert can fire. kubectl -n gmp-system get pods"),
            "database-down": ("The platform database is down", [m.AlertPolicyConditionArgs(
                display_name="database/up below 1", condition_threshold=threshold(database.apply(
                    lambda d: 'metric.type="cloudsql.googleapis.com/database/up" AND resource.type="cloudsql_database" '
                              f'AND resource.labels.database_id="{d}"'), "COMPARISON_LT", 1, "300s", "ALIGN_MIN"))],
                "CRITICAL", "Cloud SQL reports the instance down: GenBI and every tenant database stop."),
            "database-disk": (f"The platform database's disk is over {SQL_DISK_CEILING:.0%} full",
                              [m.AlertPolicyConditionArgs(
                display_name="disk utilization", condition_threshold=threshold(database.apply(
                    lambda d: 'metric.type="cloudsql.googleapis.com/database/disk/utilization" AND '
                              f'resource.type="cloudsql_database" AND resource.labels.database_id="{d}"'),
                    "COMPARISON_GT", SQL_DISK_CEILING, "900s", "ALIGN_MAX"))],
                "WARNING", "Autoresize grows it, in steps: check it still can (quota, the configured limit)."),
            "container-memory": (f"Containers above {CONTAINER_MEMORY_CEILING:.0%} of their memory limit",
                                 [m.AlertPolicyConditionArgs(
                display_name="memory limit utilization", condition_prometheus_query_language=promql(cluster.apply(
                    lambda c: "max by (namespace_name, pod_name, container_name) "
                              "(kubernetes_io:container_memory_limit_utilization{monitored_resource=\"k8s_container\","
                              f"cluster_name=\"{c}\"}}) > {CONTAINER_MEMORY_CEILING:g}"), "900s"))],
                "WARNING", "The container will be OOM-killed when it reaches its limit."),
            "gpu-xid": ("A GPU reported an XID error", [m.AlertPolicyConditionArgs(
                display_name="XID errors in node logs", condition_threshold=threshold(xid.name.apply(
                    lambda n: f'metric.type="logging.googleapis.com/user/{n}"'),
                    "COMPARISON_GT", 0, "0s", "ALIGN_SUM", "300s", "REDUCE_SUM", ["metric.label.node"]))],
                "ERROR", "NVIDIA XID errors mean a faulty GPU or driver: cordon and drain the node "
                         "(kubectl cordon <node>); GKE's auto-repair replaces it."),
            "scale-up-blocked": ("A node pool cannot grow", [m.AlertPolicyConditionArgs(
                display_name="blocked scale-ups in the autoscaler's log", condition_threshold=threshold(
                    blocked.name.apply(lambda n: f'metric.type="logging.googleapis.com/user/{n}" AND '
                                                 'resource.type="k8s_cluster"'),
                    "COMPARISON_GT", 0, "600s", "ALIGN_SUM", "600s", "REDUCE_SUM"))],
                "ERROR", "Pods wait because a pool is at max_nodes, its GPUs are out of stock in its zones, or "
                         "quota is exhausted. Read the cluster-autoscaler-visibility log; raise max_nodes, add a zone "
                         "or a reservation (docs/operations.md)."),
        }
        if args.replica is not None:
            replica = pulumi.Output.all(project, args.replica).apply(lambda v: f"{v[0]}:{v[1]}")
            policies["database-replica-lag"] = (
                f"The DR database replica lags more than {args.lag_ceiling_seconds:g} s", [m.AlertPolicyConditionArgs(
                    display_name="replica lag", condition_threshold=threshold(replica.apply(
                        lambda d: 'metric.type="cloudsql.googleapis.com/database/replication/replica_lag" AND '
                                  f'resource.type="cloudsql_database" AND resource.labels.database_id="{d}"'),
                        "COMPARISON_GT", args.lag_ceiling_seconds, "600s", "ALIGN_MAX"))],
                "ERROR", "A failover now would lose more than the promised RPO (docs/dr.md). Check the primary's write "
                         "load and the replica's size; a replica that cannot catch up is re-created by Cloud SQL.")
        self.policies: dict[str, pulumi.Output[str]] = {}
        for key, (title, conditions, severity, text) in policies.items():
            self.policies[key] = m.AlertPolicy(
                f"{name}-{key}", project=project, display_name=f"{naming.prefix}-{naming.environment}: {title}",
                combiner="OR", conditions=conditions, severity=severity, notification_channels=args.channels,
                documentation=docs(text), alert_strategy=m.AlertPolicyAlertStrategyArgs(auto_close="1800s"),
                user_labels=naming.labels("operations"), opts=child).name
        self.log_metrics: dict[str, pulumi.Output[str]] = {"gpu-xid": xid.name, "scale-up-blocked": blocked.name}
        self.register_outputs({"policies": self.policies, "log_metrics": self.log_metrics})
