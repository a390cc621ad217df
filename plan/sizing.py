"""Endpoint sizing: the cheapest way the stack's GPU pools serve a model at its peak concurrency.

For each GPU unit a pool offers (a whole GPU, a MIG slice, a time-shared share) and each
tensor-parallel size TP, one replica holds the weights, the KV cache of ``max_model_len``
tokens for each concurrent sequence, and the runtime's overhead, within ``GPU memory x
utilisation x TP``. TP divides the model's KV heads and is at most the GPUs of one node (1 on
a slice or a share). A replica serves as many sequences as both its memory and the model's
throughput estimate allow; enough replicas serve the peak, within the pool's maximum size. The cheapest (GPU-hour price x
units per replica x replicas at peak) wins; ties go to fewer units, then pool name, then TP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from config.models import Model

UTILISATION = 0.9  # vLLM --gpu-memory-utilization
OVERHEAD_GIB_PER_GPU = 2.0  # CUDA context, activations of the profiling run, CUDA graphs, NCCL buffers
MIG_SLICES = {"1g": 7, "2g": 3, "3g": 2, "4g": 1, "7g": 1}  # slices of that profile one GPU holds
MIG_COMPUTE = {"1g": 1, "2g": 2, "3g": 3, "4g": 4, "7g": 7}  # compute slices (of 7) a profile gets


@dataclass(frozen=True)
class Unit:
    """One way a pool offers GPU capacity to a replica: what ``nvidia.com/gpu: 1`` gets there."""

    pool: str
    accelerator: str
    gpus_per_node: int
    units_per_node: int
    max_units: int  # units_per_node x the pool's max_nodes
    memory_gib: float  # usable by one unit
    fraction: float  # of one GPU's compute
    memory_share: float  # of one GPU's memory: time-shared GPUs are not partitioned, each server takes its share
    hourly: float  # the node's price divided by its units
    spot: bool
    scales_to_zero: bool
    vcpus_per_unit: float
    memory_gib_per_unit: float  # host memory
    describe: str

    @property
    def max_tp(self) -> int:
        return self.gpus_per_node if self.fraction == 1 else 1

    @property
    def utilisation(self) -> float:
        """vLLM's --gpu-memory-utilization on this unit: a fraction of the whole device's memory."""
        return round(UTILISATION * self.memory_share, 4)


@dataclass(frozen=True)
class Option:
    """A unit and a TP size, and what one replica of it does for the model."""

    unit: Unit
    tp: int
    need_gib: float  # weights + overhead + KV of one sequence
    budget_gib: float  # memory x utilisation x TP
    sequences: int  # per replica, at peak
    replicas: int  # to serve the peak
    hourly_at_peak: float
    reason: str = ""  # why it cannot serve (empty: it can)

    @property
    def feasible(self) -> bool:
        return not self.reason

    @property
    def units(self) -> int:
        return self.tp * self.replicas

    def key(self) -> tuple:
        return (round(self.hourly_at_peak, 6), self.units, self.unit.pool, self.tp)


@dataclass(frozen=True)
class Sizing:
    model: str
    dtype: str
    max_model_len: int
    peak: int
    chosen: Option
    min_replicas: int
    max_replicas: int
    weights_gib: float
    kv_gib_per_sequence: float
    rejected: tuple[Option, ...] = field(default_factory=tuple)  # cheaper per replica, but cannot serve

    @property
    def gpus(self) -> dict[str, int]:
        """``nvidia.com/gpu`` units at maximum scale, per accelerator type (the quota this endpoint needs)."""
        return {self.chosen.unit.accelerator: self.chosen.tp * self.max_replicas}


def tp_sizes(model: Model, unit: Unit) -> list[int]:
    """Tensor-parallel sizes vLLM can use: powers of two up to the node's GPUs that divide the KV heads."""
    return [tp for tp in (1, 2, 4, 8, 16) if tp <= unit.max_tp and model.kv_heads % tp == 0]


def option(model: Model, dtype: str, max_model_len: int, peak: int, unit: Unit, tp: int,
           sequences_per_gpu: int | None) -> Option:
    weights = model.weights_gib(dtype)
    kv_sequence = model.kv_gib_per_token() * max_model_len
    budget = unit.memory_gib * UTILISATION * tp
    fixed = weights + OVERHEAD_GIB_PER_GPU * tp
    need = fixed + kv_sequence

    def refused(reason: str) -> Option:
        return Option(unit, tp, need, budget, 0, 0, math.inf, reason)

    if sequences_per_gpu is None:
        return refused(f"no throughput estimate for {unit.accelerator}")
    if need > budget:
        return refused(f"needs {need:.1f} GiB, {budget:.1f} GiB available")
    by_memory = math.inf if kv_sequence == 0 else math.floor((budget - fixed) / kv_sequence)
    by_compute = max(1, math.floor(sequences_per_gpu * unit.fraction * tp))
    sequences = int(min(by_memory, by_compute, peak))
    replicas = math.ceil(peak / sequences)
    if replicas * tp > unit.max_units:
        return Option(unit, tp, need, budget, sequences, replicas, math.inf,
                      f"{replicas} replicas x {tp} need {replicas * tp} units, the pool has {unit.max_units}")
    return Option(unit, tp, need, budget, sequences, replicas, unit.hourly * tp * replicas)


def options(model: Model, dtype: str, max_model_len: int, peak: int, units: list[Unit]) -> list[Option]:
    return [option(model, dtype, max_model_len, peak, unit, tp,
                   model.throughput[unit.accelerator].sequences_per_gpu if unit.accelerator in model.throughput
                   else None)
            for unit in units for tp in tp_sizes(model, unit)]


def cheapest(candidates: list[Option]) -> Option | None:
    feasible = [o for o in candidates if o.feasible]
    return min(feasible, key=Option.key) if feasible else None
