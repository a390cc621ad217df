"""Everything one tenant gets: an isolated namespace kit, identity, data and a budget.

The namespace enforces Pod Security `restricted`, a quota derived from tier and declared
workloads (GPUs per accelerator type), default-deny networking over a cluster-wide deny
baseline, and namespace-scoped RBAC for the tenant's groups (the tenant-admin role, which
cannot change any of this). Every object here is labelled as the platform's, and admission
policies keep it so. Its workloads run as per-workload Kubernetes service accounts mapped to
one Google service account that can reach only this tenant's bucket, database and the
platform secrets its workloads use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import (
    ALLOWED_ACCELERATOR_PREFIX,
    GPU_PRIORITY_PREFIX,
    GPU_RESOURCE,
    component_type,
    labels,
    pod_security,
)
from components.data.database import add_database
from components.data.secrets import SecretStore, grant_access, secret_provider_class
from components.data.storage import BucketPolicy, secure_bucket
from components.platform.identity import workload_principal
from components.tenancy.tenant_network import TenantNetworkArgs, baseline, network_policies, router_baseline
from config.naming import Naming
from config.tenancy import TenantSpec
from plan.tenant_quota import Quota

PSA_LEVEL, PSA_VERSION = "restricted", "v1.33"
OBJECT_USER = "roles/storage.objectUser"
OBJECT_VIEWER = "roles/storage.objectViewer"
SQL_CLIENT = "roles/cloudsql.client"  # connect through the Cloud SQL Auth Proxy


def cpu_quantity(cores: float) -> str:
    return str(int(cores)) if float(cores).is_integer() else f"{math.ceil(cores * 1000)}m"


def quota_hard(quota: Quota, forbidden_classes: tuple[str, ...] = ()) -> dict[str, str]:
    """ResourceQuota `hard` for a quota: requests, GPUs (all types), storage, object counts, and zero
    for what a tenant may not have (load balancers, node ports, Ingresses, volumes on ``forbidden_classes``).

    No limits.*: a quota on limits makes every container declare limits (or get LimitRange
    defaults, which reject a container whose request is above them and OOM-kill a GPU container
    that sets only a GPU limit).
    """
    hard = {
        "requests.cpu": cpu_quantity(quota.cpu),
        "requests.memory": f"{math.ceil(quota.memory_gi)}Gi",
        f"requests.{GPU_RESOURCE}": str(quota.total_gpus),
        "requests.storage": f"{quota.storage_gi}Gi",
        "persistentvolumeclaims": str(quota.pvcs),
        "pods": str(quota.pods),
        "services": str(quota.services),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
        "count/ingresses.networking.k8s.io": "0",
    }
    for storage_class in forbidden_classes:
        hard[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] = "0"
        hard[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] = "0"
    return hard


@dataclass(frozen=True)
class Billing:
    """Where a tenant's budget is created and in which currency."""

    account: str
    currency: str
    project_number: pulumi.Input[str]


@dataclass(frozen=True)
class TenantArgs:
    tenant: TenantSpec  # the tenant's own file
    quota: Quota  # derived from tier and workloads
    naming: Naming
    network: TenantNetworkArgs
    buckets: BucketPolicy
    bucket_key: pulumi.Input[str]  # the `storage` key
    secrets: SecretStore
    database_instance: pulumi.Input[str]
    workload_pool: pulumi.Input[str]  # the cluster's output: members naming the pool wait for it
    provider: pulumi.ProviderResource  # the serving cluster's (layers/serving.py)
    admin_role: pulumi.Input[str]  # the tenant-admin ClusterRole owners are bound to
    forbidden_storage_classes: tuple[str, ...]  # quota 0: GKE's non-CMEK classes, per-claim Filestore
    shared_secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # name -> id the workloads read
    shared_secret_twins: dict[str, gcp.secretmanager.Secret] = field(default_factory=dict)  # name -> its DR twin
    billing: Billing | None = None  # None: no budget
    models_bucket: pulumi.Input[str] | None = None  # read by the tenant's inference endpoints
    model_folders: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # endpoint -> its model's folder
    budget_channels: list[pulumi.Input[str]] = field(default_factory=list)  # the tenant's mail channels (<= 5)
    cache_folders: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # endpoint -> its compile cache folder
    project_number: pulumi.Input[str] = ""  # for the endpoints' Workload Identity principals
    # The cluster whose cluster-wide baselines this tenant keeps: the primary's, where the tenancy layer's guardrails
    # are (a standby gets its own from StandbyPlatform, so a failover moves only the namespace). None: ``provider``.
    baseline_provider: pulumi.ProviderResource | None = None


class Tenant(pulumi.ComponentResource):
    """One tenant's kit. Outputs: ``namespace``, ``google_account`` (email), ``google_member``, ``bucket``."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("tenancy", "Tenant"), name, None, opts)
        tenant, naming, provider = args.tenant, args.naming, args.provider
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        ns = tenant.name
        meta = labels("tenant", ns)
        quota = args.quota
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={
                **meta, **pod_security(PSA_LEVEL, PSA_VERSION),
                # the accelerator types the admission policy lets its pods select
                **{f"{ALLOWED_ACCELERATOR_PREFIX}{kind}": "allowed" for kind in sorted(quota.gpus)}},
                annotations={"ai-platform/display-name": tenant.display_name, "ai-platform/tier": tenant.tier,
                             "ai-platform/sla": str(tenant.sla)}),
            opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])

        def metadata(object_name: str, component: str = "tenant") -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns, labels=labels(component, ns))

        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=metadata("tenant-quota"), spec=k8s.core.v1.ResourceQuotaSpecArgs(
            hard=quota_hard(quota, args.forbidden_storage_classes)), opts=in_ns)
        # GPUs per accelerator type: pods on a type use its PriorityClass, which scopes this quota.
        for kind, count in sorted(quota.gpus.items()):
            k8s.core.v1.ResourceQuota(
                f"{name}-quota-{kind}", metadata=metadata(f"gpu-{kind}"), spec=k8s.core.v1.ResourceQuotaSpecArgs(
                    hard={f"requests.{GPU_RESOURCE}": str(count)},
                    scope_selector=k8s.core.v1.ScopeSelectorArgs(match_expressions=[
                        k8s.core.v1.ScopedResourceSelectorRequirementArgs(
                            scope_name="PriorityClass", operator="In", values=[f"{GPU_PRIORITY_PREFIX}{kind}"])])),
                opts=in_ns)
        # Requests only: a default limit would reject a container requesting more than it, or OOM-kill a
        # GPU container that sets only a GPU limit.
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=metadata("tenant-defaults"), spec=k8s.core.v1.LimitRangeSpecArgs(
            limits=[k8s.core.v1.LimitRangeItemArgs(type="Container",
                                                   default_request={"cpu": "100m", "memory": "128Mi"}),
                    k8s.core.v1.LimitRangeItemArgs(type="PersistentVolumeClaim",
                                                   max={"storage": f"{max(quota.storage_gi, 1)}Gi"})]),
            opts=in_ns)
        network_policies(f"{name}-netpol", args.network, namespace=ns, labels=labels("network-policy", ns),
                         opts=in_ns)
        cluster_wide = pulumi.ResourceOptions(parent=self, provider=args.baseline_provider or provider,
                                              depends_on=[namespace])
        k8s.apiextensions.CustomResource(
            f"{name}-baseline", api_version="cilium.io/v2", kind="CiliumClusterwideNetworkPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"tenant-{ns}-baseline", labels=labels("network-policy", ns)),
            spec=baseline(ns, routers=args.network.routers), opts=cluster_wide)
        if args.network.routers:
            k8s.apiextensions.CustomResource(
                f"{name}-router-baseline", api_version="cilium.io/v2", kind="CiliumClusterwideNetworkPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"tenant-{ns}-router", labels=labels("network-policy", ns)),
                spec=router_baseline(ns), opts=cluster_wide)
        for role, role_name, groups in (("admin", args.admin_role, tenant.owners), ("view", "view", tenant.viewers)):
            if groups:
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{role}", metadata=metadata(f"tenant-{role}"),
                    role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                                     name=role_name),
                    subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=g)
                              for g in groups],
                    opts=in_ns)

        # Identity: one Google service account per tenant; a Kubernetes one per workload.
        google_account = gcp.serviceaccount.Account(
            f"{name}-gsa", account_id=naming.name(tenant.name, kind="service_account"),
            display_name=f"Tenant {tenant.display_name} ({naming.environment})", project=naming.project,
            opts=pulumi.ResourceOptions(parent=self))
        for workload in tenant.workloads:
            serving = workload.kind == "inference"
            k8s.core.v1.ServiceAccount(
                f"{name}-{workload.name}-ksa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=workload.name, namespace=ns, labels=labels(workload.kind, ns),
                    annotations=None if serving else {"iam.gke.io/gcp-service-account": google_account.email}),
                automount_service_account_token=False, opts=in_ns)
            if serving:
                # A serving pod faces the internet and runs what it loads: it calls Google as its own
                # Kubernetes identity, which reads its model's folder and writes its own compile cache, and
                # nothing else (not the tenant's database password or GenBI secrets, which the tenant's Google
                # account holds).
                member = workload_principal(args.project_number, args.workload_pool, f"{ns}/{workload.name}")
                gcp.storage.ManagedFolderIamMember(
                    f"{name}-{workload.name}-weights", bucket=args.models_bucket,
                    managed_folder=args.model_folders[workload.name], role=OBJECT_VIEWER, member=member,
                    opts=pulumi.ResourceOptions(parent=self))
                gcp.storage.ManagedFolderIamMember(
                    f"{name}-{workload.name}-compile-cache", bucket=args.models_bucket,
                    managed_folder=args.cache_folders[workload.name], role="roles/storage.objectUser", member=member,
                    opts=pulumi.ResourceOptions(parent=self))
                continue
            gcp.serviceaccount.IAMMember(
                f"{name}-{workload.name}-wi", service_account_id=google_account.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.from_input(args.workload_pool).apply(
                    lambda pool, w=workload.name: f"serviceAccount:{pool}[{ns}/{w}]"),
                opts=pulumi.ResourceOptions(parent=self))

        # Data: the tenant's own bucket and database; only its Google account can use them.
        bucket = secure_bucket(f"{name}-bucket", args.buckets, f"t-{tenant.name}", key=args.bucket_key,
                               component="tenant", tenant=tenant.name, parent=self)
        gcp.storage.BucketIAMMember(f"{name}-bucket-user", bucket=bucket.name, role=OBJECT_USER,
                                    member=google_account.member, opts=pulumi.ResourceOptions(parent=self))
        database = add_database(name, instance=args.database_instance, store=args.secrets, owner=tenant.name,
                                readers=[google_account.member], parent=self, tenant=tenant.name)
        # Cloud SQL has no per-instance IAM: a condition limits the grant to the platform instance.
        gcp.projects.IAMMember(
            f"{name}-sql-client", project=naming.project, role=SQL_CLIENT, member=google_account.member,
            condition=gcp.projects.IAMMemberConditionArgs(
                title="platform-database-only", description="Connect only to the platform's Cloud SQL instance",
                expression=pulumi.Output.from_input(args.database_instance).apply(
                    lambda instance: f"resource.name == 'projects/{naming.project}/instances/{instance}' && "
                                     "resource.type == 'sqladmin.googleapis.com/Instance'")),
            opts=pulumi.ResourceOptions(parent=self))
        # Pods call Google as the tenant's account (their service accounts carry its annotation), so
        # the platform secrets its workloads use are granted to that account, one secret at a time.
        for secret_name, secret_id in sorted(args.shared_secrets.items()):
            grant_access(f"{name}-{secret_name}-reader", project=naming.project, secret_id=secret_id,
                         member=google_account.member, parent=self, twin=args.shared_secret_twins.get(secret_name))
        secret_provider_class(f"{name}-database-spc", name="database", namespace=ns,
                              files={"db-password": database.password_secret_id},
                              labels_=labels("database", ns), opts=in_ns)
        if tenant.budget and args.billing:
            self._budget(name, tenant, naming, args.billing, args.budget_channels)
        self.namespace: pulumi.Output[str] = namespace.metadata.name  # resolves once the namespace exists
        self.google_account: pulumi.Output[str] = google_account.email
        self.google_member: pulumi.Output[str] = google_account.member
        self.bucket: pulumi.Output[str] = bucket.name
        self.register_outputs({"namespace": self.namespace, "google_account": self.google_account,
                               "google_member": self.google_member,
                               "bucket": self.bucket})

    def _budget(self, name: str, tenant: TenantSpec, naming: Naming, billing: Billing,
                channels: list[pulumi.Input[str]]) -> None:
        """A monthly budget on the tenant's labelled resources, alerting at each threshold: the billing
        account's administrators, and the tenant's own mail channels."""
        b = gcp.billing
        b.Budget(
            f"{name}-budget",
            billing_account=billing.account,
            display_name=f"{naming.prefix}-{naming.environment} tenant {tenant.name}",
            budget_filter=b.BudgetBudgetFilterArgs(
                projects=[pulumi.Output.from_input(billing.project_number).apply(lambda n: f"projects/{n}")],
                labels={"tenant": tenant.name}, calendar_period="MONTH"),
            amount=b.BudgetAmountArgs(specified_amount=b.BudgetAmountSpecifiedAmountArgs(
                currency_code=billing.currency, units=str(int(tenant.budget.monthly)))),
            threshold_rules=[b.BudgetThresholdRuleArgs(threshold_percent=t) for t in tenant.budget.thresholds],
            all_updates_rule=b.BudgetAllUpdatesRuleArgs(monitoring_notification_channels=channels) if channels else None,
            opts=pulumi.ResourceOptions(parent=self))
