"""Alert rules and their routing, evaluated in the cluster by Google Managed Service for Prometheus.

A namespaced ``Rules`` object per namespace that serves (a tenant's, and the shared inference
namespace): the managed rule evaluator scopes its queries to that namespace, so a tenant's rules can
never read another tenant's series. One ``ClusterRules`` object for the platform. The managed
Alertmanager reads its configuration from Secret ``alertmanager`` in ``gmp-public`` (plan/alertmanager.py
generates it; receivers' URLs come from Secret Manager values, so the Secret is a Pulumi secret). The
rule evaluator queries Cloud Monitoring as ``gmp-system/collector``: that identity gets
``monitoring.viewer``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import MANAGED_PROMETHEUS_NAMESPACE, component_type, labels
from components.platform.identity import workload_principal

meta = k8s.meta.v1
RULES_API = "monitoring.googleapis.com/v1"
ALERTMANAGER_NAMESPACE = "gmp-public"  # where GKE's managed Alertmanager looks for its configuration
ALERTMANAGER_SECRET = "alertmanager"  # noqa: S105 (the Secret's name: managedAlertmanager.configSecret default)
ALERTMANAGER_KEY = "alertmanager.yaml"
RULE_EVALUATOR = f"{MANAGED_PROMETHEUS_NAMESPACE}/collector"  # the managed rule evaluator's Kubernetes identity


@dataclass(frozen=True)
class AlertRulesArgs:
    project: str
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]
    namespaced: dict[str, pulumi.Input[str]]  # tenant (or platform) namespace name -> the namespace, once it exists
    groups: dict[str, list[dict]]  # namespace -> its Rules' groups (plan/alerts.py)
    tenants: tuple[str, ...]  # which namespaces are tenants' (their Rules carry the tenant's labels)
    cluster_groups: list[dict]  # the ClusterRules' groups
    alertmanager_config: pulumi.Input[str]  # plan/alertmanager.py, rendered with the receivers' secrets
    provider: pulumi.ProviderResource


class AlertRules(pulumi.ComponentResource):
    """Outputs: ``rules`` (namespace -> Rules name), ``alertmanager_secret`` (the configuration Secret's name)."""

    def __init__(self, name: str, args: AlertRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "AlertRules"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        reader = gcp.projects.IAMMember(
            f"{name}-rule-evaluator-viewer", project=args.project, role="roles/monitoring.viewer",
            member=workload_principal(args.project_number, args.workload_pool, RULE_EVALUATOR),
            opts=pulumi.ResourceOptions(parent=self))
        after = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[reader])
        self.rules: dict[str, pulumi.Output[str]] = {}
        for namespace, groups in sorted(args.groups.items()):
            tenant = namespace if namespace in args.tenants else None
            rules = k8s.apiextensions.CustomResource(
                f"{name}-{namespace}", api_version=RULES_API, kind="Rules",
                metadata=meta.ObjectMetaArgs(name="ai-platform", namespace=args.namespaced[namespace],
                                             labels=labels("alerting", tenant)),
                spec={"groups": groups}, opts=after)
            self.rules[namespace] = rules.urn.apply(lambda _: "ai-platform")
        k8s.apiextensions.CustomResource(
            f"{name}-cluster", api_version=RULES_API, kind="ClusterRules",
            metadata=meta.ObjectMetaArgs(name="ai-platform", labels=labels("alerting")),
            spec={"groups": args.cluster_groups}, opts=after)
        config = k8s.core.v1.Secret(
            f"{name}-alertmanager", type="Opaque",
            metadata=meta.ObjectMetaArgs(name=ALERTMANAGER_SECRET, namespace=ALERTMANAGER_NAMESPACE,
                                         labels=labels("alerting")),
            string_data={ALERTMANAGER_KEY: pulumi.Output.secret(args.alertmanager_config)}, opts=k8s_opts)
        self.alertmanager_secret: pulumi.Output[str] = config.metadata.apply(lambda m: m.name)
        self.register_outputs({"rules": self.rules, "alertmanager_secret": self.alertmanager_secret})
