"""The review's cost table, computed from a fixture catalog with known numbers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from config import loader
from plan import Plan, capacity
from review.summary import _compute_cost
from tests.conftest import edit_yaml
from tests.helpers import table_rows

PRICES = {
    "source": "test fixture", "as_of": "2026-01-01", "currency": "USD", "hours_per_month": 100,
    "regions": {"us-central1": {
        "gke_cluster_hour": 1.0,
        "machines": {"e2-standard-4": {"on_demand": 2.0, "spot": 1.0}, "g2-standard-8": {"on_demand": 3.0, "spot": 1.5}},
        "gpus": {"nvidia-l4": {"on_demand": 10.0, "spot": 4.0}},
        "storage_gb_month": {"STANDARD": 0.5, "NEARLINE": 0.25, "COLDLINE": 0.1, "ARCHIVE": 0.01},
        "filestore_gb_month": {"BASIC_HDD": 0.1, "BASIC_SSD": 0.2, "ZONAL": 0.3, "REGIONAL": 0.4, "ENTERPRISE": 0.5},
        "cloudsql_storage_gb_month": 1.0,
        "kms_key_version_month": {"SOFTWARE": 0.5, "HSM": 2.0}, "secret_version_month": 0.25,
        "artifact_registry_gb_month": 0.1, "pd_balanced_gb_month": 0.1,
        "cloudsql": {"db-custom-1-3840": {"vcpus": 1, "memory_gb": 3.75, "hourly": 2.0}},
    }},
}


@pytest.fixture
def spec(config_tree):
    edit_yaml(config_tree / "config/catalog/prices.yaml", lambda d: (d.clear(), d.update(PRICES)))
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d.update(
        cpu_pools=[{"name": "system", "machine_type": "e2-standard-4", "min_nodes": 1, "max_nodes": 3}],
        gpu_pools=[{"name": "l4", "accelerator": "nvidia-l4", "machine_type": "g2-standard-8", "gpus_per_node": 1,
                    "spot": True, "min_nodes": 0, "max_nodes": 4},
                   {"name": "l4-od", "accelerator": "nvidia-l4", "machine_type": "g2-standard-8",
                    "gpus_per_node": 1, "min_nodes": 2, "max_nodes": 2}],
        inference={**d["inference"], "endpoints": [{k: v for k, v in e.items() if k != "wake_up_seconds"}
                                                   for e in d["inference"]["endpoints"]]}))
    return loader.load("dev", loader.stack_config_from_file("dev", config_tree), config_tree)


def test_pool_figures(spec):
    pools = {p.name: p for p in capacity.pools(spec)}
    # system: on-demand 2.0/h x 100 h
    assert (pools["system"].monthly_min, pools["system"].monthly_max) == (200.0, 600.0)
    # l4 spot: (1.5 + 4.0)/h x 100 h x 0..4 nodes
    assert (pools["l4"].monthly_min, pools["l4"].monthly_max, pools["l4"].gpus_at_max) == (0.0, 2200.0, 4)
    # l4-od: (3.0 + 10.0)/h x 100 h x 2 nodes
    assert (pools["l4-od"].monthly_min, pools["l4-od"].monthly_max) == (2600.0, 2600.0)
    # totals include the 1.0/h cluster fee
    assert capacity.compute_totals(spec) == (100 + 200 + 0 + 2600, 100 + 600 + 2200 + 2600)


def test_summary_table(spec):
    text = _compute_cost(SimpleNamespace(spec=spec, plan=Plan.of(spec)))
    rows = table_rows(text)
    # created empty (a GPU pool without a reservation), nothing always-on asks for it at rest
    assert ["`l4`", "g2-standard-8 (spot)", "1 × nvidia-l4", "0–4", "0", "0", "4", "$0", "$2,200"] in rows
    assert ["**total**", "", "", "", "", "", "", "**$2,900**", "**$5,500**"] in rows
    assert "(as of 2026-01-01), 100 h/month" in text


def test_packing_and_allocatable_by_hand():
    assert capacity.packed_nodes([2, 2], 2) == 2 and capacity.packed_nodes([1, 1, 1], 2) == 2
    assert capacity.packed_nodes([2, 1, 1], 2) == 2 and capacity.packed_nodes([], 2) == 0
    # GKE reserves 6 % of the first core, 1 % of the second, 0.5 % of the next two; 25 % of the first 4 GiB of
    # memory, 20 % of the next 4, 10 % of the next 8, and 100 MiB for eviction: e2-standard-4 offers 3.92 cores
    cores, gib = capacity.allocatable(4, 16)
    assert cores == pytest.approx(3.92) and gib == pytest.approx(16 - 1 - 0.8 - 0.8 - 100 / 1024)


def test_minimum_replicas_set_the_nodes_at_rest(fixture_spec):
    """prod: gamma's 70B runs its SLA's 2 replicas at TP 2 on 2-GPU A100 nodes, so the pool's minimum of 1 is
    2 at rest; the L4 pool (2 GPUs per node) holds embed 2 + sql 2 + chat 2 single-GPU replicas on 3 nodes,
    its own minimum. staging: the L4 pool scales to zero, yet embed 1 + sql 1 + chat 2 replicas need 4
    one-GPU nodes. dev: every minimum is zero, and the time-shared pool keeps its one warm spare node."""
    prod, staging, dev = (Plan.of(fixture_spec(s)) for s in ("prod", "staging", "dev"))
    a100 = next(p for p in prod.pool_capacity() if p.name == "a100")
    assert (a100.min_nodes, a100.rest_nodes) == (1, 2)
    assert a100.monthly_min == pytest.approx(2 * a100.node_hourly * a100.hours_per_month)
    assert {p.name: p.rest_nodes for p in staging.pool_capacity() if p.kind == "gpu"} == {"l4": 4}
    assert {p.name: p.rest_nodes for p in prod.pool_capacity() if p.kind == "gpu"} == {"l4": 3, "l4-spot": 0,
                                                                                         "a100": 2}
    assert {p.name: p.rest_nodes for p in dev.pool_capacity() if p.kind == "gpu"} == {"l4": 1, "l4-full": 0}


def test_always_on_genbi_holds_the_tenant_pool(fixture_spec):
    """dev's tenant pool (spot e2-standard-4, minimum 0) carries two GenBIs at all hours: 6.2 cores of pods in
    3.92-core nodes pack onto 2 of them."""
    dev = Plan.of(fixture_spec("dev"))
    assert dev.rest_nodes()["workload"] == 2
    low, _ = dev.compute_totals()
    assert low > capacity.compute_totals(dev.spec)[0]


def test_data_costs(spec):
    costs = {c.item: c.monthly for c in capacity.data_costs(spec)}
    # dev buckets: models 200 GB + artifacts 20 GB + audit 5 GB STANDARD at 0.5, backups 50 GB NEARLINE at 0.25
    assert costs["bucket models"] == 100.0 and costs["bucket backups"] == 12.5
    assert "Filestore model cache" not in costs  # the dev fixture has none
    # Cloud SQL zonal: 2.0/h x 100 h + 20 GB x 1.0
    assert costs["Cloud SQL PostgreSQL"] == 220.0


def test_regional_database_costs_twice(config_tree, spec):
    for tenant in (config_tree / "config/tenants").glob("*.yaml"):
        tenant.unlink()  # this fixture has no GPU pool for them
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["data"]["database"].update(
        tier="db-custom-1-3840", disk_size_gb=20))
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d.update(
        cpu_pools=[{"name": "system", "machine_type": "e2-standard-4", "min_nodes": 3, "max_nodes": 3}],
        gpu_pools=[], inference={"endpoints": []}, data={**d["data"], "filestore": {"tier": "ZONAL", "capacity_gb": 1024}}))
    prod = loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)
    costs = {c.item: c.monthly for c in capacity.data_costs(prod)}
    assert costs["Cloud SQL PostgreSQL"] == 440.0
    # Filestore ZONAL 1024 GiB at 0.3
    assert costs["Filestore model cache"] == pytest.approx(307.2)


def test_service_costs(spec):
    costs = {c.item: c.monthly for c in capacity.service_costs(spec, keys=8, secrets=6)}
    # dev: SOFTWARE keys at 0.5, secrets at 0.25, 50 GB cached images at 0.1
    assert costs == {"Cloud KMS keys": 4.0, "Secret Manager": 1.5, "Artifact Registry caches": 5.0}
