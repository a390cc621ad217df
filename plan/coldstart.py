"""How long a new inference replica takes to serve, from the figures in config/catalog/serving.yaml.

A replica's cold start is: a node (when the pool must grow), the serving image (pulled whole:
the platform's image caches are CMEK-encrypted, which image streaming does not serve, unless
the pool preloads the image on a secondary boot disk), the weights through GCS FUSE's parallel
downloads, and vLLM's warm-up (profiling, CUDA graphs, compilation). The review prints each
term with its source; the startup probe's budget is the part after the container starts, doubled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.catalog import ServingCatalog
from plan.sizing import Sizing


@dataclass(frozen=True)
class ColdStart:
    node: float
    image: float
    weights: float
    warmup: float
    image_path: str  # how the image arrives
    sources: tuple[str, ...]

    @property
    def total(self) -> float:
        return self.node + self.image + self.weights + self.warmup

    @property
    def probe_budget(self) -> int:
        """Seconds the startup probe allows once the container runs: weights and warm-up, doubled, at least 5 min."""
        return max(300, int(math.ceil((self.weights + self.warmup) * 2 / 60) * 60))


def cold_start(spec, endpoint, sizing: Sizing) -> ColdStart:
    figures: ServingCatalog = spec.catalog.serving
    model = spec.catalog.models.models[endpoint.model]
    unit = sizing.chosen.unit
    if unit.image_preloaded:
        image, path = figures.image_preloaded_seconds.value, "secondary boot disk"
    else:
        image, path = figures.image_gb.value * 1000 / figures.image_pull_mb_s.value, "whole pull: CMEK images are not streamed"
    weights = sizing.weights_gib * 2**30 / 1e9 / figures.weights_gb_s.value
    warmup = figures.warmup_seconds.value + figures.warmup_seconds_per_10b.value * model.params_b / 10
    used = (figures.node_seconds, figures.image_preloaded_seconds if unit.image_preloaded else figures.image_pull_mb_s,
            figures.weights_gb_s, figures.warmup_seconds)
    return ColdStart(node=figures.node_seconds.value, image=image, weights=weights, warmup=warmup, image_path=path,
                     sources=tuple(dict.fromkeys(f.source for f in used)))
