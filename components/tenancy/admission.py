"""ValidatingAdmissionPolicies that hold tenant isolation in place whatever a namespace contains.

Each policy is evaluated by the API server for every matching request in a tenant namespace
(the bindings select namespaces labelled ``ai-platform/tenant``). RBAC already keeps tenant
admins away from most of these objects; the policies are the part that no RoleBinding, no
controller acting on a tenant's behalf and no label a tenant sets can undo.
"""

from __future__ import annotations

import json

import pulumi_kubernetes as k8s

from components.conventions import (
    ACCELERATOR_LABEL,
    ALLOWED_ACCELERATOR_PREFIX,
    EXPOSE_LABEL,
    GKE_ACCELERATOR_LABEL,
    GPU_PRIORITY_PREFIX,
    GPU_RESOURCE,
    GPU_TAINT,
    KEDA_NAMESPACE,
    KEDA_OPERATOR,
    MANAGED_LABEL,
    POOL_LABEL,
    RESERVED_SECRET_PREFIX,
    ROUTER_LABEL,
    SCOPE_LABEL,
)

ar = k8s.admissionregistration.v1
# Node labels a tenant pod may select on: where it runs (zone, OS, architecture) and, through the
# platform's own labels, which GPU type and pool (a GPU pool is tainted: a pod without GPUs that
# selects one cannot tolerate it and stays pending). GKE's labels naming a node, a pool or a
# machine type are refused: with a toleration they would seat a pod without GPUs on GPU nodes.
PLACEMENT_KEYS = ("topology.kubernetes.io/zone", "topology.kubernetes.io/region", "kubernetes.io/os",
                  "kubernetes.io/arch")
# PodMonitoring endpoint fields that make Managed Prometheus' collector (outside every tenant
# policy) call an address or read a secret the tenant chose.
MONITORING_FORBIDDEN = ("proxyUrl", "oauth2", "authorization", "basicAuth", "tls")
KEDA_OPERATOR_USER = f"{KEDA_NAMESPACE}:{KEDA_OPERATOR}"  # its Kubernetes username, after system:serviceaccount:
KEDA_GROUPS = ("keda.sh", "autoscaling")
WORKLOADS = ("deployments", "statefulsets", "replicasets", "daemonsets")


def cel_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def platform_expression(identities: list[str], groups: list[str]) -> str:
    """True when the request comes from the platform: its deployers (accounts or Google Groups,
    seen through GKE's Google Groups for RBAC) or a Kubernetes controller."""
    in_groups = f"request.userInfo.groups.exists(g, g in {cel_list(groups)}) || " if groups else ""
    # KEDA adds its finalizer and labels to the platform's ScaledObjects and creates their HPAs (copying
    # the labels): its operator may write those two API groups, nothing else.
    keda = (f"(request.userInfo.username == 'system:serviceaccount:{KEDA_OPERATOR_USER}' && "
            f"request.resource.group in {cel_list(list(KEDA_GROUPS))}) || ")
    return (f"request.userInfo.username in {cel_list(identities)} || {in_groups}{keda}"
            "request.userInfo.username.startsWith('system:serviceaccount:kube-system:') || "
            "request.userInfo.username == 'system:kube-controller-manager'")


def _rule(groups: list[str], resources: list[str], operations: list[str]) -> ar.NamedRuleWithOperationsArgs:
    return ar.NamedRuleWithOperationsArgs(api_groups=groups, api_versions=["*"], resources=resources,
                                          operations=operations)


POD_LABEL_PATHS = (("object.kind != 'Pod'", "object.metadata.labels"),
                   ("object.kind in ['Pod', 'CronJob']", "object.spec.template.metadata.labels"),
                   ("object.kind != 'CronJob'", "object.spec.jobTemplate.spec.template.metadata.labels"))
POD_SPEC_PATHS = (("object.kind != 'Pod'", "object.spec"),
                  ("object.kind in ['Pod', 'CronJob']", "object.spec.template.spec"),
                  ("object.kind != 'CronJob'", "object.spec.jobTemplate.spec.template.spec"))


def _no_reserved_secret(pod: str) -> str:
    """No volume, projected source, env or envFrom of the pod spec at ``pod`` names a reserved Secret, and
    the pod does not run as a reserved service account (the platform's scrapers: their tokens read metrics)."""
    prefix = f"'{RESERVED_SECRET_PREFIX}'"
    containers = (f"({pod}.containers + (has({pod}.initContainers) ? {pod}.initContainers : []))")
    volumes = (f"(!has({pod}.volumes) || {pod}.volumes.all(v, "
               f"(!has(v.secret) || !has(v.secret.secretName) || !v.secret.secretName.startsWith({prefix})) && "
               f"(!has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, !has(s.secret) || "
               f"!has(s.secret.name) || !s.secret.name.startsWith({prefix})))))")
    env = (f"{containers}.all(c, (!has(c.env) || c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef) "
           f"|| !has(e.valueFrom.secretKeyRef.name) || !e.valueFrom.secretKeyRef.name.startsWith({prefix}))) && (!has(c.envFrom) || c.envFrom.all(e, "
           f"!has(e.secretRef) || !has(e.secretRef.name) || !e.secretRef.name.startsWith({prefix}))))")
    account = " && ".join(f"(!has({pod}.{field}) || !{pod}.{field}.startsWith({prefix}))"
                          for field in ("serviceAccountName", "serviceAccount"))  # the second: its deprecated alias
    return f"({volumes} && {env} && {account})"


def _affinity_keys_within(allowed: str) -> str:
    """Node affinity (required and preferred) names no node label outside ``allowed`` and no field."""
    affinity = "object.spec.affinity.nodeAffinity"
    terms = (f"{affinity}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, "
             f"!has(t.matchFields) && (!has(t.matchExpressions) || t.matchExpressions.all(e, e.key in {allowed})))")
    preferred = (f"{affinity}.preferredDuringSchedulingIgnoredDuringExecution.all(p, !has(p.preference.matchFields) "
                 f"&& (!has(p.preference.matchExpressions) || p.preference.matchExpressions.all(e, e.key in {allowed})))")
    return (f"!has(object.spec.affinity) || !has({affinity}) || "
            f"((!has({affinity}.requiredDuringSchedulingIgnoredDuringExecution) || {terms}) && "
            f"(!has({affinity}.preferredDuringSchedulingIgnoredDuringExecution) || {preferred}))")


def policies(identities: list[str], groups: list[str],
             storage_classes: list[str]) -> dict[str, ar.ValidatingAdmissionPolicySpecArgs]:
    """Policy name -> spec. The bindings apply them to tenant namespaces only. ``identities`` and
    ``groups``: who deploys the platform; ``storage_classes``: those tenants' claims may use (an
    unset class gets the cluster default, one of them)."""
    platform = platform_expression(identities, groups)
    gpu_in = (f"has(c.resources) && ((has(c.resources.limits) && '{GPU_RESOURCE}' in c.resources.limits) || "
              f"(has(c.resources.requests) && '{GPU_RESOURCE}' in c.resources.requests))")
    selector_keys = cel_list([*PLACEMENT_KEYS, ACCELERATOR_LABEL, POOL_LABEL])
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
                expression=f"{skip} || !has({labels}) || !('{label}' in {labels}) || {platform}",
                reason="Forbidden", message=message)
                for label, message in (
                    (EXPOSE_LABEL, f"only the platform exposes pods to the gateway (label {EXPOSE_LABEL})"),
                    (ROUTER_LABEL, f"only the platform runs routers, which may reach the Kubernetes API "
                                   f"(label {ROUTER_LABEL})"))
                for skip, labels in POD_LABEL_PATHS]),
        "ai-platform-reserved-secrets": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule([""], ["pods"], ["CREATE"]),
                _rule(["apps"], list(WORKLOADS), ["CREATE", "UPDATE"]),
                _rule(["batch"], ["jobs", "cronjobs"], ["CREATE", "UPDATE"])]),
            validations=[ar.ValidationArgs(
                expression=f"{skip} || !has({spec}) || {_no_reserved_secret(spec)} || {platform}",
                reason="Forbidden",
                message=f"Secrets and service accounts named {RESERVED_SECRET_PREFIX}* hold the platform's credentials "
                        "(the IAP OAuth client, metrics scrapers): tenant pods do not mount, read or run as them")
                for skip, spec in POD_SPEC_PATHS]),
        "ai-platform-tenant-monitoring": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule(["monitoring.googleapis.com"], ["podmonitorings"], ["CREATE", "UPDATE"])]),
            # the platform's own (Qdrant and the endpoint pickers need a credential) carry the managed label,
            # which only the platform may set (ai-platform-managed-objects)
            validations=[ar.ValidationArgs(
                expression="!has(object.spec.endpoints) || object.spec.endpoints.all(e, "
                           + " && ".join(f"!has(e.{f})" for f in MONITORING_FORBIDDEN) + ") || "
                           f"(has(object.metadata.labels) && '{MANAGED_LABEL}' in object.metadata.labels && "
                           f"({platform}))",
                reason="Forbidden",
                message="PodMonitoring endpoints scrape the tenant's own pods directly: no "
                        + ", ".join(MONITORING_FORBIDDEN) + " (the collector would fetch any URL or secret)")]),
        "ai-platform-tenant-rules": ar.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=ar.MatchResourcesArgs(resource_rules=[
                _rule(["monitoring.googleapis.com"], ["rules"], ["CREATE", "UPDATE"])]),
            # Alertmanager routes a namespace's alerts to its tenant unless they say scope="platform"
            # (plan/alertmanager.py): a tenant's own rules may not, or they would page the platform's on-call
            validations=[ar.ValidationArgs(
                expression="!has(object.spec.groups) || object.spec.groups.all(g, !has(g.rules) || g.rules.all(r, "
                           f"!has(r.labels) || !('{SCOPE_LABEL}' in r.labels) || r.labels['{SCOPE_LABEL}'] == 'tenant'))",
                reason="Forbidden",
                message=f"a tenant's alert rules go to its own receivers: label {SCOPE_LABEL} may only be 'tenant'")]),
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
                    expression=f"variables.selector.all(k, k in {selector_keys})", reason="Forbidden",
                    message="nodeSelector may name only " + ", ".join([*PLACEMENT_KEYS, ACCELERATOR_LABEL, POOL_LABEL])
                            + ": pods do not pick nodes"),
                ar.ValidationArgs(
                    expression=_affinity_keys_within(cel_list(list(PLACEMENT_KEYS))), reason="Forbidden",
                    message="node affinity may name only " + ", ".join(PLACEMENT_KEYS)
                            + "; accelerators are selected by nodeSelector"),
                ar.ValidationArgs(
                    expression="!has(object.spec.nodeName) || object.spec.nodeName == ''", reason="Forbidden",
                    message="spec.nodeName bypasses the scheduler and node taints: let the scheduler place pods"),
                ar.ValidationArgs(
                    expression="!has(object.spec.tolerations) || object.spec.tolerations.all(t, has(t.key) && "
                               f"t.key != '' && (variables.gpus || t.key != '{GPU_TAINT}'))",
                    reason="Forbidden",
                    message=f"only pods that request GPUs tolerate {GPU_TAINT}, and no pod tolerates every taint"),
                ar.ValidationArgs(
                    expression="!has(object.spec.priorityClassName) || object.spec.priorityClassName == '' || "
                               f"(variables.accelerator != '' && object.spec.priorityClassName == "
                               f"'{GPU_PRIORITY_PREFIX}' + variables.accelerator)",
                    reason="Forbidden",
                    message=f"tenant pods use no priority class but {GPU_PRIORITY_PREFIX}<accelerator>: a higher "
                            "class (gmp-critical, system-*) would evict other tenants' pods"),
            ]),
    }
