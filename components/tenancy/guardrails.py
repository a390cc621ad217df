"""Cluster-wide objects that make tenant isolation hold (docs/tenants.md, ADR 0007).

- ``ai-platform-tenant-admin``: the ClusterRole a tenant's owners get in their namespace (a
  RoleBinding), enough to run apps and nothing that changes isolation;
- the admission policies of ``components/tenancy/admission.py`` and their bindings to tenant
  namespaces;
- a PriorityClass per accelerator type, which per-type GPU quotas are scoped by. Its pods preempt lower
  priorities, which only the warm spares' placeholders have (components/workloads/warm_capacity.py, ADR 0019).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import GPU_PRIORITY_PREFIX, TENANT_LABEL, component_type
from components.conventions import labels as platform_labels
from components.tenancy.admission import policies

TENANT_ADMIN_ROLE = "ai-platform-tenant-admin"
WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
READ = ["get", "list", "watch"]
rbac = k8s.rbac.v1

# What a team needs to run its apps. Absent on purpose: NetworkPolicies, Roles, RoleBindings,
# ServiceAccounts, ResourceQuotas and LimitRanges (read only), Ingresses, Secrets, DaemonSets
# (they would land on every node) and the Namespace itself.
TENANT_ADMIN_RULES = [
    ("", ["pods", "services", "configmaps", "persistentvolumeclaims"], WRITE),
    ("", ["pods/exec", "pods/attach", "pods/portforward"], ["create", "get"]),
    ("", ["pods/log", "events", "endpoints", "serviceaccounts", "resourcequotas", "limitranges"], READ),
    ("apps", ["deployments", "statefulsets", "replicasets"], WRITE),
    ("apps", ["deployments/scale", "statefulsets/scale", "replicasets/scale"], ["get", "patch", "update"]),
    ("batch", ["jobs", "cronjobs"], WRITE),
    ("autoscaling", ["horizontalpodautoscalers"], WRITE),
    ("policy", ["poddisruptionbudgets"], WRITE),
    ("monitoring.googleapis.com", ["podmonitorings"], WRITE),  # managed Prometheus scraping of their apps
    ("monitoring.googleapis.com", ["rules"], WRITE),  # their own alerts, to their own receivers
    ("events.k8s.io", ["events"], READ),
    ("networking.k8s.io", ["networkpolicies"], READ),
    ("rbac.authorization.k8s.io", ["roles", "rolebindings"], READ),
    ("secrets-store.csi.x-k8s.io", ["secretproviderclasses"], READ),
]


@dataclass(frozen=True)
class TenantGuardrailsArgs:
    platform_identities: tuple[str, ...]  # Kubernetes usernames allowed to change platform-managed objects
    platform_groups: tuple[str, ...]  # Google Groups whose members may too
    accelerators: tuple[str, ...]  # every GPU type of the stack's pools
    storage_classes: tuple[str, ...]  # the classes tenants' volumes may use
    provider: pulumi.ProviderResource


class TenantGuardrails(pulumi.ComponentResource):
    """Output ``tenant_admin_role``: the name of the ClusterRole to bind a tenant's owners to."""

    def __init__(self, name: str, args: TenantGuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("tenancy", "TenantGuardrails"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = platform_labels("guardrails")
        role = rbac.ClusterRole(
            f"{name}-tenant-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TENANT_ADMIN_ROLE, labels=labels),
            rules=[rbac.PolicyRuleArgs(api_groups=[group], resources=resources, verbs=verbs)
                   for group, resources, verbs in TENANT_ADMIN_RULES],
            opts=k8s_opts)
        tenants = k8s.meta.v1.LabelSelectorArgs(match_expressions=[
            k8s.meta.v1.LabelSelectorRequirementArgs(key=TENANT_LABEL, operator="Exists")])
        ar = k8s.admissionregistration.v1
        for policy_name, spec in policies(list(args.platform_identities), list(args.platform_groups),
                                                list(args.storage_classes)).items():
            policy = ar.ValidatingAdmissionPolicy(
                f"{name}-{policy_name}", metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name, labels=labels),
                spec=spec, opts=k8s_opts)
            ar.ValidatingAdmissionPolicyBinding(
                f"{name}-{policy_name}-binding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name, labels=labels),
                spec=ar.ValidatingAdmissionPolicyBindingSpecArgs(
                    policy_name=policy_name, validation_actions=["Deny"],
                    match_resources=ar.MatchResourcesArgs(namespace_selector=tenants)),
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[policy]))
        for accelerator in args.accelerators:
            # value and preemptionPolicy cannot change in place (the API server refuses the update): a class made
            # with others is replaced, deleted first since its name is fixed (pods naming it wait seconds).
            k8s.scheduling.v1.PriorityClass(
                f"{name}-{GPU_PRIORITY_PREFIX}{accelerator}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{GPU_PRIORITY_PREFIX}{accelerator}", labels=labels),
                value=0, global_default=False, preemption_policy="PreemptLowerPriority",
                description=f"Pods on {accelerator} GPUs; tenant quotas for that type are scoped by this class.",
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(
                    replace_on_changes=["preemptionPolicy", "value"], delete_before_replace=True)))
        self.tenant_admin_role: pulumi.Output[str] = role.metadata.name
        self.register_outputs({"tenant_admin_role": self.tenant_admin_role})
