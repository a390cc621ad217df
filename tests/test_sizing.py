"""Endpoint sizing: equal to a brute-force search, right on hand-computed cases, clear on bad input."""

from __future__ import annotations

import math
import random

import pytest
import yaml

import config
from config import loader
from config.tenancy import EndpointSpec
from plan import Plan
from plan.endpoints import SizingError, size_endpoint
from plan.sizing import OVERHEAD_GIB_PER_GPU, UTILISATION

GIB = 2**30
# Shapes the price catalog knows, by accelerator (machine type, GPUs per node).
SHAPES = {"nvidia-l4": [("g2-standard-8", 1), ("g2-standard-24", 2), ("g2-standard-48", 4)],
          "nvidia-a100-80gb": [("a2-ultragpu-1g", 1), ("a2-ultragpu-2g", 2)],
          "nvidia-tesla-a100": [("a2-highgpu-1g", 1)],
          "nvidia-h100-80gb": [("a3-highgpu-8g", 8)]}
MIG = {"nvidia-a100-80gb": ["1g.10gb", "2g.20gb", "3g.40gb"], "nvidia-tesla-a100": ["1g.5gb", "2g.10gb", "3g.20gb"],
       "nvidia-h100-80gb": ["1g.20gb", "2g.20gb", "3g.40gb"]}
SLICES = {"1g": (7, 1), "2g": (3, 2), "3g": (2, 3)}  # profile -> (slices per GPU, sevenths of compute)


def with_pools(spec, pools: list[dict], environment: str | None = None):
    env = spec.env.model_copy(update={"gpu_pools": [type(spec.env.gpu_pools[0]).model_validate(p) for p in pools]})
    update = {"env": env}
    if environment:
        update["environment"] = environment
    return spec.model_copy(update=update)


def brute_force(spec, endpoint: EndpointSpec, sla: float):
    """Every pool x TP x replica count, priced; the cheapest that serves the peak (same tie-breaks)."""
    catalog = spec.catalog
    model = catalog.models.models[endpoint.model]
    prices = catalog.prices.regions[spec.region]
    weights = model.params_b * 1e9 * {"bf16": 2, "fp8": 1, "awq": 0.55, "gptq": 0.55}[endpoint.dtype] / GIB
    kv = 0 if model.kind == "embedding" else 2 * model.layers * model.kv_heads * model.head_dim * 2 / GIB
    kv *= endpoint.max_model_len
    best = None
    for pool in spec.env.gpu_pools:
        if endpoint.accelerators and pool.accelerator not in endpoint.accelerators:
            continue
        if pool.spot and spec.environment != "dev" and sla >= 99.9:
            continue
        gpu = catalog.accelerators.accelerators[pool.accelerator]
        price = "spot" if pool.spot else "on_demand"
        node_hourly = (getattr(prices.machines[pool.machine_type], price)
                       + pool.gpus_per_node * getattr(prices.gpus[pool.accelerator], price))
        memory, compute, per_gpu = gpu.gpu_memory_gb * 1e9 / GIB, 1.0, 1
        if pool.mig_partition:
            profile, size = pool.mig_partition.split(".")
            per_gpu, sevenths = SLICES[profile]
            memory, compute = float(size.removesuffix("gb")) * 1e9 / GIB, sevenths / 7
        elif pool.sharing:
            per_gpu = pool.sharing.max_clients
            memory, compute = memory / per_gpu, 1 / per_gpu
        units_per_node = pool.gpus_per_node * per_gpu
        throughput = model.throughput.get(pool.accelerator)
        if throughput is None:
            continue
        for tp in range(1, (pool.gpus_per_node if per_gpu == 1 else 1) + 1):
            if tp & (tp - 1) or model.kv_heads % tp:
                continue
            budget = memory * UTILISATION * tp
            room = budget - weights - OVERHEAD_GIB_PER_GPU * tp
            if room < kv:
                continue
            per_replica = min(max(1, math.floor(throughput.sequences_per_gpu * compute * tp)),
                              math.floor(room / kv) if kv else math.inf)
            for replicas in range(1, units_per_node * pool.max_nodes // tp + 1):
                if replicas * per_replica >= endpoint.peak_concurrency:
                    cost = node_hourly / units_per_node * tp * replicas
                    key = (round(cost, 6), tp * replicas, pool.name, tp)
                    if best is None or key < best[0]:
                        best = (key, pool.name, tp, replicas, cost)
                    break
    return best


def random_pool(rng: random.Random, i: int) -> dict:
    accelerator = rng.choice(list(SHAPES))
    machine, gpus = rng.choice(SHAPES[accelerator])
    pool = {"name": f"p{i}", "accelerator": accelerator, "machine_type": machine, "gpus_per_node": gpus,
            "spot": rng.random() < 0.3, "min_nodes": 0, "max_nodes": rng.randint(1, 6)}
    roll = rng.random()
    if roll < 0.2 and accelerator in MIG:
        pool["mig_partition"] = rng.choice(MIG[accelerator])
    elif roll < 0.4:
        pool["sharing"] = {"strategy": "TIME_SHARING", "max_clients": rng.randint(2, 4)}
    return pool


def random_endpoint(rng: random.Random, models) -> EndpointSpec:
    key = rng.choice(sorted(models))
    model = models[key]
    return EndpointSpec(name="e", model=key, dtype=rng.choice(sorted(model.variants)),
                        max_model_len=rng.choice([m for m in (1024, 2048, 4096, 8192, 16384, 32768, 131072)
                                                  if m <= model.max_context]),
                        peak_concurrency=rng.randint(1, 120))


def test_sizing_equals_brute_force_on_generated_cases(fixture_spec):
    base = fixture_spec("prod")
    models = base.catalog.models.models
    rng = random.Random(20261201)  # noqa: S311 (reproducible test cases)
    compared = feasible = 0
    while compared < 200:
        spec = with_pools(base, [random_pool(rng, i) for i in range(rng.randint(1, 4))],
                          environment=rng.choice(["dev", "staging", "prod"]))
        endpoint, sla = random_endpoint(rng, models), rng.choice([99.0, 99.5, 99.9, 99.95])
        expected = brute_force(spec, endpoint, sla)
        try:
            sizing = size_endpoint(spec, endpoint, sla)
        except SizingError:
            assert expected is None, (endpoint, spec.env.gpu_pools)
        else:
            chosen = sizing.chosen
            assert expected is not None, (endpoint, spec.env.gpu_pools)
            assert (chosen.unit.pool, chosen.tp, chosen.replicas) == expected[1:4], (endpoint, spec.env.gpu_pools)
            assert chosen.hourly_at_peak == pytest.approx(expected[4])
            feasible += 1
        compared += 1
    assert feasible >= 50, "the generator must produce enough servable cases"


def test_8b_bf16_on_one_l4_at_8k(fixture_spec):
    """Weights 8.03e9 x 2 B = 14.96 GiB; KV 2 x 32 layers x 8 heads x 128 x 2 B = 128 KiB per token, 1.0 GiB
    for 8,192 tokens; +2 GiB runtime = 17.96 GiB within 24 GB (22.35 GiB) x 0.9 = 20.12 GiB: one L4, TP 1,
    and (20.12 - 16.96) / 1.0 = 3 full-length sequences per replica."""
    spec = with_pools(fixture_spec("staging"), [{"name": "l4", "accelerator": "nvidia-l4", "machine_type": "g2-standard-8",
                                                 "gpus_per_node": 1, "min_nodes": 0, "max_nodes": 4}])
    endpoint = EndpointSpec(name="chat", model="llama-3.1-8b-instruct", max_model_len=8192, peak_concurrency=3)
    sizing = size_endpoint(spec, endpoint, 99.5)
    assert sizing.weights_gib == pytest.approx(14.957, abs=1e-3)
    assert sizing.kv_gib_per_sequence == pytest.approx(1.0)
    assert sizing.chosen.need_gib == pytest.approx(17.957, abs=1e-3)
    assert sizing.chosen.budget_gib == pytest.approx(20.117, abs=1e-3)
    assert (sizing.chosen.tp, sizing.chosen.sequences, sizing.chosen.replicas) == (1, 3, 1)
    assert sizing.gpus == {"nvidia-l4": 1}


def test_70b_bf16_needs_more_than_one_80gb_gpu(fixture_spec):
    """Weights 70.6e9 x 2 B = 131.5 GiB: more than one 80 GB GPU holds (74.5 GiB). Two A100 80GB give
    2 x 74.5 x 0.9 = 134.1 GiB, less than 131.5 + 2 x 2 + 2.5 (8k tokens x 320 KiB) = 138.0 GiB: the
    stack's 2-GPU A100 nodes cannot serve it. Eight H100 per node allow TP 4: 268.2 GiB."""
    endpoint = EndpointSpec(name="big", model="llama-3.3-70b-instruct", max_model_len=8192, peak_concurrency=32)
    a100 = with_pools(fixture_spec("prod"), [{"name": "a100", "accelerator": "nvidia-a100-80gb",
                                              "machine_type": "a2-ultragpu-2g", "gpus_per_node": 2, "min_nodes": 0,
                                              "max_nodes": 4}])
    with pytest.raises(SizingError) as refused:
        size_endpoint(a100, endpoint, 99.5)
    assert refused.value.message == (
        "(bf16, 8192 tokens) needs 138.0 GiB per replica and fits nowhere in stack prod: the largest "
        "configuration is pool 'a100' (a2-ultragpu-2g, 2 × NVIDIA A100 80GB) with TP 2 (134.1 GiB usable)")
    h100 = with_pools(fixture_spec("prod"), [{"name": "h100", "accelerator": "nvidia-h100-80gb",
                                              "machine_type": "a3-highgpu-8g", "gpus_per_node": 8, "min_nodes": 0,
                                              "max_nodes": 2}])
    sizing = size_endpoint(h100, endpoint, 99.5)
    assert sizing.weights_gib == pytest.approx(131.5, abs=0.05)
    assert (sizing.chosen.tp, round(sizing.chosen.budget_gib, 1)) == (4, 268.2)
    rejected = {o.tp: o.reason for o in sizing.rejected}
    assert rejected == {1: "needs 136.0 GiB, 67.1 GiB available", 2: "needs 138.0 GiB, 134.1 GiB available"}


def test_time_shared_units_get_their_share_of_memory(fixture_spec):
    """dev's L4s are shared by two servers: each may use 0.45 of the GPU's memory, and vLLM is told so."""
    spec = fixture_spec("dev")
    embed = next(e for e in spec.env.inference.endpoints if e.model == "bge-m3")
    sizing = Plan.of(spec).shared_sizing(embed)
    assert sizing.chosen.unit.pool == "l4" and sizing.chosen.unit.utilisation == 0.45


# --- bad input: one line each, naming the file and the field -----------------------------------

def error_for(config_tree, **endpoint) -> str:
    workload = {"kind": "inference", "name": "chat", "model": "llama-3.1-8b-instruct", "max_model_len": 8192,
                "peak_concurrency": 2, **endpoint}
    (config_tree / "config/tenants/zeta.yaml").write_text(yaml.safe_dump({
        "name": "zeta", "display_name": "Zeta", "tier": "standard", "stacks": ["staging"], "owners": ["a@example.com"],
        "alerts": {"emails": ["oncall@example.com"]},
        "sla": 99.5, "workloads": [workload]}))
    with pytest.raises(config.ConfigError) as caught:
        loader.load("staging", loader.stack_config_from_file("staging", config_tree), config_tree)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("endpoint", "expected"), [
    ({"model": "llama-3.1-8b"}, "config/tenants/zeta.yaml: workloads[0].model: 'llama-3.1-8b' is not in "
     "config/catalog/models.yaml (did you mean 'llama-3.1-8b-instruct'? known: "),
    ({"dtype": "gptq"}, "config/tenants/zeta.yaml: workloads[0].dtype: 'gptq' is not offered for "
     "llama-3.1-8b-instruct (offered: bf16, fp8, awq)"),
    ({"model": "qwen2.5-32b-instruct", "dtype": "awq", "max_model_len": 65536},
     "config/tenants/zeta.yaml: workloads[0].max_model_len: 65536 is above qwen2.5-32b-instruct's maximum context "
     "(32768)"),
    ({"tensor_parallel": 3}, "config/tenants/zeta.yaml: workloads[0].tensor_parallel: 3 does not divide "
     "llama-3.1-8b-instruct's 8 KV heads (use 1, 2, 4, 8)"),
    ({"accelerators": ["nvidia-h100-80gb"]}, "config/tenants/zeta.yaml: workloads[0].accelerators[0]: "
     "'nvidia-h100-80gb' has no GPU pool in stack staging (pools offer: nvidia-l4)"),
    ({"model": "llama-3.3-70b-instruct"}, "config/tenants/zeta.yaml: workloads[0].model: 'llama-3.3-70b-instruct' "
     "(bf16, 8192 tokens) needs 136.0 GiB per replica and fits nowhere in stack staging: the largest configuration "
     "is pool 'l4' (g2-standard-8, 1 × NVIDIA L4) with TP 1 (20.1 GiB usable)"),
    ({"max_replicas": 1, "peak_concurrency": 12}, "config/tenants/zeta.yaml: workloads[0].max_replicas: 1 cannot "
     "serve the peak of 12 concurrent sequences: 4 replicas of 3 are needed"),
])
def test_bad_endpoint_gets_one_line(config_tree, endpoint, expected):
    assert error_for(config_tree, **endpoint).startswith(expected)


def test_shared_endpoint_errors_name_the_environment_file(config_tree):
    from tests.conftest import edit_yaml
    edit_yaml(config_tree / "config/environments/staging.yaml",
              lambda d: d["inference"]["endpoints"][1].update(model="qwen-coder"))
    with pytest.raises(config.ConfigError) as caught:
        loader.load("staging", loader.stack_config_from_file("staging", config_tree), config_tree)
    assert str(caught.value).startswith("config/environments/staging.yaml: inference.endpoints[1].model: "
                                        "'qwen-coder' is not in config/catalog/models.yaml")


def test_gated_model_without_a_token_secret(config_tree):
    from tests.conftest import edit_yaml
    edit_yaml(config_tree / "config/environments/staging.yaml", lambda d: d["data"]["secrets"].update(
        external=[s for s in d["data"]["secrets"]["external"] if s["name"] != "hf-token"]))
    with pytest.raises(config.ConfigError) as caught:
        loader.load("staging", loader.stack_config_from_file("staging", config_tree), config_tree)
    assert str(caught.value) == (
        "config/tenants/alpha.yaml: workloads[0].model: 'llama-3.1-8b-instruct' (bf16) is gated on Hugging Face: "
        "declare data.secrets.external 'hf-token' with readers [inference/model-loader] in "
        "config/environments/staging.yaml, then `pulumi config set --secret ai-platform:hfToken hf_...`")
