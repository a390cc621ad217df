"""Kubernetes objects the stack renders: admitted by their namespace, pulled from the platform's caches,
sized, probed, drainable, and not exposed around the gateway."""

from __future__ import annotations

from policy.pod_security import LEVELS, pod_spec_of, violations
from policy.rules.base import each, rule, skip_unknown

WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
             "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod")
SERVING = WORKLOADS[:3]
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
ENFORCE = "pod-security.kubernetes.io/enforce"
TENANT_LABEL = "ai-platform/tenant"


def _pod(r) -> dict:
    manifest = {"kind": r.get("kind"), "spec": r.known(r.get("spec", {}))}
    return pod_spec_of(manifest) or {}


def _containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


@rule("k8s-pod-security", "kubernetes", "high",
      "Every pod template passes the Pod Security level its namespace enforces (else its pods are refused "
      "one by one after the apply succeeded).",
      "Use components.conventions.restricted_pod_context()/restricted_container_context() (non-root, no "
      "privilege escalation, all capabilities dropped, RuntimeDefault seccomp) or lower the namespace's level "
      "with an ADR.")
def _pod_security(resources, ctx):
    levels = {}
    for ns in each(resources, NAMESPACE):
        levels[ns.get("metadata.name")] = ns.known(ns.labels).get(ENFORCE, "privileged")
    for r in each(resources, *WORKLOADS):
        level = levels.get(r.namespace or "default")
        if level not in LEVELS:
            continue  # a namespace the stack does not create: its level is not known here
        for problem in skip_unknown(lambda w, level=level: violations(_pod(w), level), r):
            yield r.key, f"refused by namespace {r.namespace} ({level}): {problem}"


@rule("k8s-images-from-caches", "kubernetes", "high",
      "Containers pull only through the platform's Artifact Registry caches (or a catalog image of a direct "
      "registry): what Binary Authorization admits (ADR 0004).",
      "Render images with components.platform.image_supply.image_ref from config/catalog/versions.yaml.",
      types=WORKLOADS)
def _caches(r, ctx):
    for c in _containers(_pod(r)):
        image = c.get("image", "")
        if not image.startswith(ctx.image_prefixes) and image.split("@")[0] not in ctx.direct_images:
            yield f"container {c.get('name')}: image {image} does not come through the platform's caches"


@rule("k8s-images-pinned", "kubernetes", "medium", "Every image is pinned to a version tag or digest (never latest).",
      "Pin the tag in config/catalog/versions.yaml (tests/test_pins.py checks it is current).", types=WORKLOADS)
def _pinned(r, ctx):
    for c in _containers(_pod(r)):
        image = c.get("image", "")
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if "@sha256:" not in image and tag in ("", "latest", "main", "master", "stable"):
            yield f"container {c.get('name')}: image {image or '(none)'} is not pinned"


@rule("k8s-requests-limits", "kubernetes", "medium",
      "Every container requests CPU and memory and limits memory (scheduling, quotas, no node OOM).",
      "Set resources.requests.cpu/memory and resources.limits.memory (CPU limits are optional: they throttle).",
      types=WORKLOADS)
def _resources(r, ctx):
    for c in _containers(_pod(r)):
        resources = c.get("resources", {})
        missing = [k for k, v in (("requests.cpu", resources.get("requests", {}).get("cpu")),
                                  ("requests.memory", resources.get("requests", {}).get("memory")),
                                  ("limits.memory", resources.get("limits", {}).get("memory"))) if v is None]
        if missing:
            yield f"container {c.get('name')}: no {', '.join(missing)}"


@rule("k8s-probes", "kubernetes", "medium",
      "Every serving container (one with ports) has a readiness probe, so traffic goes only to ready pods.",
      "Add readiness_probe (and a startup/liveness probe for slow starters) to containers that declare ports.",
      types=SERVING)
def _probes(r, ctx):
    for c in _pod(r).get("containers", []):
        if c.get("ports") and not c.get("readinessProbe"):
            yield f"container {c.get('name')} serves ports {[p.get('containerPort') for p in c['ports']]} " \
                  "without a readiness probe"


@rule("k8s-pdb-allows-disruption", "kubernetes", "medium",
      "A PodDisruptionBudget lets at least one pod be evicted (else node upgrades and drains block forever).",
      "Use max_unavailable=1 (or a percentage above 0) instead of max_unavailable=0 or min_available=100%.",
      types=(PDB,))
def _pdb(r, ctx):
    if str(r.get("spec.maxUnavailable", "")) in ("0", "0%"):
        yield "maxUnavailable is 0: no pod may ever be evicted"
    if str(r.get("spec.minAvailable", "")) == "100%":
        yield "minAvailable is 100%: no pod may ever be evicted"


@rule("k8s-no-external-services-in-tenants", "kubernetes", "high",
      "Tenants are reached only through the platform gateway (IAP, Cloud Armor, TLS): no LoadBalancer or "
      "NodePort Service in a tenant namespace.",
      "Use a ClusterIP Service with an HTTPRoute on the platform gateway (`expose:` in the tenant file).")
def _external(resources, ctx):
    tenant_namespaces = {ns.get("metadata.name") for ns in each(resources, NAMESPACE)
                         if skip_unknown(lambda n: [n.labels.get(TENANT_LABEL)], ns) != [None]}
    for svc in each(resources, SERVICE):
        kind = skip_unknown(lambda s: [s.get("spec.type", "ClusterIP")], svc)
        if svc.namespace in tenant_namespaces and kind and kind[0] in ("LoadBalancer", "NodePort"):
            yield svc.key, f"{kind[0]} Service in tenant namespace {svc.namespace} bypasses the gateway"
