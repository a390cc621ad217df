"""Model-aware routing for an exposed endpoint: an InferencePool and its endpoint picker (ADR 0009).

Installed from the upstream chart pinned in config/catalog/versions.yaml (llm-d-router-gateway)
in the endpoint's namespace: the InferencePool selects the endpoint's vLLM pods on 8000 and
the endpoint picker (EPP) chooses a replica per request from their queue and KV-cache
metrics. The chart's GKE objects are not used (`provider.name: none`): the route's
HealthCheckPolicy and GCPBackendPolicy, which carry Cloud Armor and IAP too, are rendered by
components/entry/tenant_entry.py and visible in the review. A post-renderer makes the EPP pod
admissible under Pod Security `restricted` and labels it as the platform's router, the one
tenant-namespace pod the cluster-wide baseline lets reach the Kubernetes API (it watches the
pool's pods).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import component_type
from config.catalog import Chart

# Relative to the project directory, where Pulumi starts the Kubernetes provider (Helm resolves a path
# with a slash against the provider's working directory): the same on every checkout and CI runner, so the
# release's inputs never change with where the tree lives.
POSTRENDER = "components/entry/helm-postrender"


@dataclass(frozen=True)
class InferenceRoutingArgs:
    endpoint: str  # the pool's name, the endpoint's
    namespace: pulumi.Input[str]
    selector: dict[str, str]  # the endpoint's pods
    port: int
    chart: Chart
    registry: pulumi.Input[str]  # the Artifact Registry path caching ghcr.io
    image_tag: str
    replicas: int  # 2: active/standby with leader election
    provider: pulumi.ProviderResource
    pool_crd: pulumi.Resource | None = None  # what makes InferencePool a known kind (the gateway reads it)


class InferenceRouting(pulumi.ComponentResource):
    """Output ``pool``: the InferencePool's name (the HTTPRoute's backend)."""

    def __init__(self, name: str, args: InferenceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("entry", "InferenceRouting"), name, None, opts)
        release = k8s.helm.v3.Release(
            f"{name}-release", name=args.endpoint, chart=args.chart.reference, version=args.chart.version,
            repository_opts=None if args.chart.oci else k8s.helm.v3.RepositoryOptsArgs(repo=args.chart.repository),
            # No wait: with leader election only the leader reports ready, and the chart's Recreate
            # strategy makes Helm wait for every replica, so a waited install of two never finishes.
            namespace=args.namespace, skip_await=True, atomic=False, timeout=600, postrender=POSTRENDER,
            values=pulumi.Output.from_input(args.registry).apply(lambda registry: epp_values(args, registry)),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider,
                                        depends_on=[args.pool_crd] if args.pool_crd else None))
        self.pool: pulumi.Output[str] = release.name
        self.register_outputs({"pool": self.pool})


def epp_values(args: InferenceRoutingArgs, registry: str) -> dict:
    return {
        "provider": {"name": "none"},
        "httpRoute": {"create": False},
        "router": {
            "modelServers": {"matchLabels": args.selector, "targetPorts": [{"number": args.port}], "type": "vllm",
                             "protocol": "http"},
            "inferencePool": {"create": True, "failureMode": "FailOpen"},
            "epp": {"replicas": args.replicas,
                    "image": {"registry": f"{registry}/llm-d", "repository": "llm-d-router-endpoint-picker",
                              "tag": args.image_tag, "pullPolicy": "IfNotPresent"},
                    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}},
        },
    }
