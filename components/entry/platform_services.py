"""The platform's way in: one Gateway for every tenant, with TLS, Cloud Armor and a TLS policy (ADR 0009).

A regional external Application Load Balancer (`gke-l7-regional-external-managed`, or the
internal `gke-l7-rilb` where an environment is private) on a reserved address. Each site (a
tenant that exposes something) gets a Google-managed wildcard certificate for
`*.<tenant>.<domain>` from Certificate Manager, authorised through DNS in the zone named in
config, and a wildcard record pointing at the gateway. HTTP is redirected to HTTPS. Routes
attach from tenant namespaces only (the HTTPS listener admits namespaces labelled as
tenants); what they may carry is decided by the platform, since tenants cannot create routes.
The Cloud Armor policy (preconfigured WAF rules, per-client rate limit) is attached to each
backend by its GCPBackendPolicy (components/entry/tenant_entry.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import TENANT_LABEL, component_type, pod_security
from components.conventions import labels as platform_labels
from components.entry.router_metrics import METRICS_READER, metrics_reader_rules
from config.entry import EntrySpec
from config.naming import Naming

meta = k8s.meta.v1
GATEWAY_NAME = "platform"
HOSTS_TTL = 300  # tenant hostnames without a DR region: nothing re-points them in a hurry
GATEWAY_API = "gateway.networking.k8s.io/v1"
CERTIFICATES_OPTION = "networking.gke.io/cert-manager-certs"


@dataclass(frozen=True)
class PlatformServicesArgs:
    naming: Naming
    region: str
    settings: EntrySpec
    namespace: str  # the gateway's namespace (tenancy.gateway_namespace)
    sites: tuple[str, ...]  # tenants with something exposed: each gets a certificate and a DNS name
    subnet_id: pulumi.Input[str]  # the internal gateway's address comes from the nodes' subnet
    protect: bool
    provider: pulumi.ProviderResource
    inference_pools: bool = False  # the Inference Gateway is on: its routes need GKE's InferencePool CRD
    hosts_ttl: int = HOSTS_TTL  # the tenant hostnames' TTL: lower with a DR region, so re-pointed records spread fast
    # This gateway keeps the tenant hostname records (a DR region's does not: they point at whichever gateway
    # serves). Each gateway publishes its own DNS authorizations' challenge records: a regional authorization's
    # record names its location (`<hash>.<n>.<region>.authorize.certificatemanager.goog.`).
    hostnames: bool = True
    hosts_address: pulumi.Input[str] | None = None  # where those records point: another region's gateway once it
    # serves (`dr.serving_region: secondary`); None: this one


# GKE installs the GA InferencePool CRD itself from 1.34.0-gke.1626000 (config/checks/entry.py); the program
# reads it so that, on an older cluster, `pulumi up` stops here with the CRD's name instead of in a Helm release.
INFERENCE_POOL_CRD = "inferencepools.inference.networking.k8s.io"


def labels() -> dict[str, str]:
    return platform_labels("entry")


class PlatformServices(pulumi.ComponentResource):
    """Outputs: ``gateway`` (name), ``gateway_namespace``, ``security_policy`` (Cloud Armor policy name),
    ``address`` (the gateway's IP)."""

    def __init__(self, name: str, args: PlatformServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("entry", "PlatformServices"), name, None, opts)
        naming, settings, region = args.naming, args.settings, args.region
        child = pulumi.ResourceOptions(parent=self)
        internal = settings.internal
        address = gcp.compute.Address(
            f"{name}-address", name=naming.name("gateway"), project=naming.project, region=region,
            address_type="INTERNAL" if internal else "EXTERNAL",
            purpose="SHARED_LOADBALANCER_VIP" if internal else None,
            subnetwork=args.subnet_id if internal else None,
            network_tier=None if internal else "PREMIUM",
            description="The platform gateway's address: every tenant hostname points here.",
            labels=naming.labels("entry"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        ssl_policy = gcp.compute.RegionSslPolicy(
            f"{name}-tls", name=naming.name("gateway-tls"), project=naming.project, region=region,
            profile=settings.tls_profile, min_tls_version="TLS_1_2", opts=child)
        security_policy = self._cloud_armor(name, naming, region, settings)

        zone = settings.dns.zone
        certificates = []
        # fixed names and immutable domains: a changed domain must delete before it recreates (409 otherwise)
        replace_first = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(delete_before_replace=True))
        for site in args.sites:
            domain = settings.tenant_domain(site)
            authorization = gcp.certificatemanager.DnsAuthorization(
                f"{name}-{site}-dns-authorization", name=naming.name(f"{site}-dns-auth"), project=naming.project,
                location=region, type="PER_PROJECT_RECORD", domain=domain, labels=naming.labels("entry", site),
                opts=replace_first)
            record = authorization.dns_resource_records[0]
            gcp.dns.RecordSet(
                f"{name}-{site}-acme-challenge", project=naming.project, managed_zone=zone, name=record.name,
                type=record.type, ttl=300, rrdatas=[record.data], opts=child)
            certificate = gcp.certificatemanager.Certificate(
                f"{name}-{site}-certificate", name=naming.name(f"{site}-tls"), project=naming.project,
                location=region, labels=naming.labels("entry", site),
                description=f"Google-managed certificate for *.{domain}",
                managed=gcp.certificatemanager.CertificateManagedArgs(
                    domains=[f"*.{domain}"], dns_authorizations=[authorization.id]),
                opts=replace_first)
            certificates.append(certificate)
            if args.hostnames:
                gcp.dns.RecordSet(
                    f"{name}-{site}-hosts", project=naming.project, managed_zone=zone, name=f"*.{domain}.", type="A",
                    ttl=args.hosts_ttl, rrdatas=[args.hosts_address or address.address], opts=child)

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=meta.ObjectMetaArgs(name=args.namespace, labels={
                **labels(), **pod_security("restricted")}),
            opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        names = pulumi.Output.all(*[c.name for c in certificates]).apply(lambda n: ",".join(n))
        gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway", api_version=GATEWAY_API, kind="Gateway",
            metadata=meta.ObjectMetaArgs(name=GATEWAY_NAME, namespace=args.namespace, labels=labels()),
            spec=pulumi.Output.all(names, address.name).apply(lambda v: gateway_spec(settings, *v)),
            opts=in_ns)
        k8s.apiextensions.CustomResource(
            f"{name}-gateway-policy", api_version="networking.gke.io/v1", kind="GCPGatewayPolicy",
            metadata=meta.ObjectMetaArgs(name=GATEWAY_NAME, namespace=args.namespace, labels=labels()),
            spec={"default": {"sslPolicy": ssl_policy.name},
                  "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY_NAME}},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[gateway]))
        k8s.apiextensions.CustomResource(
            f"{name}-redirect", api_version=GATEWAY_API, kind="HTTPRoute",
            metadata=meta.ObjectMetaArgs(name="https-redirect", namespace=args.namespace, labels=labels()),
            spec={"parentRefs": [{"name": GATEWAY_NAME, "sectionName": "http"}],
                  "rules": [{"filters": [{"type": "RequestRedirect",
                                          "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[gateway]))
        self.inference_pool_crd: pulumi.Resource | None = k8s.apiextensions.v1.CustomResourceDefinition.get(
            f"{name}-inferencepool-crd", INFERENCE_POOL_CRD,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider)) if args.inference_pools else None
        # the endpoint pickers serve their metrics only to a caller allowed GET /metrics (components/entry/router_metrics.py)
        self.metrics_reader_role: pulumi.Output[str] | None = k8s.rbac.v1.ClusterRole(
            f"{name}-metrics-reader", metadata=meta.ObjectMetaArgs(name=METRICS_READER, labels=labels()),
            rules=metrics_reader_rules(), opts=k8s_opts).metadata.name if args.inference_pools else None
        self.gateway: str = GATEWAY_NAME
        self.gateway_namespace: pulumi.Output[str] = namespace.metadata.name
        self.security_policy: pulumi.Output[str] = security_policy.name
        self.address: pulumi.Output[str] = address.address
        self.register_outputs({"gateway": self.gateway, "inference_pool_crd": self.inference_pool_crd,
                               "metrics_reader_role": self.metrics_reader_role,
                               "gateway_namespace": self.gateway_namespace, "security_policy": self.security_policy,
                               "address": self.address})

    def _cloud_armor(self, name: str, naming: Naming, region: str,
                     settings: EntrySpec) -> gcp.compute.RegionSecurityPolicy:
        """Preconfigured WAF rules (logged only in preview mode) and a per-client rate limit."""
        child = pulumi.ResourceOptions(parent=self)
        policy = gcp.compute.RegionSecurityPolicy(
            f"{name}-armor", name=naming.name("gateway-armor"), project=naming.project, region=region,
            type="CLOUD_ARMOR", description="WAF and rate limit in front of every tenant backend", opts=child)
        rule_opts = pulumi.ResourceOptions(parent=self, depends_on=[policy])
        waf = settings.waf
        for i, rule in enumerate(waf.rules):
            gcp.compute.RegionSecurityPolicyRule(
                f"{name}-armor-{rule}", project=naming.project, region=region, security_policy=policy.name,
                priority=1000 + i, action="deny(403)", preview=waf.mode == "preview",
                description=f"OWASP CRS 3.3 {rule}, sensitivity {waf.sensitivity}",
                match=gcp.compute.RegionSecurityPolicyRuleMatchArgs(
                    expr=gcp.compute.RegionSecurityPolicyRuleMatchExprArgs(
                        expression=f"evaluatePreconfiguredWaf('{rule}-v33-stable', "
                                   f"{{'sensitivity': {waf.sensitivity}}})")),
                opts=rule_opts)
        limit = settings.rate_limit
        gcp.compute.RegionSecurityPolicyRule(
            f"{name}-armor-rate-limit", project=naming.project, region=region, security_policy=policy.name,
            priority=2000, action="throttle",
            description=f"{limit.requests} requests per {limit.interval_sec} s per client ({limit.key})",
            match=gcp.compute.RegionSecurityPolicyRuleMatchArgs(
                versioned_expr="SRC_IPS_V1",
                config=gcp.compute.RegionSecurityPolicyRuleMatchConfigArgs(src_ip_ranges=["*"])),
            rate_limit_options=gcp.compute.RegionSecurityPolicyRuleRateLimitOptionsArgs(
                conform_action="allow", exceed_action="deny(429)", enforce_on_key=limit.key,
                enforce_on_key_name=limit.header,
                rate_limit_threshold=gcp.compute.RegionSecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs(
                    count=limit.requests, interval_sec=limit.interval_sec)),
            opts=rule_opts)
        return policy


def gateway_spec(settings: EntrySpec, certificates: str, address: str) -> dict:
    """HTTPS for every tenant hostname (routes from tenant namespaces; none until a tenant exposes
    something, as it needs a certificate), HTTP only to redirect."""
    listeners = [{"name": "http", "protocol": "HTTP", "port": 80, "hostname": f"*.{settings.domain}",
                  "allowedRoutes": {"kinds": [{"kind": "HTTPRoute"}], "namespaces": {"from": "Same"}}}]
    if certificates:
        listeners.insert(0, {
            "name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{settings.domain}",
            "tls": {"mode": "Terminate", "options": {CERTIFICATES_OPTION: certificates}},
            "allowedRoutes": {"kinds": [{"kind": "HTTPRoute"}], "namespaces": {
                "from": "Selector", "selector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]}}}})
    return {"gatewayClassName": settings.gateway_class, "addresses": [{"type": "NamedAddress", "value": address}],
            "listeners": listeners}
