"""Platform services each cluster runs itself: KEDA and the trace collector (docs/dr.md).

The primary's are built by the workloads and operations layers; a warm standby keeps its own at rest
(layers/recovery.py), so the switch moves neither. The failover's restore then finds KEDA's CRD and admission
webhook in the standby (tenants' ScaledObjects come back with their namespaces, and a restored object of an
unknown kind fails), and no Helm release of theirs has to be deleted from a cluster that cannot be reached
(pulumi-kubernetes' Helm delete ignores ``deleteUnreachable``). Both clusters are in one project, hence one
workload identity pool: the grant made for the primary's Kubernetes identity holds for the standby's, which
makes none of its own (two grants of one binding would remove it for both when either goes).
"""

from __future__ import annotations

import pulumi

from components.operations.trace_collector import TraceCollector, TraceCollectorArgs
from components.platform.cluster import Cluster
from components.platform.image_supply import ImageSupply
from components.workloads.autoscaling import Autoscaling, AutoscalingArgs
from config.checks.operations import TRACES
from config.naming import Naming
from config.spec import PlatformSpec


def keda(spec: PlatformSpec, name: str, naming: Naming, images: ImageSupply, project_number: pulumi.Input[str],
         cluster: Cluster, opts: pulumi.ResourceOptions, *, grant: bool = True) -> Autoscaling:
    versions = spec.catalog.versions
    return Autoscaling(name, AutoscalingArgs(
        naming=naming, chart=versions.charts["keda"], registry=images.prefixes["ghcr.io"],
        image_tag=versions.images["keda"].tag, project_number=project_number, workload_pool=cluster.workload_pool,
        operator_replicas=spec.env.service_replicas, provider=cluster.provider, grant=grant), opts=opts)


def traces(spec: PlatformSpec, name: str, images: ImageSupply, project_number: pulumi.Input[str], cluster: Cluster,
           opts: pulumi.ResourceOptions, *, grant: bool = True) -> TraceCollector | None:
    """None where the environment has no traces (operations.traces)."""
    env, versions = spec.env, spec.catalog.versions
    if not env.operations.traces:
        return None
    endpoint = spec.shared_endpoints[TRACES]
    return TraceCollector(name, TraceCollectorArgs(
        project=spec.project, project_number=project_number, workload_pool=cluster.workload_pool,
        namespace=endpoint.namespace, chart=versions.charts["opentelemetry-collector"],
        image_prefix=images.prefixes["docker.io"], image_tag=versions.images["otel-collector"].tag,
        port=endpoint.port, replicas=2 if env.protect else 1,
        senders=tuple(sorted(t.name for t in spec.tenants if TRACES in t.uses)), provider=cluster.provider,
        grant=grant),
        opts=opts)
