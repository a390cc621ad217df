"""How long a new inference replica takes to serve, term by term, each from a figure of config/catalog/serving.yaml.

On a node that is already there (warm): the pod (scheduling, the GCS FUSE sidecar, the init containers that check the
weights and restore the compile cache), the serving image (from the node's secondary boot disk, or pulled whole: the
platform's image caches are CMEK-encrypted, which image streaming does not serve), the weights (vLLM's Run:ai streamer
straight from the models bucket at the share of the node's bandwidth the streamer reached in its published benchmark, or
GCS FUSE for checkpoints the streamer cannot read: ADR 0018) and the engine (process start, compiled graphs from the
cache, CUDA graphs, the warm-up request the startup probe sends). When the pool has no free node, the autoscaler's
reaction and a GPU node come first. The first replica of a vLLM version, model, GPU and flags also compiles: the startup
probe's budget covers that case, doubled. docs/cold-start.md explains each term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.catalog import Figure, ServingCatalog
from config.cluster import GpuPoolSpec
from config.models import ModelSource
from config.spec import PlatformSpec
from config.tenancy import EndpointSpec
from plan.sizing import Sizing

STREAMER, GCSFUSE = "streamer", "gcsfuse"
SERVING_IMAGE = "vllm"  # the catalog image every GPU pool preloads
MIN_PROBE_SECONDS = 300


def weights_path(source: ModelSource) -> str:
    """How a replica reads a checkpoint (ADR 0018): the streamer reads safetensors only; others go through GCS FUSE."""
    return STREAMER if source.format == "safetensors" else GCSFUSE


@dataclass(frozen=True)
class Preload:
    """Whether a GPU pool's nodes carry the serving image on a secondary boot disk, and why not if they do not."""

    disk_image: str | None  # projects/<project>/global/images/<name>
    why: str


def preload(spec: PlatformSpec, pool: GpuPoolSpec) -> Preload:
    """The disk image of the pinned serving image, in the stack's project (docs/cold-start.md), unless the pool turns
    it off or no disk image was built for the pinned tag."""
    image = spec.catalog.versions.images[SERVING_IMAGE]
    if not pool.preload_image:
        return Preload(None, f"preload_image: false in config/environments/{spec.environment}.yaml")
    if image.preload is None:
        return Preload(None, f"no disk image of {SERVING_IMAGE} {image.tag} in config/catalog/versions.yaml (preload)")
    return Preload(f"projects/{spec.project}/global/images/{image.preload.disk_image}",
                   f"disk image built from {SERVING_IMAGE} {image.tag}")


@dataclass(frozen=True)
class Term:
    """One stage of a start: its seconds, how it happens, and the serving.yaml figures behind it."""

    name: str
    seconds: float
    how: str
    figures: tuple[str, ...]


@dataclass(frozen=True)
class ColdStart:
    """A new replica of one endpoint: ``node`` only when its pool must grow; ``terms`` on a node that is there."""

    node: Term
    terms: tuple[Term, ...]  # pod, image, weights, engine
    compile_seconds: float  # added to the first replica of a vLLM version, model, GPU and flags

    def term(self, name: str) -> Term:
        return next(t for t in (self.node, *self.terms) if t.name == name)

    @property
    def warm_seconds(self) -> float:
        """On a node that is there (a free node of the pool, or a warm spare)."""
        return sum(t.seconds for t in self.terms)

    @property
    def new_node_seconds(self) -> float:
        return self.node.seconds + self.warm_seconds

    @property
    def figures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for t in (self.node, *self.terms) for f in t.figures))

    @property
    def probe_budget(self) -> int:
        """Seconds the startup probe allows once the container runs: weights, engine and a first compile, doubled,
        in whole minutes, at least 5 minutes (a replica the probe kills never saves its compile cache)."""
        running = self.term("weights").seconds + self.term("engine").seconds + self.compile_seconds
        return max(MIN_PROBE_SECONDS, int(math.ceil(running * 2 / 60) * 60))


def streamer_rate(spec: PlatformSpec, pool: GpuPoolSpec) -> tuple[float, str, tuple[str, ...]]:
    """GB/s the streamer reads a node's weights at: its measured share of the shape's bandwidth, or its measured rate."""
    figures: ServingCatalog = spec.catalog.serving
    shape = spec.catalog.accelerators.accelerators[pool.accelerator].machines[pool.machine_type]
    if shape.network_gbps is None:
        return figures.streamer_gb_s.value, "measured rate (NIC unknown)", ("streamer_gb_s",)
    rate = figures.streamer_nic_share.value * shape.network_gbps / 8
    return rate, f"{figures.streamer_nic_share.value:.0%} of {shape.network_gbps:g} Gbps", ("streamer_nic_share",)


def cold_start(spec: PlatformSpec, endpoint: EndpointSpec, sizing: Sizing, *, pulled: bool = False) -> ColdStart:
    """The terms of a new replica of ``endpoint`` as sized, from the catalog's figures; ``pulled``: as if its pool
    did not preload the image (the fallback when a preloaded image is not used)."""
    figures: ServingCatalog = spec.catalog.serving
    model = spec.catalog.models.models[endpoint.model]
    source = model.variants[endpoint.dtype]
    pool = next(p for p in spec.env.gpu_pools if p.name == sizing.chosen.unit.pool)

    def value(name: str) -> float:
        figure: Figure = getattr(figures, name)
        return figure.value

    node = Term("node", value("autoscaler_seconds") + value("node_seconds"), "autoscaler, then a GPU node",
                ("autoscaler_seconds", "node_seconds"))
    pod = Term("pod", value("pod_start_seconds"), "sidecar, weights check, compile cache restore", ("pod_start_seconds",))
    if preload(spec, pool).disk_image and not pulled:
        image = Term("image", value("image_preloaded_seconds"), "secondary boot disk", ("image_preloaded_seconds",))
    else:
        image = Term("image", value("image_gb") * 1000 / value("image_pull_mb_s"),
                     "pulled whole (CMEK caches are not streamed)", ("image_gb", "image_pull_mb_s"))
    if weights_path(source) == STREAMER:
        rate, how, used = streamer_rate(spec, pool)
        weights = Term("weights", source.disk_gb / rate, f"Run:ai streamer from the bucket, {how}", used)
    else:
        weights = Term("weights", source.disk_gb / value("fuse_gb_s"), "GCS FUSE, parallel downloads", ("fuse_gb_s",))
    engine = Term("engine", value("engine_seconds") + value("engine_seconds_per_10b") * model.params_b / 10,
                  "start, cached compile, CUDA graphs, warm-up request", ("engine_seconds", "engine_seconds_per_10b"))
    return ColdStart(node=node, terms=(pod, image, weights, engine), compile_seconds=value("compile_seconds"))
