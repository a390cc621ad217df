"""GenBI's network: each WrenAI part talks only to the parts, endpoints and data sources it needs.

The tenant namespace's `allow-same-namespace` policy leaves pods labelled `ai-platform/genbi`
out (components/tenancy/tenant_network.py), so these policies are all that admits traffic to
and from them: the UI ← the gateway (its `ai-platform/expose` label) and the AI service; the
AI service → the UI, Qdrant, the engine, the ibis server and its model endpoints (whose pods, in
the tenant's namespace, admit it by a policy of their own); the engine
and the ibis server → each other and only the declared data sources; Qdrant ← the AI service.
DNS, Google APIs, the metadata server and the database (through the Auth Proxy) are the
namespace's own policies, which select every pod.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components.conventions import GENBI_LABEL, MANAGED_PROMETHEUS_NAMESPACE, NAMESPACE_NAME, SERVING_PORT
from config.genbi import DataSource
from plan.genbi import PORTS

net, meta = k8s.networking.v1, k8s.meta.v1
PART_LABEL = "app.kubernetes.io/name"


def part_selector(workload: str, part: str) -> dict[str, str]:
    return {GENBI_LABEL: workload, PART_LABEL: f"wren-{part}"}


def _pods(workload: str, part: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(pod_selector=meta.LabelSelectorArgs(match_labels=part_selector(workload, part)))


def _port(number: int) -> list[net.NetworkPolicyPortArgs]:
    return [net.NetworkPolicyPortArgs(port=number, protocol="TCP")]


def genbi_policies(workload: str, model_pods: tuple[dict[str, str], ...],
                   data_sources: tuple[DataSource, ...]) -> dict[str, net.NetworkPolicySpecArgs]:
    """Policy name -> spec. ``model_pods``: label selectors of the tenant's own endpoints GenBI calls
    (shared endpoints are reached through the namespace's `allow-shared-endpoints`)."""

    def ingress(part: str, *sources: str) -> net.NetworkPolicyIngressRuleArgs:
        return net.NetworkPolicyIngressRuleArgs(from_=[_pods(workload, s) for s in sources], ports=_port(PORTS[part]))

    def to(*parts: str) -> list[net.NetworkPolicyEgressRuleArgs]:
        return [net.NetworkPolicyEgressRuleArgs(to=[_pods(workload, p)], ports=_port(PORTS[p])) for p in parts]

    sources = [net.NetworkPolicyEgressRuleArgs(
        to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=d.cidr))], ports=_port(d.port))
        for d in data_sources]
    models = [net.NetworkPolicyEgressRuleArgs(
        to=[net.NetworkPolicyPeerArgs(pod_selector=meta.LabelSelectorArgs(match_labels=labels))], ports=_port(SERVING_PORT))
        for labels in model_pods]

    def policy(part: str, ingress_rules: list, egress_rules: list) -> net.NetworkPolicySpecArgs:
        return net.NetworkPolicySpecArgs(
            pod_selector=meta.LabelSelectorArgs(match_labels=part_selector(workload, part)),
            policy_types=["Ingress", "Egress"], ingress=ingress_rules, egress=egress_rules)

    # the tenant's own endpoints admit the AI service (the namespace's same-namespace rule leaves GenBI out)
    callers = {f"{workload}-to-{labels.get('app.kubernetes.io/instance', i)}": net.NetworkPolicySpecArgs(
        pod_selector=meta.LabelSelectorArgs(match_labels=labels), policy_types=["Ingress"],
        ingress=[net.NetworkPolicyIngressRuleArgs(from_=[_pods(workload, "ai")], ports=_port(SERVING_PORT))])
        for i, labels in enumerate(model_pods)}
    return {
        **callers,
        f"{workload}-ui": policy("ui", [ingress("ui", "ai")], to("ai", "engine", "ibis")),
        f"{workload}-ai": policy("ai", [ingress("ai", "ui")], [*to("ui", "qdrant", "engine", "ibis"), *models]),
        f"{workload}-engine": policy("engine", [ingress("engine", "ui", "ai", "ibis")], sources),
        f"{workload}-ibis": policy("ibis", [ingress("ibis", "ui", "ai")], [*to("engine"), *sources]),
        # managed Prometheus scrapes Qdrant's /metrics (with its read-only key)
        f"{workload}-qdrant": policy("qdrant", [ingress("qdrant", "ai"), net.NetworkPolicyIngressRuleArgs(
            from_=[net.NetworkPolicyPeerArgs(namespace_selector=meta.LabelSelectorArgs(
                match_labels={NAMESPACE_NAME: MANAGED_PROMETHEUS_NAMESPACE}))], ports=_port(PORTS["qdrant"]))], []),
    }
