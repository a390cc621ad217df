"""A tenant namespace's NetworkPolicies: deny everything, then allow exactly what a tenant needs.

No rule selects another tenant's namespace: peers are pods of the same namespace, named
platform namespaces (kube-system, the gateway, managed Prometheus, shared endpoints the tenant
uses) and IP blocks outside the pod range.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from config import PlatformSpec
from config.tenancy import TenantSpec

NAMESPACE_NAME = "kubernetes.io/metadata.name"
EXPOSE_LABEL = "ai-platform/expose"
PRIVATE_GOOGLE_APIS = "199.36.153.8/30"  # private.googleapis.com (the network's DNS zone points there)
METADATA_SERVER = "169.254.169.254/32"  # GKE metadata server: Workload Identity tokens
NODE_LOCAL_DNS = "169.254.20.10/32"
GOOGLE_FRONT_ENDS = ["35.191.0.0/16", "130.211.0.0/22"]  # load balancer proxies and health checks
MANAGED_PROMETHEUS_NAMESPACE = "gmp-system"

net = k8s.networking.v1


def _ns(name: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME: name}))


def _ports(*ports: tuple[int, str]) -> list[net.NetworkPolicyPortArgs]:
    return [net.NetworkPolicyPortArgs(port=p, protocol=proto) for p, proto in ports]


def _ip(cidr: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr))


def policies(spec: PlatformSpec, tenant: TenantSpec) -> dict[str, net.NetworkPolicySpecArgs]:
    """Policy name -> spec. Kept separate from registration so tests can reason about the rules."""
    every_pod = k8s.meta.v1.LabelSelectorArgs()
    same_namespace = net.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())
    tenancy, network = spec.env.tenancy, spec.env.network
    out = {
        "default-deny": net.NetworkPolicySpecArgs(pod_selector=every_pod, policy_types=["Ingress", "Egress"]),
        "allow-dns": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(
                to=[net.NetworkPolicyPeerArgs(
                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME: "kube-system"}),
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"})),
                    _ip(NODE_LOCAL_DNS)],
                ports=_ports((53, "UDP"), (53, "TCP")))]),
        "allow-same-namespace": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Ingress", "Egress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[same_namespace])],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[same_namespace])]),
        # The Gateway's proxies reach pods from the proxy-only subnet (regional) or Google's
        # front ends (global); an in-cluster gateway would sit in the gateway namespace.
        "allow-from-gateway": net.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={EXPOSE_LABEL: "true"}),
            policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[
                _ns(tenancy.gateway_namespace), _ip(network.proxy_only_range), *map(_ip, GOOGLE_FRONT_ENDS)])]),
        "allow-metrics-scrape": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(
                from_=[_ns(MANAGED_PROMETHEUS_NAMESPACE)],
                ports=[net.NetworkPolicyPortArgs(port="metrics", protocol="TCP")])]),
        "allow-google-apis": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[_ip(PRIVATE_GOOGLE_APIS)], ports=_ports((443, "TCP"))),
                    net.NetworkPolicyEgressRuleArgs(to=[_ip(METADATA_SERVER)], ports=_ports((80, "TCP"),
                                                                                            (988, "TCP")))]),
        "allow-database": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(
                to=[_ip(network.private_service_access_range)], ports=_ports((5432, "TCP")))]),
    }
    if tenant.uses:
        out["allow-shared-endpoints"] = net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(
                to=[_ns(tenancy.shared_endpoints[use].namespace)],
                ports=_ports((tenancy.shared_endpoints[use].port, "TCP"))) for use in tenant.uses])
    return out


def network_policies(resource_name: str, spec: PlatformSpec, tenant: TenantSpec, *, namespace: str,
                     labels: dict[str, str], provider: pulumi.ProviderResource,
                     parent: pulumi.Resource) -> list[net.NetworkPolicy]:
    return [
        net.NetworkPolicy(
            f"{resource_name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
            spec=policy_spec,
            opts=pulumi.ResourceOptions(parent=parent, provider=provider),
        )
        for name, policy_spec in policies(spec, tenant).items()
    ]
