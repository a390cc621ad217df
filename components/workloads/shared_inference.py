"""The platform's inference namespace: where shared endpoints (and the model loader) run.

Shared endpoints (``inference.endpoints`` of the environment file) serve every tenant that
lists them in ``uses``. The namespace enforces Pod Security `restricted`; ingress is closed but
for its own pods, the tenants that use an endpoint here (on the serving port) and managed
Prometheus. Each endpoint runs as its own Kubernetes service account, which may read its model's
folder of the models bucket and write its own compile cache folder, and nothing else (a direct Workload
Identity principal, no Google account).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import (
    MANAGED_PROMETHEUS_NAMESPACE,
    NAMESPACE_NAME,
    component_type,
    formerly,
    labels,
    pod_security,
)
from components.conventions import SERVING_PORT as PORT
from components.platform.identity import workload_principal

net, meta = k8s.networking.v1, k8s.meta.v1


@dataclass(frozen=True)
class SharedInferenceArgs:
    namespace: str
    endpoints: dict[str, pulumi.Input[str]]  # shared endpoint -> its model's managed folder (each gets an account)
    caches: dict[str, pulumi.Input[str]]  # shared endpoint -> its compile cache's managed folder
    consumers: tuple[str, ...]  # tenant namespaces that use at least one of them
    models_bucket: pulumi.Input[str]
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]
    provider: pulumi.ProviderResource


class SharedInference(pulumi.ComponentResource):
    """Output ``namespace``: the namespace's name, known once it exists."""

    def __init__(self, name: str, args: SharedInferenceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "SharedInference"), name, None, formerly(opts, "ai-platform:inference:SharedInference"))
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=meta.ObjectMetaArgs(name=args.namespace, labels={
                **labels("inference"),
                **pod_security("restricted")}),
            opts=k8s_opts)
        ns = namespace.metadata.name
        in_ns = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        for policy, spec in policies(args.consumers).items():
            net.NetworkPolicy(f"{name}-{policy}", metadata=meta.ObjectMetaArgs(
                name=policy, namespace=ns, labels=labels("inference")), spec=spec, opts=in_ns)
        for endpoint, folder in sorted(args.endpoints.items()):
            k8s.core.v1.ServiceAccount(
                f"{name}-{endpoint}-ksa", metadata=meta.ObjectMetaArgs(name=endpoint, namespace=ns,
                                                                       labels=labels("inference")),
                automount_service_account_token=False, opts=in_ns)
            # its model's folder only (the loader, alone, writes the weights), and its own compile cache
            member = workload_principal(args.project_number, args.workload_pool, f"{args.namespace}/{endpoint}")
            gcp.storage.ManagedFolderIamMember(
                f"{name}-{endpoint}-weights", bucket=args.models_bucket, managed_folder=folder,
                role="roles/storage.objectViewer", member=member, opts=pulumi.ResourceOptions(parent=self))
            gcp.storage.ManagedFolderIamMember(
                f"{name}-{endpoint}-compile-cache", bucket=args.models_bucket, managed_folder=args.caches[endpoint],
                role="roles/storage.objectUser", member=member, opts=pulumi.ResourceOptions(parent=self))
        self.namespace: pulumi.Output[str] = ns
        self.register_outputs({"namespace": ns})


def policies(consumers: tuple[str, ...]) -> dict[str, net.NetworkPolicySpecArgs]:
    everyone = meta.LabelSelectorArgs()
    serving = [net.NetworkPolicyPortArgs(port=PORT, protocol="TCP")]

    def from_namespaces(*names: str) -> net.NetworkPolicyPeerArgs:
        return net.NetworkPolicyPeerArgs(namespace_selector=meta.LabelSelectorArgs(match_expressions=[
            meta.LabelSelectorRequirementArgs(key=NAMESPACE_NAME, operator="In", values=list(names))]))

    out = {
        "default-deny-ingress": net.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress"]),
        "allow-same-namespace": net.NetworkPolicySpecArgs(
            pod_selector=everyone, policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[net.NetworkPolicyPeerArgs(pod_selector=everyone)])]),
        "allow-metrics-scrape": net.NetworkPolicySpecArgs(
            pod_selector=everyone, policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[from_namespaces(MANAGED_PROMETHEUS_NAMESPACE)],
                                                      ports=serving)]),
    }
    if consumers:
        out["allow-consumers"] = net.NetworkPolicySpecArgs(
            pod_selector=everyone, policy_types=["Ingress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=[from_namespaces(*sorted(consumers))], ports=serving)])
    return out
