"""Warm spare GPU nodes: low-priority placeholder pods that hold whole nodes a new replica takes at once (ADR 0019).

Each GPU pool with ``warm_spares`` gets a Deployment of that many placeholders in the platform's inference
namespace, each asking for every GPU unit of one node of the pool, at priority -1 (``gpu-placeholder``). A serving
pod (the ``gpu-<accelerator>`` classes, priority 0, which preempt lower priorities) evicts one at once and lands on
its node: VM booted, driver installed, image on the secondary boot disk. The evicted placeholder goes pending and the
cluster autoscaler adds a node for it, so the spare comes back. -1 sits above the autoscaler's expendable cutoff
(-10: lower-priority pods trigger no scale-up) and below every other pod. The placeholders run `pause`, request
almost no CPU or memory and stop at once (no grace period). GKE's CapacityBuffer does the same without pods, but is
in Preview from GKE 1.35.2-gke.1842000, which a cluster on its release channel is not guaranteed to run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    POOL_LABEL,
    checkov_skips,
    component_type,
    gpu_toleration,
    restricted_container_context,
    restricted_pod_context,
)

PLACEHOLDER_CLASS = "gpu-placeholder"
PLACEHOLDER_PRIORITY = -1  # below serving (0), above the cluster autoscaler's expendable cutoff (-10)
core, apps, meta = k8s.core.v1, k8s.apps.v1, k8s.meta.v1


@dataclass(frozen=True)
class WarmSpare:
    pool: str
    accelerator: str
    nodes: int
    units_per_node: int  # nvidia.com/gpu one node advertises: a placeholder takes them all


@dataclass(frozen=True)
class WarmCapacityArgs:
    namespace: pulumi.Input[str]  # the platform's inference namespace
    spares: tuple[WarmSpare, ...]
    image: pulumi.Input[str]  # pause, through the registry.k8s.io cache
    labels: dict[str, str]
    provider: pulumi.ProviderResource


class WarmCapacity(pulumi.ComponentResource):
    """Output ``placeholders``: pool -> the name of its placeholder Deployment."""

    def __init__(self, name: str, args: WarmCapacityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "WarmCapacity"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        priority = k8s.scheduling.v1.PriorityClass(
            f"{name}-priority", metadata=meta.ObjectMetaArgs(name=PLACEHOLDER_CLASS, labels=args.labels),
            value=PLACEHOLDER_PRIORITY, global_default=False, preemption_policy="Never",
            description="Placeholders holding warm GPU nodes: any serving pod preempts them.", opts=k8s_opts)
        placeholders: dict[str, pulumi.Output[str]] = {}
        for spare in args.spares:
            selector = {"app.kubernetes.io/name": "gpu-placeholder", "ai-platform/pool": spare.pool}
            gpus = str(spare.units_per_node)
            deployment = apps.Deployment(
                f"{name}-{spare.pool}",
                metadata=meta.ObjectMetaArgs(name=f"warm-{spare.pool}", namespace=args.namespace, labels=args.labels,
                                             annotations=SKIPS),
                spec=apps.DeploymentSpecArgs(
                    replicas=spare.nodes, revision_history_limit=2,
                    selector=meta.LabelSelectorArgs(match_labels=selector),
                    template=core.PodTemplateSpecArgs(
                        metadata=meta.ObjectMetaArgs(labels={**selector, "app.kubernetes.io/part-of": "ai-platform"},
                                                     annotations=SKIPS),
                        spec=core.PodSpecArgs(
                            priority_class_name=PLACEHOLDER_CLASS,
                            node_selector={ACCELERATOR_LABEL: spare.accelerator, POOL_LABEL: spare.pool},
                            tolerations=[gpu_toleration()],
                            automount_service_account_token=False, enable_service_links=False,
                            termination_grace_period_seconds=0,
                            security_context=restricted_pod_context(),
                            containers=[core.ContainerArgs(
                                name="pause", image=args.image, image_pull_policy="IfNotPresent",
                                resources=core.ResourceRequirementsArgs(
                                    requests={"cpu": "10m", "memory": "16Mi", GPU_RESOURCE: gpus},
                                    limits={"cpu": "10m", "memory": "16Mi", GPU_RESOURCE: gpus}),
                                security_context=restricted_container_context())]))),
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[priority]))
            placeholders[spare.pool] = deployment.metadata.name
        self.placeholders = placeholders
        self.register_outputs({"placeholders": placeholders})


SKIPS = checkov_skips(
    "pinned-tag", "if-not-present",
    liveness="CKV_K8S_8=a placeholder runs pause and serves nothing: there is nothing to probe",
    readiness="CKV_K8S_9=a placeholder runs pause and serves nothing: there is nothing to probe")
