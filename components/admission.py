"""ValidatingAdmissionPolicies that hold tenant isolation in place whatever a namespace contains.

Each policy is evaluated by the API server for every matching request in a tenant namespace
(the bindings select namespaces labelled ``ai-platform/tenant``). RBAC already keeps tenant
admins away from most of these objects; the policies are the part that no RoleBinding, no
controller acting on a tenant's behalf and no label a tenant sets can undo.
"""

from __future__ import annotations

import json

import pulumi_kubernetes as k8s

ar = k8s.admissionregistration.v1
TENANT_LABEL = "ai-platform/tenant"
MANAGED_LABEL = "ai-platform/managed"
EXPOSE_LABEL = "ai-platform/expose"
ACCELERATOR_LABEL = "ai-platform/accelerator"
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
ALLOWED_ACCELERATOR_PREFIX = "accelerator.ai-platform/"  # namespace label per accelerator the tenant may use
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRIORITY_PREFIX = "gpu-"
WORKLOADS = ("deployments", "statefulsets", "replicasets", "daemonsets")


def cel_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def platform_expression(identities: list[str]) -> str:
    """True when the request comes from the platform: its deployer or a Kubernetes controller."""
    return (f"request.userInfo.username in {cel_list(identities)} || "
            "request.userInfo.username.startsWith('system:serviceaccount:kube-system:') || "
            "request.userInfo.username == 'system:kube-controller-manager'")


def _rule(groups: list[str], resources: list[str], operations: list[str]) -> ar.NamedRuleWithOperationsArgs:
    return ar.NamedRuleWithOperationsArgs(api_groups=groups, api_versions=["*"], resources=resources,
                                          operations=operations)


def policies(identities: list[str], storage_classes: list[str]) -> dict[str, ar.ValidatingAdmissionPolicySpecArgs]:
    """Policy name -> spec. The bindings apply them to tenant namespaces only. ``storage_classes``:
    those tenants' claims may use (an unset class gets the cluster default, one of them)."""
    platform = platform_expression(identities)
    gpu_in = (f"has(c.resources) && ((has(c.resources.limits) && '{GPU_RESOURCE}' in c.resources.limits) || "
              f"(has(c.resources.requests) && '{GPU_RESOURCE}' in c.resources.requests))")
    accelerator_keys = cel_list([ACCELERATOR_LABEL, GKE_ACCELERATOR_LABEL])
    affinity = "object.spec.affinity.nodeAffinity"
    return {
        "ai-platform-managed-objects": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule(["*"], ["*"], ["CREATE", "UPDATE", "DELETE"])]),
            match_conditions=[ar.MatchConditionArgs(
                name="platform-managed",
                expression=f"(request.operation != 'DELETE' && has(object.metadata.labels) && '{MANAGED_LABEL}' in "
                           f"object.metadata.labels) || (request.operation != 'CREATE' && "
                           f"has(oldObject.metadata.labels) && '{MANAGED_LABEL}' in oldObject.metadata.labels)")],
            validations=[ar.ValidationArgs(
                expression=platform, reason="Forbidden",
                message=f"objects labelled {MANAGED_LABEL} belong to the platform: only its deployer changes them")]),
        "ai-platform-tenant-services": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[_rule([""], ["services"], ["CREATE", "UPDATE"])]),
            validations=[
                ar.ValidationArgs(
                    expression="!has(object.spec.type) || !(object.spec.type in ['LoadBalancer', 'NodePort'])",
                    reason="Forbidden",
                    message="tenant Services stay inside the cluster: the platform gateway is the way in"),
                ar.ValidationArgs(
                    expression="!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
                    reason="Forbidden",
                    message="externalIPs can intercept other traffic (CVE-2020-8554) and are not allowed"),
            ]),
        "ai-platform-tenant-storage": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule([""], ["persistentvolumeclaims"], ["CREATE"])]),
            validations=[ar.ValidationArgs(
                expression=f"!has(object.spec.storageClassName) || object.spec.storageClassName in "
                           f"{cel_list(storage_classes)}",
                reason="Forbidden",
                message=f"tenant volumes use the platform's encrypted classes: {', '.join(storage_classes)}")]),
        "ai-platform-gateway-exposure": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule([""], ["pods"], ["CREATE", "UPDATE"]),
                _rule(["apps"], list(WORKLOADS), ["CREATE", "UPDATE"]),
                _rule(["batch"], ["jobs", "cronjobs"], ["CREATE", "UPDATE"])]),
            validations=[ar.ValidationArgs(
                expression=f"{skip} || !has({labels}) || !('{EXPOSE_LABEL}' in {labels}) || {platform}",
                reason="Forbidden", message=f"only the platform exposes pods to the gateway (label {EXPOSE_LABEL})")
                for skip, labels in (
                    ("object.kind != 'Pod'", "object.metadata.labels"),
                    ("object.kind in ['Pod', 'CronJob']", "object.spec.template.metadata.labels"),
                    ("object.kind != 'CronJob'", "object.spec.jobTemplate.spec.template.metadata.labels"))]),
        "ai-platform-accelerators": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[_rule([""], ["pods"], ["CREATE"])]),
            variables=[
                ar.VariableArgs(name="selector",
                                expression="has(object.spec.nodeSelector) ? object.spec.nodeSelector : {}"),
                ar.VariableArgs(name="accelerator", expression=(
                    f"'{ACCELERATOR_LABEL}' in variables.selector ? variables.selector['{ACCELERATOR_LABEL}'] : ''")),
                ar.VariableArgs(name="gpus", expression=(
                    f"object.spec.containers.exists(c, {gpu_in}) || "
                    f"(has(object.spec.initContainers) && object.spec.initContainers.exists(c, {gpu_in}))")),
            ],
            validations=[
                ar.ValidationArgs(
                    expression=f"!('{GKE_ACCELERATOR_LABEL}' in variables.selector)", reason="Forbidden",
                    message=f"select GPUs with {ACCELERATOR_LABEL}, not {GKE_ACCELERATOR_LABEL}"),
                ar.ValidationArgs(
                    expression=f"variables.accelerator == '' || ('{ALLOWED_ACCELERATOR_PREFIX}' + "
                               "variables.accelerator) in namespaceObject.metadata.labels",
                    reason="Forbidden", message="this accelerator type is not in the tenant's quota"),
                ar.ValidationArgs(
                    expression="!variables.gpus || variables.accelerator != ''", reason="Invalid",
                    message=f"a pod that requests GPUs selects its type with nodeSelector {ACCELERATOR_LABEL}"),
                ar.ValidationArgs(
                    expression=f"variables.accelerator == '' || (has(object.spec.priorityClassName) && "
                               f"object.spec.priorityClassName == '{GPU_PRIORITY_PREFIX}' + variables.accelerator)",
                    reason="Invalid",
                    message=f"a GPU pod uses priorityClassName {GPU_PRIORITY_PREFIX}<accelerator>: it counts "
                            "against the tenant's quota for that type"),
                ar.ValidationArgs(
                    expression=(
                        f"!has(object.spec.affinity) || !has(object.spec.affinity.nodeAffinity) || "
                        f"((!has({affinity}.requiredDuringSchedulingIgnoredDuringExecution) || "
                        f"{affinity}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, "
                        f"!has(t.matchExpressions) || t.matchExpressions.all(e, !(e.key in {accelerator_keys})))) && "
                        f"(!has({affinity}.preferredDuringSchedulingIgnoredDuringExecution) || "
                        f"{affinity}.preferredDuringSchedulingIgnoredDuringExecution.all(p, "
                        f"!has(p.preference.matchExpressions) || "
                        f"p.preference.matchExpressions.all(e, !(e.key in {accelerator_keys})))))"),
                    reason="Forbidden", message="accelerators are selected by nodeSelector only, not node affinity"),
            ]),
    }
