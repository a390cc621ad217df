"""The way in (docs/entry.md): the gateway, then each exposing tenant's routes behind Cloud Armor and IAP.

With a warm standby the DR region has a gateway of its own, certificates issued, waiting on the standby
cluster; the tenant hostnames point at the serving region's gateway, and the routes live in the serving
cluster (layers/serving.py), so the switch re-points both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.conventions import SERVING_PORT, labels
from components.entry.inference_routing import InferenceRouting, InferenceRoutingArgs
from components.entry.platform_services import HOSTS_TTL, PlatformServices, PlatformServicesArgs
from components.entry.router_metrics import RouterMetrics, RouterMetricsArgs
from components.entry.tenant_entry import TenantEntry, TenantEntryArgs
from components.workloads.inference import selector as endpoint_selector
from config.spec import PlatformSpec
from layers.platform import Foundation, Project, RegionalPlatform
from layers.recovery import Standby
from layers.serving import Serving
from layers.tenancy import Tenancy
from layers.workloads import Workloads
from plan import Plan

PLACEHOLDER_CLIENT = "000000000000-"  # the example OAuth client id's prefix in the environment files


@dataclass(frozen=True)
class Entry:
    gateway: PlatformServices | None  # the serving region's
    sites: dict[str, TenantEntry] = field(default_factory=dict)  # by tenant
    urls: dict[str, str] = field(default_factory=dict)  # "<tenant>/<name>" -> https URL


def entry(spec: PlatformSpec, plan: Plan, base: Project, platform: RegionalPlatform, serving: Serving,
          tenancy: Tenancy, workloads: Workloads, waiting: Standby | None) -> Entry:
    settings, cluster, versions = spec.env.entry, serving.cluster, spec.catalog.versions
    if settings is None:
        return Entry(gateway=None)
    exposing = [t for t in spec.tenants if t.sites]

    def gateway_args(at: RegionalPlatform | Foundation, provider: pulumi.ProviderResource,
                     **more: object) -> PlatformServicesArgs:
        return PlatformServicesArgs(
            naming=at.naming, region=at.region, settings=settings,
            namespace=spec.env.tenancy.gateway_namespace, sites=tuple(t.name for t in exposing),
            subnet_id=at.network.subnet_id, protect=spec.env.protect, provider=provider,
            inference_pools=settings.inference_gateway,
            hosts_ttl=spec.env.dr.dns_ttl_seconds if spec.env.dr.active else HOSTS_TTL, **more)

    standby = PlatformServices(f"entry-{waiting.region}", gateway_args(
        waiting.at, waiting.compute.cluster.provider, hostnames=False),
        opts=base.after_apis) if waiting and waiting.compute else None
    primary = PlatformServices("entry", gateway_args(
        platform, platform.cluster.provider, hosts_address=standby.address if serving.secondary else None),
        opts=base.after_apis)
    gateway = standby if serving.secondary else primary
    iap_secret = platform.secrets.values.get(settings.iap.client_secret)
    if exposing:
        _warn_about_iap(spec, iap_secret is None)
    plans, sites, urls = plan.endpoint_plans(), {}, {}
    for t in exposing:
        tenant = tenancy.tenants[t.name]
        routing = [InferenceRouting(f"routing-{t.name}-{name}", InferenceRoutingArgs(
            endpoint=name, namespace=tenant.namespace, selector=endpoint_selector(plans[f"{t.name}/{name}"]),
            port=SERVING_PORT, chart=versions.charts["llm-d-router-gateway"],
            registry=serving.images.prefixes["ghcr.io"], image_tag=versions.images["llm-d-router-endpoint-picker"].tag,
            replicas=spec.env.service_replicas, provider=cluster.provider, pool_crd=gateway.inference_pool_crd),
            opts=pulumi.ResourceOptions(depends_on=[base.apis, tenant]))
            for name in t.expose] if settings.inference_gateway else []
        sites[t.name] = TenantEntry(f"entry-{t.name}", TenantEntryArgs(
            tenant=t.name, namespace=tenant.namespace, domain=settings.tenant_domain(t.name),
            exposures=plan.exposures(t), gateway=gateway.gateway, gateway_namespace=gateway.gateway_namespace,
            security_policy=gateway.security_policy, timeout_sec=settings.backend_timeout_sec,
            iap_client_id=settings.iap.client_id, iap_client_secret=iap_secret or "", project=spec.project,
            members=tuple([f"group:{g}" for g in (*t.owners, *t.viewers)]
                          + [f"serviceAccount:{a}" for a in t.api_clients]),
            labels=labels("entry", t.name), provider=cluster.provider),
            opts=pulumi.ResourceOptions(depends_on=[base.apis, gateway, tenant, *routing,
                                                    *(workloads.endpoints[f"{t.name}/{n}"] for n in t.expose),
                                                    *workloads.genbis.get(t.name, {}).values()]))
        urls.update({f"{t.name}/{name}": url for name, url in sites[t.name].urls.items()})
        if routing:
            RouterMetrics(f"router-metrics-{t.name}", RouterMetricsArgs(
                tenant=t.name, namespace=tenant.namespace, reader_role=gateway.metrics_reader_role,
                provider=cluster.provider), opts=pulumi.ResourceOptions(depends_on=[base.apis, tenant, *routing]))
    return Entry(gateway=gateway, sites=sites, urls=urls)


def _warn_about_iap(spec: PlatformSpec, no_secret: bool) -> None:
    """What IAP lacks before it can sign anyone in: its OAuth client's secret, a real client id."""
    iap = spec.env.entry.iap
    if no_secret:
        key = next(s.config_key for s in spec.env.data.secrets.external if s.name == iap.client_secret)
        pulumi.log.warn(f"IAP needs its OAuth client secret: `pulumi config set --secret ai-platform:{key} ...` "
                        "(docs/entry.md); until then IAP still refuses requests without its token, and browser "
                        "sign-in fails")
    if iap.client_id.startswith(PLACEHOLDER_CLIENT):
        pulumi.log.warn(f"entry.iap.client_id in config/environments/{spec.environment}.yaml is the placeholder: "
                        "create the OAuth client (docs/entry.md, before the first apply) and put its id there; "
                        "IAP refuses every sign-in")
