"""A tenant namespace's NetworkPolicies: deny everything, then allow exactly what a tenant needs.

No rule selects another tenant's namespace: peers are pods of the same namespace, named
platform namespaces (kube-system, the gateway, managed Prometheus, shared endpoints the tenant
uses) and IP blocks outside the pod range.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from config.google import CLOUD_SQL_PROXY_PORT, HEALTH_CHECK_RANGES, PRIVATE_GOOGLE_ACCESS_RANGE

NAMESPACE_NAME = "kubernetes.io/metadata.name"
EXPOSE_LABEL = "ai-platform/expose"
METADATA_SERVER = "169.254.169.254/32"  # GKE metadata server: Workload Identity tokens
NODE_LOCAL_DNS = "169.254.20.10/32"
MANAGED_PROMETHEUS_NAMESPACE = "gmp-system"

net = k8s.networking.v1


@dataclass(frozen=True)
class Endpoint:
    """A platform service a tenant may call: its namespace and port."""

    namespace: str
    port: int


@dataclass(frozen=True)
class TenantNetworkArgs:
    gateway_namespace: str
    proxy_only_range: str  # regional gateways' proxies reach pods from here
    database_range: str  # the Private Service Access range (Cloud SQL private IP)
    shared_endpoints: tuple[Endpoint, ...] = ()  # those the tenant uses


def _ns(name: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME: name}))


def _ports(*ports: tuple[int, str]) -> list[net.NetworkPolicyPortArgs]:
    return [net.NetworkPolicyPortArgs(port=p, protocol=proto) for p, proto in ports]


def _ip(cidr: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr))


def policies(args: TenantNetworkArgs) -> dict[str, net.NetworkPolicySpecArgs]:
    """Policy name -> spec. Kept separate from registration so tests can reason about the rules."""
    every_pod = k8s.meta.v1.LabelSelectorArgs()
    same_namespace = net.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())
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
                _ns(args.gateway_namespace), _ip(args.proxy_only_range), *map(_ip, HEALTH_CHECK_RANGES)])]),
        "allow-metrics-scrape": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(
                from_=[_ns(MANAGED_PROMETHEUS_NAMESPACE)],
                ports=[net.NetworkPolicyPortArgs(port="metrics", protocol="TCP")])]),
        "allow-google-apis": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[_ip(PRIVATE_GOOGLE_ACCESS_RANGE)], ports=_ports((443, "TCP"))),
                    net.NetworkPolicyEgressRuleArgs(to=[_ip(METADATA_SERVER)], ports=_ports((80, "TCP"),
                                                                                            (988, "TCP")))]),
        "allow-database": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(
                to=[_ip(args.database_range)], ports=_ports((CLOUD_SQL_PROXY_PORT, "TCP")))]),
    }
    if args.shared_endpoints:
        out["allow-shared-endpoints"] = net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[_ns(e.namespace)], ports=_ports((e.port, "TCP")))
                    for e in args.shared_endpoints])
    return out


def network_policies(resource_name: str, args: TenantNetworkArgs, *, namespace: str, labels: dict[str, str],
                     provider: pulumi.ProviderResource, parent: pulumi.Resource) -> None:
    for name, policy_spec in policies(args).items():
        net.NetworkPolicy(
            f"{resource_name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
            spec=policy_spec,
            opts=pulumi.ResourceOptions(parent=parent, provider=provider),
        )
