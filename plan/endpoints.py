"""Inference endpoints as a stack sees them: the GPU units its pools offer, each endpoint's sizing,
its default minimum replicas and what it needs from its tenant's quota."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from config.errors import did_you_mean
from config.models import Model
from config.spec import PlatformSpec
from config.tenancy import EndpointSpec
from plan.capacity import _hourly, gpu_units_per_node
from plan.coldstart import SERVING_IMAGE, weights_path
from plan.sizing import MIG_COMPUTE, MIG_SLICES, Option, Sizing, cheapest, options
from plan.sizing import Unit as GpuUnit
from plan.tenant_quota import Needs

HOST_SHARE = 0.75  # of a unit's vCPUs and memory a replica requests; the rest is for node daemons
# What a replica's helper containers request (the compile cache saver beside vLLM, and, one at a time before it, the
# init containers): counted in the tenant's quota with vLLM's own requests.
HELPER_CPU, HELPER_MEMORY_GIB = 0.05, 0.125
GIB = 2**30


class SizingError(ValueError):
    """A mistake in an endpoint declaration: the field (relative to the endpoint), its value, the message."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


def gpu_units(spec: PlatformSpec) -> list[GpuUnit]:
    """Every GPU unit the stack's pools offer, one per pool."""
    out = []
    for pool in spec.env.gpu_pools:
        gpu = spec.catalog.accelerators.accelerators[pool.accelerator]
        units = gpu_units_per_node(pool)
        memory_gib = gpu.gpu_memory_gb * 1e9 / GIB
        describe = f"{pool.machine_type}, {pool.gpus_per_node} × {gpu.display_name}"
        share = 1.0
        if pool.mig_partition:
            profile = pool.mig_partition.split(".")[0]
            memory_gib = float(pool.mig_partition.split(".")[1].removesuffix("gb")) * 1e9 / GIB
            fraction = MIG_COMPUTE[profile] / 7
            describe += f" as MIG {pool.mig_partition} (×{MIG_SLICES[profile]} per GPU)"
        elif pool.sharing:
            memory_gib /= pool.sharing.max_clients
            fraction = share = 1 / pool.sharing.max_clients
            describe += f" time-shared ×{pool.sharing.max_clients}"
        else:
            fraction = 1.0
        vcpus, memory = spec.machine_shapes[pool.machine_type]
        out.append(GpuUnit(pool=pool.name, accelerator=pool.accelerator, gpus_per_node=pool.gpus_per_node,
                           units_per_node=units, max_units=units * pool.max_nodes, memory_gib=memory_gib, fraction=fraction, memory_share=share,
                           hourly=_hourly(spec, pool) / units, spot=pool.spot, scales_to_zero=pool.min_nodes == 0,
                           vcpus_per_unit=vcpus / units, memory_gib_per_unit=memory / units, describe=describe))
    return out


def eligible(environment: str, sla: float, unit: GpuUnit) -> bool:
    """Spot capacity can vanish at once: it serves dev, and endpoints whose SLA is below 99.9 %."""
    return not unit.spot or environment == "dev" or sla < 99.9


def default_min_replicas(environment: str, sla: float, unit: GpuUnit) -> int:
    """dev: none where the pool scales to zero, else one; elsewhere two for an SLA of 99.9 % or more."""
    if environment == "dev":
        return 0 if unit.scales_to_zero else 1
    return 2 if sla >= 99.9 else 1


def size_endpoint(spec: PlatformSpec, endpoint: EndpointSpec, sla: float) -> Sizing:
    """The cheapest configuration for ``endpoint`` in this stack, or a SizingError naming the field."""
    models = spec.catalog.models.models
    if endpoint.model not in models:
        raise SizingError("model", endpoint.model, f"is not in config/catalog/models.yaml "
                          f"({did_you_mean(endpoint.model, models)}known: {', '.join(models)})")
    model: Model = models[endpoint.model]
    if endpoint.dtype not in model.variants:
        raise SizingError("dtype", endpoint.dtype, f"is not offered for {endpoint.model} "
                          f"(offered: {', '.join(model.variants)})")
    if endpoint.max_model_len > model.max_context:
        raise SizingError("max_model_len", endpoint.max_model_len,
                          f"is above {endpoint.model}'s maximum context ({model.max_context})")
    if endpoint.tensor_parallel and model.kv_heads % endpoint.tensor_parallel:
        sizes = [tp for tp in (1, 2, 4, 8, 16) if model.kv_heads % tp == 0]
        raise SizingError("tensor_parallel", endpoint.tensor_parallel,
                          f"does not divide {endpoint.model}'s {model.kv_heads} KV heads "
                          f"(use {', '.join(map(str, sizes))})")
    units = gpu_units(spec)
    offered = sorted({u.accelerator for u in units})
    for i, accelerator in enumerate(endpoint.accelerators or []):
        if accelerator not in offered:
            raise SizingError(f"accelerators.{i}", accelerator, f"has no GPU pool in stack {spec.stack} "
                              f"(pools offer: {', '.join(offered) or 'none'})")
    if endpoint.accelerators:
        units = [u for u in units if u.accelerator in endpoint.accelerators]
    units = [u for u in units if eligible(spec.environment, sla, u)]
    candidates = options(model, endpoint.dtype, endpoint.max_model_len, endpoint.peak_concurrency, units)
    if endpoint.tensor_parallel:
        candidates = [o for o in candidates if o.tp == endpoint.tensor_parallel]
    chosen = cheapest(candidates)
    if chosen is None:
        raise SizingError("model", endpoint.model, _nowhere(spec, endpoint, candidates))
    minimum = endpoint.min_replicas if endpoint.min_replicas is not None else default_min_replicas(
        spec.environment, sla, chosen.unit)
    maximum = max(chosen.replicas, minimum)
    if endpoint.max_replicas is not None:
        if endpoint.max_replicas < chosen.replicas:
            raise SizingError("max_replicas", endpoint.max_replicas,
                              f"cannot serve the peak of {endpoint.peak_concurrency} concurrent sequences: "
                              f"{chosen.replicas} replicas of {chosen.sequences} are needed")
        maximum = max(endpoint.max_replicas, minimum)
    rejected = tuple(sorted((o for o in candidates if not o.feasible
                             and o.unit.hourly * o.tp < chosen.unit.hourly * chosen.tp),
                            key=lambda o: (o.unit.hourly * o.tp, o.unit.pool, o.tp)))
    return Sizing(model=endpoint.model, dtype=endpoint.dtype, max_model_len=endpoint.max_model_len,
                  peak=endpoint.peak_concurrency, chosen=chosen, min_replicas=minimum, max_replicas=maximum,
                  weights_gib=model.weights_gib(endpoint.dtype),
                  kv_gib_per_sequence=model.kv_gib_per_token() * endpoint.max_model_len, rejected=rejected)


def _nowhere(spec: PlatformSpec, endpoint: EndpointSpec, candidates: list[Option]) -> str:
    """Why nothing serves: the memory need against the largest configuration, or that one's reason."""
    what = f"({endpoint.dtype}, {endpoint.max_model_len} tokens)"
    if not candidates:
        return f"{what} cannot be served in stack {spec.stack}: it has no GPU pool it may use"
    largest = max(candidates, key=lambda o: (o.budget_gib, o.unit.pool))
    where = (f"the largest configuration is pool '{largest.unit.pool}' ({largest.unit.describe}) with TP {largest.tp} "
             f"({largest.budget_gib:.1f} GiB usable)")
    if largest.need_gib > largest.budget_gib:
        return f"{what} needs {largest.need_gib:.1f} GiB per replica and fits nowhere in stack {spec.stack}: {where}"
    return f"{what} cannot be served in stack {spec.stack}: {where}, but {largest.reason}"


def replica_resources(option: Option) -> tuple[float, float]:
    """(CPU, memory GiB) one replica requests: its share of the node, less room for node daemons."""
    units = option.tp
    cpu = max(1.0, math.floor(option.unit.vcpus_per_unit * units * HOST_SHARE))
    memory = max(4.0, math.floor(option.unit.memory_gib_per_unit * units * HOST_SHARE))
    return cpu, memory


def endpoint_needs(sizing: Sizing) -> Needs:
    cpu, memory = replica_resources(sizing.chosen)
    n = sizing.max_replicas
    return Needs((cpu + HELPER_CPU) * n, (memory + HELPER_MEMORY_GIB) * n, 0, n, dict(sizing.gpus))


@dataclass(frozen=True)
class WeightCopy:
    """One Hugging Face revision a loader Job copies into the models bucket, and where it goes."""

    repo: str
    revision: str
    cache_path: str  # models/<repo>/<revision>
    disk_gib: float  # the checkpoint as stored: what the Job downloads and copies
    gated: bool
    format: str = "safetensors"  # or "pytorch": *.bin files only


@dataclass(frozen=True)
class EndpointPlan:
    """What sizing decided and what serving needs, in plain values (components/workloads/inference.py)."""

    name: str
    served_model_name: str
    kind: str  # generation | embedding
    model_path: str  # the weights' folder in the models bucket
    dtype: str
    max_model_len: int
    tensor_parallel: int
    max_num_seqs: int
    gpu_memory_utilization: float
    accelerator: str
    pool: str
    cpu: float
    memory_gib: float
    min_replicas: int
    max_replicas: int
    weights_gib: float  # in GPU memory
    disk_gib: float  # as stored in the models bucket: what the file cache holds
    startup_seconds: int  # the startup probe's budget: weights through the load path, warm-up, margin
    queue_target: int  # waiting requests per replica before scaling out
    weights_path: str = "streamer"  # streamer (vLLM's Run:ai loader from the bucket) or gcsfuse (ADR 0018)
    cache_folder: str = ""  # the endpoint's compile cache folder in the models bucket (its own, writable)
    cache_key: str = ""  # <vLLM tag>/<accelerator>-tp<N>/<model folder key>: one compile cache per combination
    shutdown_seconds: int = 240  # vLLM drains in-flight requests this long after SIGTERM

    @property
    def termination_grace_seconds(self) -> int:
        """preStop sleep (15 s) + drain + room for the process to exit."""
        return 15 + self.shutdown_seconds + 30


def folder_key(path: str) -> str:
    """A stable, short name part for a bucket folder (paths carry 40-character revisions)."""
    return hashlib.sha256(path.encode()).hexdigest()[:10]


def cache_folder(namespace: str, endpoint: str) -> str:
    """An endpoint's compile cache in the models bucket: a managed folder only its identity may write."""
    return f"compile-cache/{namespace}/{endpoint}"


def endpoint_plan(spec: PlatformSpec, namespace: str, endpoint: EndpointSpec, sizing: Sizing, queue_target: int,
                  startup_seconds: int) -> EndpointPlan:
    model = spec.catalog.models.models[endpoint.model]
    chosen = sizing.chosen
    cpu, memory = replica_resources(chosen)
    source = model.variants[endpoint.dtype]
    vllm = spec.catalog.versions.images[SERVING_IMAGE].tag
    return EndpointPlan(
        name=endpoint.name, served_model_name=endpoint.model, kind=model.kind,
        model_path=model.variants[endpoint.dtype].cache_path, dtype=endpoint.dtype,
        max_model_len=endpoint.max_model_len, tensor_parallel=chosen.tp, max_num_seqs=chosen.sequences,
        gpu_memory_utilization=chosen.unit.utilisation, accelerator=chosen.unit.accelerator, pool=chosen.unit.pool,
        cpu=cpu, memory_gib=memory, min_replicas=sizing.min_replicas, max_replicas=sizing.max_replicas,
        weights_gib=sizing.weights_gib, disk_gib=source.disk_gib,
        startup_seconds=startup_seconds, queue_target=queue_target, weights_path=weights_path(source),
        cache_folder=cache_folder(namespace, endpoint.name),
        cache_key=f"{vllm}/{chosen.unit.accelerator}-tp{chosen.tp}/{folder_key(source.cache_path)}")

