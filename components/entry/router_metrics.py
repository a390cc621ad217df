"""Managed Prometheus scrapes a tenant's endpoint pickers (the InferencePools' EPPs).

An EPP serves its metrics (pool queue, KV cache, ready pods) on 9090 only to a caller Kubernetes
authorizes for GET /metrics. Per tenant with pickers: a service account with exactly that permission, its
token in a platform Secret (tenant pods may not mount ai-platform-* Secrets, tenant admins may not read
Secrets), which only GMP's collector may read, and a PodMonitoring that presents it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    CLUSTER_BOUND_LABEL,
    MANAGED_PROMETHEUS_NAMESPACE,
    RESERVED_SECRET_PREFIX,
    ROUTER_LABEL,
    component_type,
    labels,
)

rbac, meta = k8s.rbac.v1, k8s.meta.v1
METRICS_READER = "ai-platform-metrics-reader"  # ClusterRole: GET /metrics (PlatformServices makes it)
EPP_METRICS_PORT = 9090
SCRAPER = f"{RESERVED_SECRET_PREFIX}metrics-scraper"
TOKEN = f"{SCRAPER}-token"


def metrics_reader_rules() -> list[rbac.PolicyRuleArgs]:
    return [rbac.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"])]


@dataclass(frozen=True)
class RouterMetricsArgs:
    tenant: str
    namespace: pulumi.Input[str]
    reader_role: pulumi.Input[str]  # the ClusterRole allowing GET /metrics
    provider: pulumi.ProviderResource


class RouterMetrics(pulumi.ComponentResource):
    """Output ``podmonitoring``: the PodMonitoring's name."""

    def __init__(self, name: str, args: RouterMetricsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("entry", "RouterMetrics"), name, None, opts)
        tenant_labels = labels("router-metrics", args.tenant)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)

        def metadata(object_name: str, **extra) -> meta.ObjectMetaArgs:
            return meta.ObjectMetaArgs(name=object_name, namespace=args.namespace, labels=tenant_labels, **extra)

        account = k8s.core.v1.ServiceAccount(f"{name}-scraper", metadata=metadata(SCRAPER),
                                             automount_service_account_token=False, opts=k8s_opts)
        token = k8s.core.v1.Secret(
            f"{name}-token", type="kubernetes.io/service-account-token",
            metadata=meta.ObjectMetaArgs(name=TOKEN, namespace=args.namespace,
                                         labels={**tenant_labels, CLUSTER_BOUND_LABEL: "true"},
                                         annotations={"kubernetes.io/service-account.name": SCRAPER}),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[account]))
        rbac.ClusterRoleBinding(
            f"{name}-reader", metadata=meta.ObjectMetaArgs(name=f"ai-platform-metrics-{args.tenant}",
                                                           labels=tenant_labels),
            role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=args.reader_role),
            subjects=[rbac.SubjectArgs(kind="ServiceAccount", name=SCRAPER, namespace=args.namespace)], opts=k8s_opts)
        role = rbac.Role(f"{name}-token-reader", metadata=metadata("ai-platform-metrics-token-reader"), rules=[
            rbac.PolicyRuleArgs(api_groups=[""], resources=["secrets"], verbs=["get"], resource_names=[TOKEN])],
            opts=k8s_opts)
        rbac.RoleBinding(f"{name}-token-reader", metadata=metadata("ai-platform-metrics-token-reader"),
                         role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                                   name="ai-platform-metrics-token-reader"),
                         subjects=[rbac.SubjectArgs(kind="ServiceAccount", name="collector",
                                                    namespace=MANAGED_PROMETHEUS_NAMESPACE)],
                         opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[role]))
        monitoring = k8s.apiextensions.CustomResource(
            f"{name}-podmonitoring", api_version="monitoring.googleapis.com/v1", kind="PodMonitoring",
            metadata=metadata("endpoint-pickers"), spec={
                "selector": {"matchLabels": {ROUTER_LABEL: "true"}},
                "endpoints": [{"port": EPP_METRICS_PORT, "path": "/metrics", "interval": "30s", "authorization": {
                    "type": "Bearer", "credentials": {"secret": {"name": TOKEN, "key": "token"}}}}]},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[token]))
        self.podmonitoring: pulumi.Output[str] = monitoring.urn.apply(lambda _: "endpoint-pickers")
        self.register_outputs({"podmonitoring": self.podmonitoring})
