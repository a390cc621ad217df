"""Rules over the whole stack: each tenant's kit, protection of stateful resources, cost labels and the
monthly cost ceiling of the environment (config/environments/<env>.yaml `policy`)."""

from __future__ import annotations

from policy.rules.base import each, rule, skip_unknown
from policy.stateful import STATEFUL_TYPES

# Where each billable type keeps its labels (billing export groups cost by them).
LABELS = {"gcp:storage/bucket:Bucket": "labels", "gcp:container/cluster:Cluster": "resourceLabels",
          "gcp:container/nodePool:NodePool": "nodeConfig.resourceLabels",
          "gcp:sql/databaseInstance:DatabaseInstance": "settings.userLabels", "gcp:kms/cryptoKey:CryptoKey": "labels",
          "gcp:secretmanager/secret:Secret": "labels", "gcp:artifactregistry/repository:Repository": "labels",
          "gcp:filestore/instance:Instance": "labels"}
COST_LABELS = ("env", "component")
TENANT_LABEL = "ai-platform/tenant"


def _kit(resources, tenant: str) -> dict[str, bool]:
    """What every tenant gets (components/tenancy/tenant.py), found in the stack."""
    namespaces = [ns for ns in each(resources, "kubernetes:core/v1:Namespace")
                  if skip_unknown(lambda n: [n.labels.get(TENANT_LABEL)], ns) == [tenant]]
    names = {ns.get("metadata.name") for ns in namespaces}
    inside = [r for r in resources if r.type.startswith("kubernetes:") and r.namespace in names] if names else []
    types = {r.type for r in inside}
    default_deny = any(r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
                       and not r.get("spec.podSelector") and set(r.get("spec.policyTypes", [])) == {"Ingress", "Egress"}
                       and not r.get("spec.ingress") and not r.get("spec.egress") for r in inside)
    own = [r for r in resources if r.name.startswith(f"tenant-{tenant}-")]
    return {"namespace": bool(namespaces), "resource quota": "kubernetes:core/v1:ResourceQuota" in types,
            "limit range": "kubernetes:core/v1:LimitRange" in types, "default-deny network policy": default_deny,
            "admin role binding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" in types,
            "Google service account": any(r.type == "gcp:serviceaccount/account:Account" for r in own),
            "bucket": any(r.type == "gcp:storage/bucket:Bucket" for r in own)}


@rule("stack-tenant-kit", "stack", "high",
      "Every tenant the stack hosts has its whole kit: namespace, quota, limit range, default-deny network "
      "policy, role binding, Google service account and bucket.",
      "Onboard tenants through config/tenants/<name>.yaml only (components/tenancy/tenant.py builds the kit); "
      "never remove a part of it by hand.")
def _tenant_kit(resources, ctx):
    for tenant in ctx.tenants:
        missing = [part for part, present in _kit(resources, tenant).items() if not present]
        if missing:
            yield None, f"tenant {tenant} has no {', '.join(missing)}"


@rule("stack-stateful-protected", "stack", "critical",
      "Outside dev (protect: true) every stateful resource is protected: `pulumi destroy` or a replacement "
      "cannot delete its data.",
      "Create it with opts=ResourceOptions(protect=spec.env.protect); rename with aliases, never by a new name.",
      types=STATEFUL_TYPES)
def _protected(r, ctx):
    if ctx.protect and not r.protect:
        yield f"{r.type.split(':')[-1]} holds data but is not protected"


@rule("stack-cost-labels", "stack", "low", "Billable resources carry the labels cost is reported by (env, component).",
      "Pass labels=components.conventions.labels(<component>) (resource_labels / user_labels where the type "
      "calls them so).", types=tuple(LABELS))
def _cost_labels(r, ctx):
    labels = r.known(r.get(LABELS[r.type], {}))
    missing = [k for k in COST_LABELS if not labels.get(k)]
    if missing:
        yield f"no {', '.join(missing)} label ({LABELS[r.type]})"


@rule("stack-monthly-cost", "stack", "high",
      "The stack's monthly cost at maximum scale (compute, data and the DR region at rest) stays within the "
      "environment's ceiling.",
      "Lower max_nodes or endpoint replicas, or raise policy.monthly_ceiling in the environment file in a "
      "reviewed change (the review's summary.md shows where the money goes).")
def _monthly_cost(resources, ctx):
    if ctx.monthly_cost is None:
        return
    cost = ctx.monthly_cost(resources)
    if cost > ctx.monthly_ceiling:
        yield None, f"${cost:,.0f} a month at maximum scale is over the ceiling of ${ctx.monthly_ceiling:,.0f}"
