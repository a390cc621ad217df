"""The platform's conventions, in one place every layer imports: labels, namespaces, Pod Security,
the GPU taint, the serving port, checkov skip reasons.

A convention is a name or a shape that two components must agree on without talking to each
other: the label an admission policy looks for and the component that sets it, the taint a pool
carries and the toleration a pod needs. Nothing here builds a resource.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from config.tenancy import ENDPOINT_PORT

core = k8s.core.v1

# --- labels the platform sets and its admission policies and network rules read -------------------
TENANT_LABEL = "ai-platform/tenant"  # on a tenant's namespace and every object the platform puts there
MANAGED_LABEL = "ai-platform/managed"  # the managed-objects admission policy: only the platform changes it
# On objects only the cluster that made them can use (a service-account token Secret holds a token its API server
# signed): a restore into another cluster leaves them out, and the program creates them there anew.
CLUSTER_BOUND_LABEL = "ai-platform/cluster-bound"
EXPOSE_LABEL = "ai-platform/expose"  # pods the gateway's proxies may reach (only the platform sets it)
ROUTER_LABEL = "ai-platform/router"  # the platform's endpoint pickers: they may reach the Kubernetes API
GENBI_LABEL = "ai-platform/genbi"  # GenBI's parts, which have network policies of their own
ACCELERATOR_LABEL = "ai-platform/accelerator"  # on GPU nodes: the accelerator type pods select
POOL_LABEL = "ai-platform/node-pool"  # on every node: its pool
ALLOWED_ACCELERATOR_PREFIX = "accelerator.ai-platform/"  # namespace label per accelerator the tenant may use
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace

# --- GPUs ----------------------------------------------------------------------------------------
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = "nvidia.com/gpu"  # GKE taints GPU nodes with it; the pools repeat it explicitly
GPU_PRIORITY_PREFIX = "gpu-"  # PriorityClass gpu-<accelerator>: scopes a tenant's per-type GPU quota

# --- namespaces and identities of platform services ---------------------------------------------
KEDA_NAMESPACE = "keda"
KEDA_OPERATOR = "keda-operator"  # its Kubernetes service account
MANAGED_PROMETHEUS_NAMESPACE = "gmp-system"  # Google Managed Prometheus' collectors and rule evaluator
SERVING_PORT = ENDPOINT_PORT  # every vLLM endpoint serves its API and /metrics here

# --- users -----------------------------------------------------------------------------------------
UID = 10001  # the fixed non-root user of our own pods (images that default to root never run as root)
SCOPE_LABEL = "scope"  # on alerts: "tenant" (routed to the namespace's tenant) or "platform" (plan/alertmanager.py)
RESERVED_SECRET_PREFIX = "ai-platform-"  # noqa: S105 - Secrets the platform keeps in tenant namespaces

PART_OF = "ai-platform"


def component_type(layer: str, name: str) -> str:
    """A component's type token, ``ai-platform:<layer>:<Type>`` (layer = its folder under components/)."""
    return f"ai-platform:{layer}:{name}"


def formerly(opts: pulumi.ResourceOptions | None, *old_types: str) -> pulumi.ResourceOptions:
    """``opts`` with aliases from the type tokens a component had before: its URN, and with it every
    child's, stays the same in stacks created under the old token. Keep them until every stack ran."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        aliases=[pulumi.Alias(type_=old) for old in old_types]))


def labels(component: str, tenant: str | None = None) -> dict[str, str]:
    """The labels of every Kubernetes object the platform creates. With ``tenant``, the object lives in
    that tenant's namespace: it carries the tenant and the managed label, which the managed-objects
    admission policy protects from everyone but the platform."""
    out = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": PART_OF,
           "app.kubernetes.io/component": component}
    if tenant is not None:
        out.update({TENANT_LABEL: tenant, MANAGED_LABEL: "true"})
    return out


def pod_security(level: str, version: str | None = None) -> dict[str, str]:
    """Namespace labels that enforce (and audit and warn at) a Pod Security Standards level."""
    out = {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}
    if version:
        out.update({f"pod-security.kubernetes.io/{mode}-version": version for mode in ("enforce", "audit", "warn")})
    return out


def restricted_pod_context(uid: int = UID) -> core.PodSecurityContextArgs:
    """Pod Security `restricted`: a fixed non-root user and group, RuntimeDefault seccomp."""
    return core.PodSecurityContextArgs(run_as_non_root=True, run_as_user=uid, run_as_group=uid, fs_group=uid,
                                       seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault"))


def restricted_container_context() -> core.SecurityContextArgs:
    """Pod Security `restricted` for one container, with a read-only root filesystem (writes go to emptyDirs)."""
    return core.SecurityContextArgs(allow_privilege_escalation=False, read_only_root_filesystem=True,
                                    run_as_non_root=True, capabilities=core.CapabilitiesArgs(drop=["ALL"]))


def gpu_toleration() -> core.TolerationArgs:
    return core.TolerationArgs(key=GPU_TAINT, operator="Exists", effect="NoSchedule")


# checkov findings that do not apply to the platform's pods, with the reason kept on the object
# (checkov reads `checkov.io/skipN` annotations); each workload picks the ones that apply to it.
CHECKOV = {
    "cpu-limits": "CKV_K8S_11=CPU limits throttle request handling; CPU is requested and quota-capped",
    "pinned-tag": "CKV_K8S_43=images are pinned by tag in config/catalog/versions.yaml and admitted by "
                  "Binary Authorization only from the platform's cache",
    "if-not-present": "CKV_K8S_15=IfNotPresent: the tag is pinned, and a pool's secondary boot disk serves a "
                      "preloaded image only to IfNotPresent pulls",
    "no-secrets": "CKV_K8S_35=no Kubernetes Secret is used; the model comes from the models bucket",
}


def checkov_skips(*reasons: str, **extra: str) -> dict[str, str]:
    """``checkov.io/skip1..N`` annotations for the named reasons of ``CHECKOV`` and any ``extra`` ones."""
    texts = [CHECKOV[r] for r in reasons] + list(extra.values())
    return {f"checkov.io/skip{i}": text for i, text in enumerate(texts, start=1)}
