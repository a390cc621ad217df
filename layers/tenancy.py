"""Tenancy: the guardrails every tenant namespace lives under, then each tenant's kit (docs/tenants.md).

The guardrails and the tenants' cluster-wide baselines belong to the primary cluster (a standby has its own);
each tenant's namespace lives in the serving cluster (layers/serving.py)."""

from __future__ import annotations

from dataclasses import dataclass

from components.data.storage import NOT_FOR_TENANTS, TENANT_CLASSES
from components.tenancy.guardrails import TenantGuardrails, TenantGuardrailsArgs
from components.tenancy.tenant import Billing, Tenant, TenantArgs
from components.tenancy.tenant_network import Endpoint, TenantNetworkArgs
from config.google import kube_dns_ip
from config.spec import PlatformSpec
from layers.paging import Channels
from layers.platform import Project, RegionalPlatform
from layers.serving import Serving
from plan import Plan


@dataclass(frozen=True)
class Tenancy:
    guardrails: TenantGuardrails
    tenants: dict[str, Tenant]  # by tenant name


def tenancy(spec: PlatformSpec, plan: Plan, base: Project, platform: RegionalPlatform, serving: Serving,
            paged: Channels) -> Tenancy:
    env, cluster = spec.env, platform.cluster
    guardrails = TenantGuardrails("guardrails", TenantGuardrailsArgs(
        platform_identities=tuple(env.tenancy.identities(spec.project)),
        platform_groups=tuple(env.tenancy.platform_groups),
        accelerators=tuple(sorted({p.accelerator for p in env.gpu_pools})), storage_classes=TENANT_CLASSES,
        provider=cluster.provider), opts=base.after_apis)
    billing = Billing(account=env.tenancy.billing_account, currency=spec.catalog.prices.currency,
                      project_number=base.number) if env.tenancy.billing_account else None
    plans, addresses = plan.endpoint_plans(), serving.addresses
    tenants = {
        t.name: Tenant(f"tenant-{t.name}", TenantArgs(
            tenant=t, quota=plan.quota(t), naming=platform.naming,
            network=TenantNetworkArgs(
                gateway_namespace=env.tenancy.gateway_namespace, proxy_only_range=addresses.proxy_only_range,
                database_range=addresses.private_service_access_range,
                kube_dns_ip=kube_dns_ip(addresses.services_range),
                shared_endpoints=tuple(Endpoint(e.namespace, e.port)
                                       for e in (spec.shared_endpoints[u] for u in t.uses)),
                routers=bool(env.entry and env.entry.inference_gateway and t.expose)),
            buckets=platform.buckets, bucket_key=platform.keys.key_id("storage"), secrets=platform.secret_store,
            database_instance=platform.database.instance_name, workload_pool=cluster.workload_pool,
            provider=serving.cluster.provider, baseline_provider=cluster.provider, admin_role=guardrails.tenant_admin_role,
            forbidden_storage_classes=NOT_FOR_TENANTS,
            shared_secrets={s.name: platform.secrets.ids[s.name] for s in spec.shared_secrets(t)},
            shared_secret_twins={s.name: platform.secrets.twins[s.name] for s in spec.shared_secrets(t)
                                 if s.name in platform.secrets.twins}, billing=billing,
            models_bucket=platform.storage.bucket_names["models"], project_number=base.number,
            model_folders={w.name: platform.storage.model_folders[plans[f"{t.name}/{w.name}"].model_path]
                           for w in t.workloads if w.kind == "inference"},
            budget_channels=paged.tenants[t.name].emails,
            cache_folders={w.name: platform.storage.cache_folders[plans[f"{t.name}/{w.name}"].cache_folder]
                           for w in t.workloads if w.kind == "inference"}),
            opts=serving.after(base.apis))
        for t in spec.tenants
    }
    return Tenancy(guardrails=guardrails, tenants=tenants)
