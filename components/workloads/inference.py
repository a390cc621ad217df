"""One vLLM inference endpoint: a Deployment sized by config/sizing.py, its Service, disruption
budget, metrics scraping and queue-depth autoscaling (ADR 0008).

Every object is a native Kubernetes resource (KEDA's ScaledObject and managed Prometheus's
PodMonitoring are CRDs), so the review shows every field. The pod runs as a fixed non-root user
with a read-only root filesystem (caches and HOME on emptyDirs) and is admissible under Pod
Security `restricted`; GPUs are requested and limited alike, on the accelerator and priority class
the tenant's per-type quota counts.

A new replica starts fast (docs/cold-start.md, ADR 0018): its image comes from the node's secondary
boot disk; safetensors weights stream from the models bucket straight into GPU memory (vLLM's Run:ai
streamer, distributed over the tensor-parallel ranks), other checkpoints through GCS FUSE with a
parallel-download file cache; the compile cache the endpoint's first replica saved is restored before
vLLM starts; and the startup probe sends a warm-up request, so the pod turns ready only once it
answered. The weights folder is the endpoint's to read, the compile cache folder its to write: its
Kubernetes identity holds exactly those two grants.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    ACCELERATOR_LABEL,
    EXPOSE_LABEL,
    GPU_PRIORITY_PREFIX,
    GPU_RESOURCE,
    MANAGED_LABEL,
    POOL_LABEL,
    UID,
    checkov_skips,
    component_type,
    formerly,
    gpu_toleration,
    restricted_container_context,
    restricted_pod_context,
)
from components.conventions import SERVING_PORT as PORT
from components.data.storage import folder_key
from components.workloads.replica_start import (
    CACHE_ROOT,
    SAVED_ROOT,
    WARM_UP_TIMEOUT_SECONDS,
    restore_compile_cache,
    save_compile_cache,
    wait_for_weights,
    warm_up,
)
from plan.coldstart import GCSFUSE, STREAMER
from plan.endpoints import HELPER_CPU, HELPER_MEMORY_GIB, EndpointPlan

GCSFUSE_DRIVER = "gcsfuse.csi.storage.gke.io"
PRE_STOP_SECONDS = 15  # EndpointPlan.termination_grace_seconds counts it
WEIGHTS_LABEL = "ai-platform/weights"  # on loader Jobs: which model folder they fill (plan model_path's key)
PROGRESS_DEADLINE_SECONDS = 3600  # a cold replica on a new node can take a quarter of an hour
RUNNING_SHARE = 0.8  # of --max-num-seqs in flight per replica before scaling out on load alone
STARTUP_PERIOD_SECONDS = 10
STREAMER_CONCURRENCY = 32  # the Run:ai benchmark's fastest setting against object storage (8 is its default)
GIB = 2**30
core, apps, meta = k8s.core.v1, k8s.apps.v1, k8s.meta.v1


@dataclass(frozen=True)
class InferenceEndpointArgs:
    plan: EndpointPlan
    namespace: pulumi.Input[str]  # resolves once the namespace exists
    service_account: str  # the workload's Kubernetes service account (Workload Identity)
    image: pulumi.Input[str]  # the pinned vLLM image, through the Artifact Registry cache
    models_bucket: pulumi.Input[str]
    labels: dict[str, str]
    provider: pulumi.ProviderResource
    monitoring_project: str  # where managed Prometheus keeps the metrics KEDA queries
    cluster: pulumi.Input[str]  # the cluster's name: the queue query reads this cluster's series only
    autoscaler: pulumi.Resource  # the Autoscaling component: KEDA's CRDs and trigger authentication
    working_hours: tuple[str, str, str] | None = None  # cron start, end, zone keeping a zero-minimum endpoint up
    exposed: bool = False  # reachable through the platform gateway (its pods admit the gateway's proxies)
    copied_weights: bool = False  # the bucket is the DR twin, filled object by object: check every file arrived


def vllm_args(plan: EndpointPlan, bucket: pulumi.Input[str]) -> list[pulumi.Input[str]]:
    """The server's flags. Quantized checkpoints declare their method in config.json and vLLM picks
    the kernel; forcing ``--quantization`` would refuse compressed-tensors checkpoints. The streamer reads
    ``gs://`` directly (config and tokenizer too); with TP > 1 each rank streams its share (distributed)."""
    streamed = plan.weights_path == STREAMER
    model: pulumi.Input[str] = pulumi.Output.concat("gs://", bucket, "/", plan.model_path) if streamed else "/models"
    args: list[pulumi.Input[str]] = [
        model, "--served-model-name", plan.served_model_name,  # the image's entrypoint is `vllm serve`
        "--port", str(PORT), "--tensor-parallel-size", str(plan.tensor_parallel),
        "--max-model-len", str(plan.max_model_len), "--gpu-memory-utilization", f"{plan.gpu_memory_utilization:g}",
        "--max-num-seqs", str(plan.max_num_seqs), "--dtype", "bfloat16" if plan.dtype == "bf16" else "auto",
        "--shutdown-timeout", str(plan.shutdown_seconds), "--disable-uvicorn-access-log"]
    if streamed:
        args += ["--load-format", "runai_streamer"]
        if plan.tensor_parallel > 1:
            args += ["--model-loader-extra-config", json.dumps({"distributed": True})]
    if plan.kind == "embedding":
        args += ["--runner", "pooling"]
    return args


def streamer_memory_bytes(plan: EndpointPlan) -> int:
    """The streamer's CPU buffer: its default (40 GB) exceeds a small replica's memory. A quarter of the replica's
    memory, at least 4 GiB (above the largest tensor: a 70B model's 2.1 GB embedding), at most half of it."""
    gib = min(max(4, math.floor(plan.memory_gib / 4)), math.floor(plan.memory_gib / 2))
    return gib * GIB


def environment(plan: EndpointPlan) -> list[core.EnvVarArgs]:
    env = [("HOME", "/home/vllm"), ("XDG_CACHE_HOME", CACHE_ROOT), ("HF_HOME", f"{CACHE_ROOT}/huggingface"),
           ("VLLM_CACHE_ROOT", f"{CACHE_ROOT}/vllm"), ("TRITON_CACHE_DIR", f"{CACHE_ROOT}/triton"),
           ("TORCHINDUCTOR_CACHE_DIR", f"{CACHE_ROOT}/inductor"), ("HF_HUB_OFFLINE", "1"),
           ("FLASHINFER_WORKSPACE_BASE", f"{CACHE_ROOT}/flashinfer"), ("VLLM_NO_USAGE_STATS", "1"),
           ("DO_NOT_TRACK", "1"), ("USER", "vllm")]
    if plan.weights_path == STREAMER:
        env += [("RUNAI_STREAMER_CONCURRENCY", str(STREAMER_CONCURRENCY)),
                ("RUNAI_STREAMER_MEMORY_LIMIT", str(streamer_memory_bytes(plan)))]
    return [core.EnvVarArgs(name=k, value=v) for k, v in env]


def helper(name: str, image: pulumi.Input[str], script: str, mounts: list[core.VolumeMountArgs],
           env: list[core.EnvVarArgs] | None = None) -> core.ContainerArgs:
    """A small container of the serving image running one of components/workloads/replica_start.py's scripts."""
    return core.ContainerArgs(
        name=name, image=image, image_pull_policy="IfNotPresent", command=["python3", "-c", script], env=env,
        resources=core.ResourceRequirementsArgs(
            requests={"cpu": f"{HELPER_CPU * 1000:g}m", "memory": f"{HELPER_MEMORY_GIB * 1024:g}Mi"},
            limits={"memory": f"{HELPER_MEMORY_GIB * 2048:g}Mi"}),
        security_context=restricted_container_context(), volume_mounts=mounts)


def pod_spec(args: InferenceEndpointArgs) -> core.PodSpecArgs:
    plan = args.plan
    gpus = str(plan.tensor_parallel)
    empty = core.EmptyDirVolumeSourceArgs
    memory = f"{math.ceil(plan.memory_gib)}Gi"
    fuse = plan.weights_path == GCSFUSE
    models = core.VolumeMountArgs(name="models", mount_path="/models", read_only=True)
    cache = core.VolumeMountArgs(name="cache", mount_path=CACHE_ROOT)
    where = (f"the loader Job (kubectl -n <inference namespace> get jobs -l {WEIGHTS_LABEL}="
             f"{folder_key(plan.model_path)}) or, for an uploaded model, docs/inference.md")
    bucket = pulumi.Output.from_input(args.models_bucket)
    fuse_volumes = [core.VolumeArgs(name=n, csi=core.CSIVolumeSourceArgs(
        driver=GCSFUSE_DRIVER, read_only=read_only, volume_attributes=bucket.apply(attributes)))
        for n, read_only, attributes in (
            ("models", True, lambda b: gcsfuse_attributes(b, plan)),
            ("compile-cache", False, lambda b: compile_cache_attributes(b, plan)))]
    return core.PodSpecArgs(
        service_account_name=args.service_account,
        automount_service_account_token=False,
        enable_service_links=False,
        priority_class_name=f"{GPU_PRIORITY_PREFIX}{plan.accelerator}",
        # The pool too: a whole-GPU replica must not land on a time-shared node of the same type.
        node_selector={ACCELERATOR_LABEL: plan.accelerator, POOL_LABEL: plan.pool},
        tolerations=[gpu_toleration()],
        # Long generations finish: the Service stops sending (preStop), vLLM drains, then exits.
        termination_grace_period_seconds=plan.termination_grace_seconds,
        security_context=restricted_pod_context(),
        topology_spread_constraints=[
            core.TopologySpreadConstraintArgs(
                max_skew=1, topology_key=key, when_unsatisfiable="ScheduleAnyway",
                label_selector=meta.LabelSelectorArgs(match_labels=selector(plan)))
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")],
        # Weights a loader Job is still copying are incomplete: wait for its marker, not for probes; past the
        # loader's deadline, fail (the pod crash-loops and alerts) naming where to look. Then the compile cache.
        init_containers=[
            helper("wait-for-weights", args.image, wait_for_weights(plan, where, copied=args.copied_weights), [models]),
            helper("restore-compile-cache", args.image, restore_compile_cache(plan), [
                core.VolumeMountArgs(name="compile-cache", mount_path=SAVED_ROOT, read_only=True), cache])],
        containers=[core.ContainerArgs(
            name="vllm",
            image=args.image,
            image_pull_policy="IfNotPresent",
            args=vllm_args(plan, bucket),
            ports=[core.ContainerPortArgs(name="http", container_port=PORT, protocol="TCP")],
            env=environment(plan),
            resources=core.ResourceRequirementsArgs(
                requests={"cpu": f"{plan.cpu:g}", "memory": memory, GPU_RESOURCE: gpus,
                          "ephemeral-storage": f"{scratch_gib(plan)}Gi"},
                limits={"memory": memory, GPU_RESOURCE: gpus}),
            security_context=restricted_container_context(),
            # Ready only after one real answer: the probe's budget is the cold-start estimate's (plan/coldstart.py).
            startup_probe=core.ProbeArgs(
                exec_=core.ExecActionArgs(command=["python3", "-c", warm_up(plan, PORT)]),
                period_seconds=STARTUP_PERIOD_SECONDS, timeout_seconds=WARM_UP_TIMEOUT_SECONDS,
                failure_threshold=math.ceil(plan.startup_seconds / STARTUP_PERIOD_SECONDS)),
            readiness_probe=core.ProbeArgs(
                http_get=core.HTTPGetActionArgs(path="/health", port="http"), period_seconds=5,
                timeout_seconds=3, failure_threshold=3),
            liveness_probe=core.ProbeArgs(
                http_get=core.HTTPGetActionArgs(path="/health", port="http"), period_seconds=15,
                timeout_seconds=5, failure_threshold=4),
            # Leave the Service's endpoints before SIGTERM; vLLM then finishes what it holds.
            lifecycle=core.LifecycleArgs(pre_stop=core.LifecycleHandlerArgs(
                sleep=core.SleepActionArgs(seconds=PRE_STOP_SECONDS))),
            volume_mounts=[*([models] if fuse else []), cache, *(
                core.VolumeMountArgs(name=n, mount_path=p) for n, p in (  # emptyDirs
                    ("dshm", "/dev/shm"), ("home", "/home/vllm"), ("tmp", "/tmp")))],  # noqa: S108
        ), helper("save-compile-cache", args.image, save_compile_cache(plan, PORT), [
            core.VolumeMountArgs(name="compile-cache", mount_path=SAVED_ROOT),
            core.VolumeMountArgs(name="cache", mount_path=CACHE_ROOT, read_only=True)],
            env=[core.EnvVarArgs(name="POD_NAME", value_from=core.EnvVarSourceArgs(
                field_ref=core.ObjectFieldSelectorArgs(field_path="metadata.name")))])],
        volumes=[
            *fuse_volumes,
            # NCCL and PyTorch workers share tensors through /dev/shm (tensor parallelism).
            core.VolumeArgs(name="dshm", empty_dir=empty(medium="Memory", size_limit="8Gi")),
            core.VolumeArgs(name="home", empty_dir=empty(size_limit="1Gi")),
            core.VolumeArgs(name="cache", empty_dir=empty(size_limit="20Gi")),
            core.VolumeArgs(name="tmp", empty_dir=empty(size_limit="10Gi")),
            # GCS FUSE's file cache (the sidecar finds it by this name): room for the checkpoint as stored.
            *([core.VolumeArgs(name="gke-gcsfuse-cache", empty_dir=empty(size_limit=f"{cache_gib(plan) + 5}Gi"))]
              if fuse else []),
        ],
    )


def cache_gib(plan: EndpointPlan) -> int:
    """GCS FUSE's file cache: the checkpoint as stored (an fp32 checkpoint is twice its GPU size), plus 10 %.
    A file larger than the cache is never cached, and a cache smaller than the set thrashes."""
    return math.ceil(plan.disk_gib * 1.1)


def scratch_gib(plan: EndpointPlan) -> int:
    """Local disk a replica uses: the cache and tmp emptyDirs and HOME, and GCS FUSE's file cache where it reads
    the weights that way (the streamer keeps nothing on disk)."""
    fuse = cache_gib(plan) + 5 if plan.weights_path == GCSFUSE else 0
    return fuse + 20 + 10 + 1


def gcsfuse_attributes(bucket: str, plan: EndpointPlan) -> dict[str, str]:
    """Read-only, only the model's folder. Read through it (GCS FUSE path): a file cache sized to the weights with
    parallel downloads, metadata prefetched at mount and kept (the folder never changes). Streamed weights: the
    init container only checks the loader's marker here."""
    attributes = {"bucketName": bucket, "mountOptions": f"implicit-dirs,only-dir={plan.model_path},uid={UID},gid={UID}"}
    if plan.weights_path == GCSFUSE:
        attributes["mountOptions"] += (",file-cache:enable-parallel-downloads:true,"
                                       "file-cache:parallel-downloads-per-file:16,file-cache:max-parallel-downloads:-1,"
                                       "file-cache:download-chunk-size-mb:3")
        attributes.update({"fileCacheCapacity": f"{cache_gib(plan)}Gi", "fileCacheForRangeRead": "true",
                           "metadataCacheTTLSeconds": "-1", "gcsfuseMetadataPrefetchOnMount": "true"})
    return attributes


def compile_cache_attributes(bucket: str, plan: EndpointPlan) -> dict[str, str]:
    """The endpoint's own compile cache folder, written by its replicas (no file cache: each file is read once)."""
    return {"bucketName": bucket,
            "mountOptions": f"implicit-dirs,only-dir={plan.cache_folder},uid={UID},gid={UID}"}


def selector(plan: EndpointPlan) -> dict[str, str]:
    return {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": plan.name}


class InferenceEndpoint(pulumi.ComponentResource):
    """Output ``url``: the endpoint's OpenAI-compatible base URL inside the cluster."""

    def __init__(self, name: str, args: InferenceEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "InferenceEndpoint"), name, None, formerly(opts, "ai-platform:inference:InferenceEndpoint"))
        plan = args.plan
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {**args.labels, **selector(plan), "app.kubernetes.io/version": plan.served_model_name}
        # Pods are the controllers' and the kubelet's to delete: they never carry the managed label
        # (the managed-objects policy would refuse the kubelet's final delete and the scheduler's preemption).
        pod_labels = {k: v for k, v in labels.items() if k != MANAGED_LABEL}
        if args.exposed:
            pod_labels[EXPOSE_LABEL] = "true"

        def metadata(object_name: str, **extra) -> meta.ObjectMetaArgs:
            return meta.ObjectMetaArgs(name=object_name, namespace=args.namespace, labels=labels, **extra)

        deployment = apps.Deployment(
            f"{name}-deployment",
            # A first start takes a GPU node, a 12 GB image, the weights and warm-up: longer than Pulumi's
            # 10-minute readiness wait. The autoscaler and the review's cold-start table follow it instead.
            metadata=metadata(plan.name, annotations={**CHECKOV_SKIPS, "pulumi.com/skipAwait": "true"}),
            spec=apps.DeploymentSpecArgs(
                # No replicas: the autoscaler owns the count (a value here would reset it on every update).
                revision_history_limit=3,
                progress_deadline_seconds=PROGRESS_DEADLINE_SECONDS,
                selector=meta.LabelSelectorArgs(match_labels=selector(plan)),
                # One replica at a time, without a surge: the tenant's GPU quota is exactly TP x max replicas.
                strategy=apps.DeploymentStrategyArgs(type="RollingUpdate", rolling_update=apps.RollingUpdateDeploymentArgs(
                    max_surge=0, max_unavailable=1)),
                template=core.PodTemplateSpecArgs(
                    metadata=meta.ObjectMetaArgs(labels=pod_labels, annotations={
                        # The GCS FUSE sidecar: no CPU, memory or disk cap while it streams the weights.
                        "gke-gcsfuse/volumes": "true", "gke-gcsfuse/cpu-limit": "0",
                        "gke-gcsfuse/memory-limit": "0", "gke-gcsfuse/ephemeral-storage-limit": "0",
                        **CHECKOV_SKIPS}),
                    spec=pod_spec(args))),
            opts=k8s_opts)
        service = core.Service(
            f"{name}-service",
            metadata=metadata(plan.name),
            spec=core.ServiceSpecArgs(type="ClusterIP", selector=selector(plan), ports=[
                core.ServicePortArgs(name="http", port=PORT, target_port="http", protocol="TCP"),
                core.ServicePortArgs(name="metrics", port=PORT + 1, target_port="http", protocol="TCP")]),
            opts=k8s_opts)
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb", metadata=metadata(plan.name),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=selector(plan)),
                unhealthy_pod_eviction_policy="AlwaysAllow"),
            opts=k8s_opts)
        k8s.apiextensions.CustomResource(
            f"{name}-podmonitoring", api_version="monitoring.googleapis.com/v1", kind="PodMonitoring",
            metadata=metadata(plan.name),
            spec={"selector": {"matchLabels": selector(plan)},
                  "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}]},
            opts=k8s_opts)
        k8s.apiextensions.CustomResource(
            f"{name}-scaledobject", api_version="keda.sh/v1alpha1", kind="ScaledObject",
            metadata=metadata(plan.name),
            spec=pulumi.Output.all(args.namespace, args.cluster).apply(lambda v: scaled_object(args, *v)),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[deployment, args.autoscaler]))
        self.url: pulumi.Output[str] = pulumi.Output.concat(
            "http://", service.metadata.name, ".", args.namespace, ".svc.cluster.local:", str(PORT), "/v1")
        self.register_outputs({"url": self.url})


CHECKOV_SKIPS = checkov_skips(
    "cpu-limits", "pinned-tag", "no-secrets", "if-not-present",
    liveness="CKV_K8S_8=vLLM has liveness, readiness and startup probes; its compile cache saver only copies files "
             "once vLLM is up, and a probe on it would add nothing",
    readiness="CKV_K8S_9=vLLM's readiness alone says whether the pod serves; the compile cache saver beside it must "
              "not hold the pod back")


def scaled_object(args: InferenceEndpointArgs, namespace: str, cluster: str) -> dict:
    """KEDA: queue depth from managed Prometheus, fast out, slow in; min from the SLA, max from sizing.

    Managed Prometheus labels every series with its cluster, namespace and job (the PodMonitoring's
    name), so the query sees this endpoint's servers only.
    """
    plan = args.plan
    series = f'cluster="{cluster}",namespace="{namespace}",job="{plan.name}"'
    server = f"https://monitoring.googleapis.com/v1/projects/{args.monitoring_project}/location/global/prometheus"

    def prometheus(metric: str, threshold: int) -> dict:
        return {"type": "prometheus", "name": metric.split(":")[1],
                "authenticationRef": {"name": "managed-prometheus", "kind": "ClusterTriggerAuthentication"},
                "metadata": {"serverAddress": server, "query": f"sum({metric}{{{series}}}) or vector(0)",
                             "threshold": str(threshold), "activationThreshold": "0"}}

    # Waiting requests scale out; requests in flight hold the replicas a steady full load needs (with no
    # queue the first trigger alone would let the HPA scale a busy endpoint down).
    triggers: list[dict] = [prometheus("vllm:num_requests_waiting", plan.queue_target),
                            prometheus("vllm:num_requests_running", max(1, int(plan.max_num_seqs * RUNNING_SHARE)))]
    if plan.min_replicas == 0 and args.working_hours:
        start, end, timezone = args.working_hours
        triggers.append({"type": "cron", "metadata": {"timezone": timezone, "start": start, "end": end,
                                                      "desiredReplicas": "1"}})
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
        "minReplicaCount": plan.min_replicas,
        "maxReplicaCount": plan.max_replicas,
        "pollingInterval": 15,
        "cooldownPeriod": 900,
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 0,
                        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 30}]},
            "scaleDown": {"stabilizationWindowSeconds": 600,
                          "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]}}}},
        "triggers": triggers,
    }
