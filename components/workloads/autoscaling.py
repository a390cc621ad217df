"""Queue-depth autoscaling for inference endpoints: KEDA, reading managed Prometheus (ADR 0008).

KEDA is installed from its upstream chart at the pinned version, its three images pulled
through the Artifact Registry cache of ghcr.io. Its operator queries Cloud Monitoring's
Prometheus API as its own Kubernetes identity (Workload Identity Federation, granted
``monitoring.viewer``); the cluster-wide ``managed-prometheus`` ClusterTriggerAuthentication
lets every ScaledObject use that identity without a secret. The API server reaches KEDA's
metrics server and admission webhook through GKE's Konnectivity agents on the nodes, which the
network's internal rule admits: no control-plane firewall rule is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import KEDA_NAMESPACE as NAMESPACE
from components.conventions import KEDA_OPERATOR as OPERATOR
from components.conventions import component_type, formerly, pod_security
from components.conventions import labels as platform_labels
from components.platform.identity import workload_principal
from config.catalog import Chart
from config.naming import Naming

TRIGGER_AUTHENTICATION = "managed-prometheus"
METRICS_PORT = 8080  # the operator's Prometheus endpoint (chart value prometheus.operator.port; port name "metrics")


@dataclass(frozen=True)
class AutoscalingArgs:
    naming: Naming
    chart: Chart
    registry: pulumi.Input[str]  # the Artifact Registry path that caches ghcr.io
    image_tag: str
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]  # the cluster's output: the operator's principal names it
    operator_replicas: int  # 2 where the environment is highly available (active/standby)
    provider: pulumi.ProviderResource
    # the operator's Monitoring grant: a second cluster in the project shares the workload identity pool, so
    # the first cluster's grant already names its operator (layers/cluster_services.py)
    grant: bool = True


class Autoscaling(pulumi.ComponentResource):
    """ScaledObjects depend on this component: its release installs their CRD, its
    ClusterTriggerAuthentication and the operator's Monitoring grant let them work."""

    def __init__(self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "Autoscaling"), name, None, formerly(opts, "ai-platform:inference:Autoscaling"))
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = platform_labels("autoscaling")
        operator = workload_principal(args.project_number, args.workload_pool, f"{NAMESPACE}/{OPERATOR}")
        reader = gcp.projects.IAMMember(
            f"{name}-monitoring-viewer", project=naming.project, role="roles/monitoring.viewer", member=operator,
            opts=child) if args.grant else None
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels={
                **labels, **pod_security("restricted")}),
            opts=k8s_opts)
        release = k8s.helm.v3.Release(
            f"{name}-keda",
            name="keda",
            chart=args.chart.chart,
            version=args.chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart.repository),
            namespace=namespace.metadata.name,
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            values=pulumi.Output.from_input(args.registry).apply(lambda registry: keda_values(
                registry, args.image_tag, args.operator_replicas)),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[reader] if reader else None))
        k8s.apiextensions.CustomResource(
            f"{name}-trigger-authentication", api_version="keda.sh/v1alpha1", kind="ClusterTriggerAuthentication",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TRIGGER_AUTHENTICATION, labels=labels),
            spec={"podIdentity": {"provider": "gcp"}},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[release]))
        k8s.apiextensions.CustomResource(
            f"{name}-podmonitoring", api_version="monitoring.googleapis.com/v1", kind="PodMonitoring",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="keda-operator", namespace=NAMESPACE, labels=labels),
            spec={"selector": {"matchLabels": {"app": OPERATOR}},  # the chart's operator pods
                  "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}]},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[release]))
        self.status: pulumi.Output = release.status  # the KEDA release as Helm reports it
        self.register_outputs({"status": self.status})


def keda_values(registry: str, tag: str, operator_replicas: int) -> dict:
    """Chart values: images from the cache at the pinned tag, the operator's identity, HA where asked.

    The chart already runs every container non-root with a read-only root filesystem, no
    privilege escalation, all capabilities dropped and the RuntimeDefault seccomp profile.
    """
    image = {"tag": tag}
    return {
        "global": {"image": {"registry": registry}},
        "image": {"keda": {"repository": "kedacore/keda", **image},
                  "metricsApiServer": {"repository": "kedacore/keda-metrics-apiserver", **image},
                  "webhooks": {"repository": "kedacore/keda-admission-webhooks", **image},
                  "pullPolicy": "IfNotPresent"},
        "operator": {"replicaCount": operator_replicas},
        "podDisruptionBudget": {"operator": {"minAvailable": 1}} if operator_replicas > 1 else {},
        "serviceAccount": {"operator": {"name": OPERATOR}},
        "resources": {
            "operator": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
            "metricServer": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
            "webhooks": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        },
        "logging": {"operator": {"format": "json"}},
        # the operator's own metrics (scaler errors, values it read): scraped by managed Prometheus
        "prometheus": {"operator": {"enabled": True, "port": METRICS_PORT}},
    }
