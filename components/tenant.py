"""Everything one tenant gets: an isolated namespace kit, identity, data and a budget.

The namespace enforces Pod Security `restricted`, a quota derived from tier and declared
workloads, default-deny networking and namespace-scoped RBAC for the tenant's groups. Its
workloads run as per-workload Kubernetes service accounts mapped to one Google service
account that can reach only this tenant's bucket, database password and nothing else.
"""

from __future__ import annotations

import math

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.cluster import Cluster
from components.database import Database
from components.encryption import Encryption
from components.identity import project_number
from components.naming import physical_name
from components.secrets import secret_provider_class
from components.storage import secure_bucket
from components.tenant_network import network_policies
from config import PlatformSpec
from config.tenancy import Quota, TenantSpec

TENANT_LABEL = "ai-platform/tenant"
PSA_LEVEL = "restricted"
OBJECT_USER = "roles/storage.objectUser"


def k8s_labels(tenant: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ai-platform",
            "app.kubernetes.io/component": component, TENANT_LABEL: tenant}


def cpu_quantity(cores: float) -> str:
    return str(int(cores)) if float(cores).is_integer() else f"{math.ceil(cores * 1000)}m"


def quota_hard(quota: Quota) -> dict[str, str]:
    """ResourceQuota `hard` for a quota: requests, limits (x limit_ratio), GPUs, storage, object counts."""
    ratio = quota.limit_ratio
    return {
        "requests.cpu": cpu_quantity(quota.cpu),
        "limits.cpu": cpu_quantity(quota.cpu * ratio),
        "requests.memory": f"{math.ceil(quota.memory_gi)}Gi",
        "limits.memory": f"{math.ceil(quota.memory_gi * ratio)}Gi",
        "requests.nvidia.com/gpu": str(quota.total_gpus),
        "requests.storage": f"{quota.storage_gi}Gi",
        "persistentvolumeclaims": str(quota.pvcs),
        "pods": str(quota.pods),
        "services": str(quota.services),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }


class Tenant(pulumi.ComponentResource):
    """One tenant's kit; ``namespace``, ``google_account`` and ``service_accounts`` for its workloads."""

    def __init__(self, name: str, spec: PlatformSpec, tenant: TenantSpec, *, cluster: Cluster, keys: Encryption,
                 database: Database, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:tenancy:Tenant", name, None, opts)
        self.quota = spec.quota(tenant)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        ns = tenant.name
        meta = k8s_labels(ns, "tenant")
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={
                **meta, **{f"pod-security.kubernetes.io/{mode}": PSA_LEVEL for mode in ("enforce", "audit", "warn")},
                **{f"pod-security.kubernetes.io/{mode}-version": "v1.33" for mode in ("enforce", "audit", "warn")}},
                annotations={"ai-platform/display-name": tenant.display_name, "ai-platform/tier": tenant.tier,
                             "ai-platform/sla": str(tenant.sla)}),
            opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[self.namespace])

        def metadata(object_name: str, component: str = "tenant") -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns, labels=k8s_labels(ns, component))

        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=metadata("tenant-quota"),
                                  spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(self.quota)), opts=in_ns)
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=metadata("tenant-defaults"), spec=k8s.core.v1.LimitRangeSpecArgs(
            limits=[k8s.core.v1.LimitRangeItemArgs(type="Container", default={"cpu": "500m", "memory": "512Mi"},
                                                   default_request={"cpu": "100m", "memory": "128Mi"}),
                    k8s.core.v1.LimitRangeItemArgs(type="PersistentVolumeClaim",
                                                   max={"storage": f"{max(self.quota.storage_gi, 1)}Gi"})]),
            opts=in_ns)
        network_policies(f"{name}-netpol", spec, tenant, namespace=ns, labels=k8s_labels(ns, "network-policy"),
                         provider=cluster.provider, parent=self)
        for role, groups in (("admin", tenant.owners), ("view", tenant.viewers)):
            if groups:
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{role}", metadata=metadata(f"tenant-{role}"),
                    role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                                     name=role),
                    subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=g)
                              for g in groups],
                    opts=in_ns)

        # Identity: one Google service account per tenant; a Kubernetes one per workload.
        self.google_account = gcp.serviceaccount.Account(
            f"{name}-gsa", account_id=physical_name(spec, tenant.name, kind="service_account"),
            display_name=f"Tenant {tenant.display_name} ({spec.environment})", project=spec.project,
            opts=pulumi.ResourceOptions(parent=self))
        self.service_accounts: dict[str, k8s.core.v1.ServiceAccount] = {}
        for workload in tenant.workloads:
            self.service_accounts[workload.name] = k8s.core.v1.ServiceAccount(
                f"{name}-{workload.name}-ksa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=workload.name, namespace=ns, labels=k8s_labels(ns, workload.kind),
                    annotations={"iam.gke.io/gcp-service-account": self.google_account.email}),
                automount_service_account_token=False, opts=in_ns)
            gcp.serviceaccount.IAMMember(
                f"{name}-{workload.name}-wi", service_account_id=self.google_account.name,
                role="roles/iam.workloadIdentityUser",
                member=f"serviceAccount:{spec.project}.svc.id.goog[{ns}/{workload.name}]",
                opts=pulumi.ResourceOptions(parent=self))

        # Data: the tenant's own bucket and database; only its Google account can use them.
        self.bucket = secure_bucket(f"{name}-bucket", spec, f"t-{tenant.name}", key=keys.key("storage").id,
                                    component="tenant", tenant=tenant.name, parent=self, depends_on=keys.grants)
        gcp.storage.BucketIAMMember(f"{name}-bucket-user", bucket=self.bucket.name, role=OBJECT_USER,
                                    member=self.google_account.member, opts=pulumi.ResourceOptions(parent=self))
        self.database = database.add_database(name, owner=tenant.name, readers=[self.google_account.member],
                                              parent=self, tenant=tenant.name)
        secret_provider_class(f"{name}-database-spc", name="database", namespace=ns,
                              files={"db-password": self.database.password_secret.id},
                              labels_=k8s_labels(ns, "database"), provider=cluster.provider, parent=self)
        if tenant.budget and spec.env.tenancy.billing_account:
            self._budget(name, spec, tenant)
        self.register_outputs({"namespace": ns, "google_account": self.google_account.email,
                               "bucket": self.bucket.name})

    def _budget(self, name: str, spec: PlatformSpec, tenant: TenantSpec) -> None:
        """A monthly budget on the tenant's labelled resources, alerting at each threshold."""
        b = gcp.billing
        gcp.billing.Budget(
            f"{name}-budget",
            billing_account=spec.env.tenancy.billing_account,
            display_name=f"{spec.env.prefix}-{spec.environment} tenant {tenant.name}",
            budget_filter=b.BudgetBudgetFilterArgs(
                projects=[project_number(spec).apply(lambda n: f"projects/{n}")],
                labels={"tenant": tenant.name}, calendar_period="MONTH"),
            amount=b.BudgetAmountArgs(specified_amount=b.BudgetAmountSpecifiedAmountArgs(
                currency_code=spec.catalog.prices.currency, units=str(int(tenant.budget.monthly)))),
            threshold_rules=[b.BudgetThresholdRuleArgs(threshold_percent=t) for t in tenant.budget.thresholds],
            opts=pulumi.ResourceOptions(parent=self))
