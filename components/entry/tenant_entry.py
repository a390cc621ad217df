"""One tenant's routes through the platform gateway, each behind Cloud Armor and IAP (ADR 0009).

For every backend the tenant exposes: an HTTPRoute on `<name>.<tenant>.<domain>` attached to the
gateway's HTTPS listener, with a backend in the tenant's own namespace (a Service, or the
endpoint's InferencePool where the environment runs the Inference Gateway) — so no route
crosses namespaces and no ReferenceGrant is needed; a HealthCheckPolicy on `/health`; and a
GCPBackendPolicy with a timeout long enough for streamed generations, connection draining as
long as the pods' termination grace, the environment's Cloud Armor policy, logging, and IAP.

IAP admits the tenant's owners and viewers (browsers) and its `api_clients` (Google-signed ID
tokens whose audience is the OAuth client id), through one IAM condition on the tenant's host
suffix. The OAuth client secret comes from Secret Manager into a Secret named with the
reserved `ai-platform-` prefix, which tenant pods may not mount (admission policy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import component_type
from plan.entry import Exposure

meta = k8s.meta.v1
IAP_SECRET = "ai-platform-iap"  # noqa: S105 (a Secret's name)
IAP_ACCESSOR = "roles/iap.httpsResourceAccessor"
INFERENCE_POOL = ("inference.networking.k8s.io", "InferencePool")
# pulumi-kubernetes waits for GKE's `Attached` condition (gke-gateway-api apis/networking/v1/shared_types.go)
WAIT_ATTACHED = {"pulumi.com/waitFor": "condition=Attached", "pulumi.com/timeoutSeconds": "900"}


@dataclass(frozen=True)
class TenantEntryArgs:
    tenant: str
    namespace: pulumi.Input[str]
    domain: str  # <tenant>.<entry.domain>: the IAP condition's host suffix
    exposures: tuple[Exposure, ...]
    gateway: str
    gateway_namespace: pulumi.Input[str]
    security_policy: pulumi.Input[str]
    timeout_sec: int
    iap_client_id: str
    iap_client_secret: pulumi.Input[str]  # read from Secret Manager at deploy time
    members: tuple[str, ...]  # IAM members allowed through IAP
    project: str
    labels: dict[str, str]
    provider: pulumi.ProviderResource


def health_check(exposure: Exposure) -> dict:
    if exposure.health_path is None:
        return {"type": "TCP", "tcpHealthCheck": {"portSpecification": "USE_FIXED_PORT", "port": exposure.port}}
    return {"type": "HTTP", "httpHealthCheck": {"portSpecification": "USE_FIXED_PORT", "port": exposure.port,
                                                "requestPath": exposure.health_path}}


class TenantEntry(pulumi.ComponentResource):
    """Output ``urls``: route name -> https URL."""

    def __init__(self, name: str, args: TenantEntryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("entry", "TenantEntry"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)

        def metadata(object_name: str, attached: bool = False) -> meta.ObjectMetaArgs:
            return meta.ObjectMetaArgs(name=object_name, namespace=args.namespace, labels=args.labels,
                                       annotations=WAIT_ATTACHED if attached else None)

        secret = k8s.core.v1.Secret(
            f"{name}-iap-secret", metadata=metadata(IAP_SECRET), type="Opaque",
            string_data={"key": pulumi.Output.secret(args.iap_client_secret)}, opts=k8s_opts)
        for exposure in args.exposures:
            group, kind = INFERENCE_POOL if exposure.pool else ("", "Service")
            target = {"group": group, "kind": kind, "name": exposure.target}
            backend = {"group": group, "kind": kind, "name": exposure.target}
            if not exposure.pool:
                backend["port"] = exposure.port
            # The policies first, and the route only once GKE reports them attached: a policy GKE
            # ignored (an unsupported field, a missing target) must not leave a route without IAP.
            health = k8s.apiextensions.CustomResource(
                f"{name}-{exposure.name}-health-check", api_version="networking.gke.io/v1", kind="HealthCheckPolicy",
                metadata=metadata(exposure.name, attached=True),
                spec={"targetRef": target, "default": {
                    "checkIntervalSec": 5, "timeoutSec": 5, "healthyThreshold": 1, "unhealthyThreshold": 2,
                    "config": health_check(exposure)}},
                opts=k8s_opts)
            guard = k8s.apiextensions.CustomResource(
                f"{name}-{exposure.name}-backend-policy", api_version="networking.gke.io/v1", kind="GCPBackendPolicy",
                metadata=metadata(exposure.name, attached=True),
                spec=pulumi.Output.from_input(args.security_policy).apply(lambda policy, e=exposure, t=target: {
                    "targetRef": t,
                    "default": {
                        "timeoutSec": args.timeout_sec,
                        "connectionDraining": {"drainingTimeoutSec": e.drain_seconds},
                        "securityPolicy": policy,
                        "logging": {"enabled": True, "sampleRate": 1_000_000},
                        "iap": {"enabled": True, "clientID": args.iap_client_id,
                                "oauth2ClientSecret": {"name": IAP_SECRET}}}}),
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[secret]))
            k8s.apiextensions.CustomResource(
                f"{name}-{exposure.name}-route", api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute",
                metadata=metadata(exposure.name),
                spec=pulumi.Output.from_input(args.gateway_namespace).apply(lambda ns, e=exposure, b=backend: {
                    "parentRefs": [{"name": args.gateway, "namespace": ns, "sectionName": "https"}],
                    "hostnames": [e.hostname],
                    "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [b]}]}),
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[health, guard]))
        condition = gcp.iap.WebIamMemberConditionArgs(
            title=f"{args.tenant}-hosts", description=f"Only https://*.{args.domain}",
            expression=f'request.host.endsWith(".{args.domain}")')
        for i, member in enumerate(args.members):
            gcp.iap.WebIamMember(f"{name}-iap-{i}", project=args.project, role=IAP_ACCESSOR, member=member,
                                 condition=condition, opts=pulumi.ResourceOptions(parent=self))
        self.urls = {e.name: f"https://{e.hostname}" for e in args.exposures}
        self.register_outputs({"urls": self.urls})
