"""The GCP quota a first apply needs, per region and metric, with known numbers on the fixture."""

from __future__ import annotations

import pytest

from config import loader
from plan import Plan
from plan.project_quota import quota_needs
from review.harness import run_program
from tests.conftest import edit_yaml
from tests.helpers import table_rows


def needs(spec) -> dict[str, tuple[int, int, int]]:
    return {f"{n.scope}/{n.metric}": (n.first_apply, n.at_rest, n.at_max)
            for n in quota_needs(spec, Plan.of(spec).rest_nodes())}


def test_prod_quota_with_known_numbers(fixture_spec):
    """Fixture prod: system n2-standard-4 3-9 and workload n2-standard-16 3-12 over 3 zones; l4 g2-standard-24
    (2 GPUs, 24 vCPU, 2 local SSDs) 3-8; l4-spot g2-standard-8 0-8; a100 a2-ultragpu-2g (2 GPUs, 24 vCPU,
    2 local SSDs, 500 GB disk) 1-4 in one zone. GPU pools start empty (no reservation); at rest the A100 pool
    holds the 70B endpoint's 2 TP-2 replicas on 2 nodes, the L4 pool its minimum of 3."""
    q = needs(fixture_spec("prod"))
    assert q["us-central1/N2_CPUS"] == (3 * 4 + 3 * 16, 3 * 4 + 3 * 16, 9 * 4 + 12 * 16)
    assert q["us-central1/G2_CPUS"] == (0, 3 * 24, 8 * 24)
    assert q["us-central1/A2_CPUS"] == (0, 2 * 24, 4 * 24)
    assert q["us-central1/NVIDIA_L4_GPUS"] == (0, 3 * 2, 8 * 2)
    assert q["us-central1/PREEMPTIBLE_NVIDIA_L4_GPUS"] == (0, 0, 8)  # spot
    assert q["us-central1/PREEMPTIBLE_CPUS"] == (0, 0, 8 * 8)
    assert q["us-central1/NVIDIA_A100_80GB_GPUS"] == (0, 2 * 2, 8)
    assert q["us-central1/LOCAL_SSD_TOTAL_GB"] == (0, (3 * 2 + 2 * 2) * 375, (8 * 2 + 4 * 2) * 375)
    # boot disks: 100 GB CPU pools, 200 GB l4 pools, 500 GB a100
    # (+ GKE's default pool, 100 GB per zone, while the cluster is created)
    assert q["us-central1/SSD_TOTAL_GB"] == (6 * 100 + 3 * 100, 6 * 100 + 3 * 200 + 2 * 500,
                                             21 * 100 + 16 * 200 + 4 * 500)
    assert q["us-central1/CPUS"] == (3 * 2, 0, 0)  # the default pool's e2-medium nodes, deleted after creation
    assert q["global/GPUS_ALL_REGIONS"] == (0, 3 * 2 + 2 * 2, 32)


def test_a_reserved_gpu_pool_starts_with_its_minimum(config_tree):
    """Reserved capacity exists, so a pool that consumes a reservation is created with its minimum."""
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["gpu_pools"][2].update(
        reservation={"affinity": "SPECIFIC_RESERVATION", "name": "a100-prod"}))
    q = needs(loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree))
    assert q["us-central1/NVIDIA_A100_80GB_GPUS"] == (2, 4, 8)


def test_dev_needs_almost_nothing_at_first_apply(fixture_spec):
    q = needs(fixture_spec("dev"))
    assert q["us-central1/CPUS"] == (4 + 2, 4, 12)  # e2 counts against CPUS: one system node (+ the default pool)
    # spot: the e2-standard-4 workload pool (0-4, two nodes at rest for the GenBIs) and two g2-standard-8 L4 pools,
    # one node of which is a warm spare at rest
    assert q["us-central1/PREEMPTIBLE_CPUS"] == (0, 2 * 4 + 8, 4 * 4 + 2 * 2 * 8)
    assert q["us-central1/PREEMPTIBLE_NVIDIA_L4_GPUS"] == (0, 1, 2 * 2)


def test_every_stack_has_a_quota_row_for_every_gpu_pool(run):
    metrics = {n.metric for n in quota_needs(run.spec)}
    for pool in run.spec.env.gpu_pools:
        metric = run.spec.catalog.accelerators.accelerators[pool.accelerator].quota_metric
        assert metric in metrics or f"PREEMPTIBLE_{metric}" in metrics, pool.name


def test_node_pools_start_with_min_nodes_but_unreserved_gpu_pools_empty(run):
    """A GPU pool's create waits for its nodes, and a stockout would halt the apply half way: unless a
    reservation holds its capacity, it starts empty and the autoscaler brings its nodes."""
    reserved = {p.name for p in run.spec.env.gpu_pools if p.reservation is not None}
    for pool in run.by_type("gcp:container/nodePool:NodePool"):
        total = pool.inputs["initialNodeCount"] * len(pool.inputs["nodeLocations"])
        gpu = bool(pool.inputs["nodeConfig"].get("guestAccelerators"))
        expected = 0 if gpu and pool.inputs["name"] not in reserved else pool.inputs["autoscaling"]["totalMinNodeCount"]
        assert total == expected, pool.name


def test_the_review_prints_the_quota_table(fixture_run):
    from review.summary import render_summary
    text = render_summary(fixture_run("prod"))
    assert "## GCP quota needed" in text
    assert ["us-central1", "`NVIDIA_A100_80GB_GPUS`", "0", "4", "8", "a100"] in table_rows(text)


def test_an_unknown_invoke_fails_loudly():
    import pulumi_gcp as gcp

    with pytest.raises(Exception, match="do not know the invoke gcp:compute/getZones:getZones"):
        run_program(lambda: gcp.compute.get_zones(), "dev")
