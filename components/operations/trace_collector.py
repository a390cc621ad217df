"""Traces: an OpenTelemetry collector tenants send spans to (OTLP), exporting them to Cloud Trace.

Installed from the upstream chart pinned in config/catalog/versions.yaml, in the platform's `monitoring`
namespace (Pod Security `restricted`), the contrib image through the docker.io cache. It calls Cloud
Trace as its own Kubernetes identity (`roles/cloudtrace.agent`, no key). Only the tenants that list
`otel-collector` in `uses` may reach it (their egress policy names it; its ingress policy names them).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import NAMESPACE_NAME, UID, component_type, labels, pod_security
from components.platform.identity import workload_principal
from config.catalog import Chart

net, meta = k8s.networking.v1, k8s.meta.v1
ACCOUNT = "otel-collector"
IMAGE_PATH = "otel/opentelemetry-collector-contrib"  # contrib: the googlecloud exporter is not in the core image


@dataclass(frozen=True)
class TraceCollectorArgs:
    project: str
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]
    namespace: str
    chart: Chart
    image_prefix: pulumi.Input[str]  # the docker.io cache's path
    image_tag: str
    port: int  # OTLP over gRPC: the shared endpoint tenants' egress names (tenancy.shared_endpoints)
    replicas: int
    senders: tuple[str, ...]  # tenant namespaces that use the collector
    provider: pulumi.ProviderResource
    grant: bool = True  # Cloud Trace's grant (a second cluster in the project shares the first's: one identity pool)


def collector_values(args: TraceCollectorArgs, prefix: str) -> dict:
    """Chart values: OTLP over gRPC in, Cloud Trace out, restricted Pod Security, nothing else the chart
    would add (its Jaeger, Zipkin and OTLP/HTTP ports, its Prometheus self-scrape, its debug pipelines)."""
    return {
        "mode": "deployment", "replicaCount": args.replicas,
        "image": {"repository": f"{prefix}/{IMAGE_PATH}", "tag": args.image_tag, "pullPolicy": "IfNotPresent"},
        "command": {"name": "otelcol-contrib"},
        "serviceAccount": {"create": True, "name": ACCOUNT, "automountServiceAccountToken": False},
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}},
        "ports": {**{name: {"enabled": False} for name in ("otlp-http", "jaeger-compact", "jaeger-thrift",
                                                            "jaeger-grpc", "zipkin")},
                  "otlp": {"enabled": True, "containerPort": args.port, "servicePort": args.port, "protocol": "TCP",
                           "appProtocol": "grpc"}},
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "podDisruptionBudget": {"enabled": args.replicas > 1, "minAvailable": 1},
        "config": {
            "receivers": {"jaeger": None, "zipkin": None, "prometheus": None, "otlp": {"protocols": {
                "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{args.port}"}, "http": None}}},
            "exporters": {"debug": None, "googlecloud": {"project": args.project}},
            "service": {"pipelines": {"logs": None, "metrics": None, "traces": {
                "receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": ["googlecloud"]}}},
        },
    }


class TraceCollector(pulumi.ComponentResource):
    """Output ``namespace``: the collector's namespace, once it exists."""

    def __init__(self, name: str, args: TraceCollectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "TraceCollector"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=meta.ObjectMetaArgs(
                name=args.namespace, labels={**labels("monitoring"), **pod_security("restricted")}), opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        writer = gcp.projects.IAMMember(
            f"{name}-trace-writer", project=args.project, role="roles/cloudtrace.agent",
            member=workload_principal(args.project_number, args.workload_pool, f"{args.namespace}/{ACCOUNT}"),
            opts=pulumi.ResourceOptions(parent=self)) if args.grant else None
        everyone = meta.LabelSelectorArgs()
        senders = [net.NetworkPolicyPeerArgs(namespace_selector=meta.LabelSelectorArgs(match_expressions=[
            meta.LabelSelectorRequirementArgs(key=NAMESPACE_NAME, operator="In", values=sorted(args.senders))]))]
        net.NetworkPolicy(f"{name}-default-deny-ingress", metadata=meta.ObjectMetaArgs(
            name="default-deny-ingress", namespace=args.namespace, labels=labels("monitoring")),
            spec=net.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress"]), opts=in_ns)
        if args.senders:
            net.NetworkPolicy(f"{name}-allow-senders", metadata=meta.ObjectMetaArgs(
                name="allow-senders", namespace=args.namespace, labels=labels("monitoring")),
                spec=net.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress"], ingress=[
                    net.NetworkPolicyIngressRuleArgs(from_=senders, ports=[
                        net.NetworkPolicyPortArgs(port=args.port, protocol="TCP")])]),
                opts=in_ns)
        k8s.helm.v3.Release(
            f"{name}-release", name=ACCOUNT, chart=args.chart.chart, version=args.chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart.repository), namespace=args.namespace,
            atomic=True, cleanup_on_fail=True, timeout=600,
            values=pulumi.Output.from_input(args.image_prefix).apply(lambda prefix: collector_values(args, prefix)),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace, *([writer] if writer else [])]))
        self.namespace: pulumi.Output[str] = namespace.metadata.name
        self.register_outputs({"namespace": self.namespace})
