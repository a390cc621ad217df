"""A tenant's network: NetworkPolicies in its namespace and a cluster-wide baseline under them.

The NetworkPolicies deny everything, then allow exactly what a tenant needs. No rule selects
another tenant's namespace: peers are pods of the same namespace, named platform namespaces
(kube-system, the gateway, managed Prometheus, shared endpoints the tenant uses) and IP
blocks outside the pod range.

The baseline is a CiliumClusterwideNetworkPolicy (GKE Dataplane V2 with cluster-wide policies
on): deny rules that take precedence over any allow in any namespace policy, so even a policy
a tenant managed to add could not reach other tenants, the nodes, the control plane or
link-local metadata endpoints other than GKE's metadata server.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    EXPOSE_LABEL,
    GENBI_LABEL,
    MANAGED_PROMETHEUS_NAMESPACE,
    NAMESPACE_NAME,
    ROUTER_LABEL,
    SERVING_PORT,
    TENANT_LABEL,
)
from config.google import (
    CLOUD_SQL_PROXY_PORT,
    HEALTH_CHECK_RANGES,
    METADATA_SERVER,
    NODE_LOCAL_DNS,
    PRIVATE_GOOGLE_ACCESS_RANGE,
)

DNS_PODS = ["kube-dns", "node-local-dns"]  # with NodeLocal DNSCache, Dataplane V2 sends queries to node-local-dns
CILIUM_NAMESPACE = "k8s:io.kubernetes.pod.namespace"
CILIUM_NAMESPACE_LABEL = "k8s:io.cilium.k8s.namespace.labels."
LINK_LOCAL = "169.254.0.0/16"

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
    kube_dns_ip: str  # the kube-dns Service address (NodeLocal DNSCache answers on it too)
    shared_endpoints: tuple[Endpoint, ...] = ()  # those the tenant uses
    routers: bool = False  # the namespace runs the platform's endpoint pickers (they watch the Kubernetes API)


def _ns(name: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME: name}))


def _ports(*ports: tuple[int, str]) -> list[net.NetworkPolicyPortArgs]:
    return [net.NetworkPolicyPortArgs(port=p, protocol=proto) for p, proto in ports]


def _ip(cidr: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr))


def policies(args: TenantNetworkArgs) -> dict[str, net.NetworkPolicySpecArgs]:
    """Policy name -> spec. Kept separate from registration so tests can reason about the rules."""
    every_pod = k8s.meta.v1.LabelSelectorArgs()
    not_genbi = k8s.meta.v1.LabelSelectorArgs(match_expressions=[
        k8s.meta.v1.LabelSelectorRequirementArgs(key=GENBI_LABEL, operator="DoesNotExist")])
    out = {
        "default-deny": net.NetworkPolicySpecArgs(pod_selector=every_pod, policy_types=["Ingress", "Egress"]),
        "allow-dns": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(
                to=[net.NetworkPolicyPeerArgs(
                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME: "kube-system"}),
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_expressions=[
                        k8s.meta.v1.LabelSelectorRequirementArgs(key="k8s-app", operator="In", values=DNS_PODS)])),
                    _ip(NODE_LOCAL_DNS), _ip(f"{args.kube_dns_ip}/32")],
                ports=_ports((53, "UDP"), (53, "TCP")))]),
        # GenBI's parts are left out: their own policies say exactly who talks to them (genbi_network.py).
        "allow-same-namespace": net.NetworkPolicySpecArgs(
            pod_selector=not_genbi, policy_types=["Ingress", "Egress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[net.NetworkPolicyPeerArgs(pod_selector=not_genbi)])],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[net.NetworkPolicyPeerArgs(pod_selector=not_genbi)])]),
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
                # vLLM serves /metrics on its API port
                ports=[net.NetworkPolicyPortArgs(port="metrics", protocol="TCP"),
                       net.NetworkPolicyPortArgs(port=SERVING_PORT, protocol="TCP")])]),
        "allow-google-apis": net.NetworkPolicySpecArgs(
            pod_selector=every_pod, policy_types=["Egress"],
            egress=[net.NetworkPolicyEgressRuleArgs(to=[_ip(PRIVATE_GOOGLE_ACCESS_RANGE)], ports=_ports((443, "TCP"))),
                    *(net.NetworkPolicyEgressRuleArgs(to=[_ip(cidr)], ports=_ports((port, "TCP")))
                      for cidr, port in METADATA_SERVER)]),
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
                     opts: pulumi.ResourceOptions) -> None:
    for name, policy_spec in policies(args).items():
        net.NetworkPolicy(
            f"{resource_name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
            spec=policy_spec,
            opts=opts,
        )


CILIUM_ROUTER = f"k8s:{ROUTER_LABEL}"


def router_baseline(tenant: str) -> dict:
    """The baseline for the platform's endpoint pickers in a tenant namespace: the same denies but the
    API server, which they watch, and an allow to it on 443 (their namespace's policies deny egress)."""
    spec = baseline(tenant)
    spec["description"] = f"Tenant {tenant}'s endpoint pickers: the baseline, but they reach the Kubernetes API"
    spec["endpointSelector"] = {"matchLabels": {CILIUM_NAMESPACE: tenant, CILIUM_ROUTER: "true"}}
    for rule in spec["egressDeny"]:
        if "toEntities" in rule:
            rule["toEntities"] = [e for e in rule["toEntities"] if e != "kube-apiserver"]
    spec["egress"] = [{"toEntities": ["kube-apiserver"], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]
    return spec


def baseline(tenant: str, routers: bool = False) -> dict:
    """The cluster-wide deny rules under tenant ``tenant``'s pods (CiliumClusterwideNetworkPolicy spec).

    Node and control-plane traffic is denied as Cilium entities (a CIDR rule only matches
    traffic leaving the cluster); DNS (53, NodeLocal DNSCache runs on the node) and the GKE
    metadata server (988 on the node) stay open. ``enableDefaultDeny`` is off in both
    directions: this policy only subtracts, the namespace's policies decide what is allowed.
    """
    other_tenants = {"matchExpressions": [
        {"key": f"{CILIUM_NAMESPACE_LABEL}{TENANT_LABEL}", "operator": "Exists"},
        {"key": CILIUM_NAMESPACE, "operator": "NotIn", "values": [tenant]}]}
    all_ports_but_dns_and_metadata = [
        {"port": "1", "endPort": 52, "protocol": "ANY"}, {"port": "54", "endPort": 987, "protocol": "ANY"},
        {"port": "989", "endPort": 65535, "protocol": "ANY"}]
    allowed_link_local = [cidr for cidr, _ in METADATA_SERVER] + [NODE_LOCAL_DNS]
    selector: dict = {"matchLabels": {CILIUM_NAMESPACE: tenant}}
    if routers:  # the endpoint pickers have their own (router_baseline)
        selector["matchExpressions"] = [{"key": CILIUM_ROUTER, "operator": "DoesNotExist"}]
    return {
        "description": f"Tenant {tenant}: never other tenants, nodes, the control plane or foreign link-local services",
        "endpointSelector": selector,
        "enableDefaultDeny": {"ingress": False, "egress": False},
        "ingressDeny": [{"fromEndpoints": [other_tenants]}],
        "egressDeny": [
            {"toEndpoints": [other_tenants]},
            {"toEntities": ["host", "remote-node", "kube-apiserver"],
             "toPorts": [{"ports": all_ports_but_dns_and_metadata}]},
            {"toCIDRSet": [{"cidr": LINK_LOCAL, "except": allowed_link_local}]},
        ],
    }
