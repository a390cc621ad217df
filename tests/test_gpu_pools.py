"""GPU pools per environment, every optional feature, and each incompatible combination."""

from __future__ import annotations

import pytest

from config import ConfigError, loader
from review.harness import run_stack
from tests.conftest import edit_yaml, fixture_tree

POOL = "gcp:container/nodePool:NodePool"


def gpu_pools(run):
    return [r for r in run.by_type(POOL) if r.parent == "ai-platform:platform:GpuNodePools::gpu"]


def test_dev_gpu_pools_are_spot_and_scale_to_zero(fixture_run):
    pools = gpu_pools(fixture_run("dev"))
    assert pools
    for pool in pools:
        assert pool.inputs["nodeConfig"]["spot"] is True
        assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0
        assert pool.inputs["autoscaling"]["locationPolicy"] == "ANY"


def test_prod_has_small_and_large_model_pools_on_demand(fixture_run):
    pools = {p.inputs["name"]: p.inputs for p in gpu_pools(fixture_run("prod"))}
    types = {p["nodeConfig"]["guestAccelerators"][0]["type"] for p in pools.values()}
    assert "nvidia-l4" in types and types & {"nvidia-a100-80gb", "nvidia-h100-80gb"}
    assert pools["l4"]["nodeConfig"]["spot"] is False and pools["l4"]["autoscaling"]["totalMinNodeCount"] >= 1
    assert pools["l4"]["autoscaling"]["locationPolicy"] == "BALANCED"


def test_pools_only_in_zones_offering_their_gpu(run):
    catalog = run.spec.catalog.accelerators.accelerators
    for pool in gpu_pools(run):
        gpu = pool.inputs["nodeConfig"]["guestAccelerators"][0]
        offered = catalog[gpu["type"]].zones[run.spec.region]
        assert pool.inputs["nodeLocations"] and set(pool.inputs["nodeLocations"]) <= set(offered)
        assert set(pool.inputs["nodeLocations"]) <= set(run.spec.env.zones)


def test_gpu_taint_labels_driver_and_image_streaming(run):
    assert len(gpu_pools(run)) == len(run.spec.env.gpu_pools)
    for pool in gpu_pools(run):
        cfg = pool.inputs["nodeConfig"]
        assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in cfg["taints"]
        assert cfg["labels"]["ai-platform/accelerator"] == cfg["guestAccelerators"][0]["type"]
        assert cfg["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {
            "gpuDriverVersion": run.spec.catalog.versions.gpu_driver}
        assert cfg["gcfsConfig"] == {"enabled": True}


def test_dev_time_sharing(fixture_run):
    accel = gpu_pools(fixture_run("dev"))[0].inputs["nodeConfig"]["guestAccelerators"][0]
    assert accel["gpuSharingConfig"] == {"gpuSharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 2}


FEATURES = [
    {"name": "h100-mig", "accelerator": "nvidia-h100-80gb", "machine_type": "a3-highgpu-8g", "gpus_per_node": 8,
     "min_nodes": 0, "max_nodes": 1, "mig_partition": "3g.40gb", "zones": ["us-central1-a"],
     "compact_placement": True, "local_ssds": 16, "preload_image": False},
    {"name": "a100-queued", "accelerator": "nvidia-a100-80gb", "machine_type": "a2-ultragpu-8g",
     "gpus_per_node": 8, "min_nodes": 0, "max_nodes": 2, "queued_provisioning": True, "flex_start": True},
    {"name": "h100-flex", "accelerator": "nvidia-h100-80gb", "machine_type": "a3-highgpu-1g", "gpus_per_node": 1,
     "min_nodes": 0, "max_nodes": 4, "flex_start": True},
    {"name": "l4-reserved", "accelerator": "nvidia-l4", "machine_type": "g2-standard-8", "gpus_per_node": 1,
     "min_nodes": 1, "max_nodes": 2, "zones": ["us-central1-b"],
     "reservation": {"affinity": "SPECIFIC_RESERVATION", "name": "l4-res"}},
]


@pytest.fixture(scope="module")
def featured(tmp_path_factory):
    root = fixture_tree(tmp_path_factory.mktemp("features"))
    edit_yaml(root / "config/environments/prod.yaml", lambda d: d["gpu_pools"].extend(FEATURES))
    prices = root / "config/catalog/prices.yaml"
    edit_yaml(prices, lambda d: d["regions"]["us-central1"]["machines"].update(
        {m: {"on_demand": 1.0, "spot": 0.5} for m in ("a3-highgpu-1g", "a2-ultragpu-8g")}))
    return {p.inputs["name"]: p.inputs for p in gpu_pools(run_stack("prod", root))}


def test_mig_compact_placement_local_ssd_and_no_preload(featured):
    pool = featured["h100-mig"]
    assert pool["nodeConfig"]["guestAccelerators"][0]["gpuPartitionSize"] == "3g.40gb"
    assert pool["placementPolicy"] == {"type": "COMPACT"}
    assert pool["nodeLocations"] == ["us-central1-a"]
    assert pool["nodeConfig"]["ephemeralStorageLocalSsdConfig"] == {"localSsdCount": 16}
    assert "secondaryBootDisks" not in pool["nodeConfig"], "preload_image: false pulls the image"
    assert featured["a100-queued"]["nodeConfig"]["secondaryBootDisks"] == [
        {"diskImage": "projects/fixture-ai-prod/global/images/vllm-openai-v0-31-0-cu129", "mode": "CONTAINER_IMAGE_CACHE"}]


def test_flex_start_with_queued_provisioning_uses_no_reservation_and_no_repair(featured):
    pool = featured["a100-queued"]
    assert pool["queuedProvisioning"] == {"enabled": True} and pool["nodeConfig"]["flexStart"] is True
    assert pool["management"] == {"autoRepair": False, "autoUpgrade": True}
    assert pool["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool["autoscaling"]["locationPolicy"] == "ANY"


def test_flex_start(featured):
    pool = featured["h100-flex"]
    assert pool["nodeConfig"]["flexStart"] is True
    assert pool["autoscaling"]["locationPolicy"] == "ANY"


def test_specific_reservation(featured):
    assert featured["l4-reserved"]["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name", "values": ["l4-res"]}


L4 = {"name": "x", "accelerator": "nvidia-l4", "machine_type": "g2-standard-8", "gpus_per_node": 1,
      "min_nodes": 0, "max_nodes": 1}


@pytest.mark.parametrize(("change", "expected"), [
    ({"queued_provisioning": True, "compact_placement": True},
     "gpu_pools[3].compact_placement: True cannot be combined with queued_provisioning (GKE refuses it)"),
    ({"queued_provisioning": True, "reservation": {"affinity": "ANY_RESERVATION"}},
     "gpu_pools[3].reservation: 'ANY_RESERVATION' cannot be combined with queued_provisioning: "
     "it obtains capacity without reservations"),
    ({"spot": True, "reservation": {"affinity": "SPECIFIC_RESERVATION", "name": "r"}},
     "gpu_pools[3].reservation: 'SPECIFIC_RESERVATION' cannot be consumed by spot nodes "
     "(set spot: false or drop the reservation)"),
    ({"mig_partition": "1g.10gb"},
     "gpu_pools[3].mig_partition: '1g.10gb' cannot be used: nvidia-l4 has no MIG support (use sharing: TIME_SHARING)"),
    ({"accelerator": "nvidia-a100-80gb", "machine_type": "a2-ultragpu-1g", "mig_partition": "1g.5gb"},
     "gpu_pools[3].mig_partition: '1g.5gb' is not a MIG profile of nvidia-a100-80gb "
     "(expected one of: 1g.10gb, 2g.20gb, 3g.40gb, 7g.80gb)"),
    ({"machine_type": "a2-highgpu-1g"},
     "gpu_pools[3].machine_type: 'a2-highgpu-1g' does not carry nvidia-l4 (shapes that do: g2-standard-4, "
     "g2-standard-8, g2-standard-12, g2-standard-16, g2-standard-24, g2-standard-32, g2-standard-48, g2-standard-96)"),
    ({"gpus_per_node": 2},
     "gpu_pools[3].gpus_per_node: 2 does not match g2-standard-8, which carries 1 (shapes with 2: g2-standard-24)"),
    ({"accelerator": "nvidia-l4x"},
     "gpu_pools[3].accelerator: 'nvidia-l4x' is not in config/catalog/accelerators.yaml (did you mean 'nvidia-l4'?"),
    ({"zones": ["us-central1-f"]},
     "gpu_pools[3].zones[0]: 'us-central1-f' does not offer nvidia-l4 (offered in us-central1-a, us-central1-b, "
     "us-central1-c)"),
    ({"compact_placement": True},
     "gpu_pools[3].compact_placement: True needs the pool in a single zone, but it spans us-central1-a, "
     "us-central1-b, us-central1-c (set zones to one)"),
    ({"accelerator": "nvidia-h100-80gb", "machine_type": "a3-highgpu-1g"},
     "gpu_pools[3].machine_type: 'a3-highgpu-1g' is only offered as spot, flex_start or queued_provisioning"),
    ({"flex_start": True, "min_nodes": 1},
     "gpu_pools[3].min_nodes: 1 must be 0 with flex_start (nodes exist only while requested)"),
    ({"local_ssds": 4}, "gpu_pools[3].local_ssds: 4 is more than g2-standard-8 offers (1)"),
    ({"min_nodes": 3}, "gpu_pools[3].min_nodes: 3 is more than max_nodes (1)"),
    ({"name": "l4"}, "gpu_pools[3].name: 'l4' is used by another GPU pool (names must be unique)"),
])
def test_incompatible_combinations_are_config_errors(config_tree, change, expected):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["gpu_pools"].append({**L4, **change}))
    with pytest.raises(ConfigError) as caught:
        loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)
    assert str(caught.value).startswith(f"config/environments/prod.yaml: {expected}")


def test_accelerator_not_offered_in_the_region(config_tree):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].update({"gcp:region": "asia-northeast3"}))
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: (
        d.update(zones=["asia-northeast3-a"]),
        d["gpu_pools"][0].update(accelerator="nvidia-h100-80gb", machine_type="a3-highgpu-8g", gpus_per_node=8)))
    with pytest.raises(ConfigError) as caught:
        loader.load("dev", loader.stack_config_from_file("dev", config_tree), config_tree)
    assert str(caught.value) == (
        "config/environments/dev.yaml: gpu_pools[0].accelerator: 'nvidia-h100-80gb' is not offered in region "
        "asia-northeast3 (regions offering it: europe-west4, us-central1, us-east4)")


def test_binary_authorization_cannot_be_disabled_in_prod(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["cluster"].update(binary_authorization="disabled"))
    with pytest.raises(ConfigError, match=r"cluster.binary_authorization: 'disabled' must be 'enforce' in prod"):
        loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)


def test_missing_price_is_a_config_error(config_tree):
    edit_yaml(config_tree / "config/catalog/prices.yaml",
              lambda d: d["regions"]["us-central1"]["machines"].pop("a2-ultragpu-2g"))
    with pytest.raises(ConfigError) as caught:
        loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)
    assert str(caught.value) == ("config/catalog/prices.yaml: regions.us-central1.machines: has no price for "
                                 "a2-ultragpu-2g (used by pool 'a100'; add it)")
