"""Layer 1: every user mistake is one line naming file, field, value and the fix."""

from __future__ import annotations

import pytest

from config import ConfigError, loader
from tests.conftest import STACKS, edit_yaml
from tests.helpers import load_error


def load(root, stack="dev"):
    return loader.load(stack, loader.stack_config_from_file(stack, root), root)


def error_of(root, stack="dev") -> str:
    with pytest.raises(ConfigError) as caught:
        load(root, stack)
    return str(caught.value)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_of_the_tree_loads(stack):
    spec = loader.load(stack, loader.stack_config_from_file(stack))
    assert spec.stack == stack
    assert spec.regional is (len(spec.env.zones) > 1)


def test_fixture_environments(fixture_spec):
    specs = {s: fixture_spec(s) for s in ("dev", "staging", "prod")}
    assert {s: (spec.env.protect, spec.regional) for s, spec in specs.items()} == {
        "dev": (False, False), "staging": (True, True), "prod": (True, True)}


def test_spec_is_frozen(fixture_spec):
    spec = fixture_spec("dev")
    with pytest.raises(Exception, match="frozen"):
        spec.env.network.pods_range = "10.0.0.0/8"


def test_misspelled_key_suggests_the_right_one(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["network"].update(pod_range=d["network"].pop("pods_range")))
    message = error_of(config_tree, "prod")
    assert message.startswith("config/environments/prod.yaml: network.pod_range: unknown key (did you mean 'pods_range'?")
    assert "\n" not in message


def test_top_level_unknown_key_lists_allowed_keys(config_tree):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d.update(protekt=True))
    assert error_of(config_tree) == (
        "config/environments/dev.yaml: protekt: unknown key (did you mean 'protect'? "
        "allowed: cluster, cpu_pools, data, dr, encryption, entry, generation, gpu_pools, image_supply, inference, "
        "network, operations, policy, prefix, protect, tenancy, zones)")


def test_invalid_cidr_names_value_and_expected_form(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["network"].update(pods_range="10.4.0.0/33"))
    assert error_of(config_tree, "prod") == (
        "config/environments/prod.yaml: network.pods_range: '10.4.0.0/33' is not an IPv4 network "
        "(expected CIDR like 10.4.0.0/14)")


def test_cidr_with_host_bits_suggests_the_network(config_tree):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d["network"].update(services_range="10.16.0.5/20"))
    assert error_of(config_tree) == (
        "config/environments/dev.yaml: network.services_range: '10.16.0.5/20' has host bits set "
        "(did you mean 10.16.0.0/20?)")


@pytest.mark.parametrize(("field", "value", "other"), [
    ("pods_range", "10.8.0.0/14", "primary_range"),
    ("services_range", "10.12.0.0/20", "pods_range"),
    ("control_plane_range", "10.10.0.16/28", "primary_range"),
    ("proxy_only_range", "10.16.0.0/23", "services_range"),
    ("private_service_access_range", "10.10.0.0/16", "primary_range"),
])
def test_overlapping_ranges_name_both_fields(config_tree, field, value, other):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d["network"].update({field: value}))
    message = error_of(config_tree)
    assert message.startswith(f"config/environments/dev.yaml: network.{field}: '{value}' overlaps network.{other} ")
    assert message.endswith("must all be disjoint)")


@pytest.mark.parametrize(("field", "value", "why"), [
    ("control_plane_range", "172.16.0.0/27", "GKE needs exactly a /28"),
    ("private_service_access_range", "10.20.0.0/25", "private service access needs at least a /24"),
    ("proxy_only_range", "10.10.16.0/27", "a proxy-only subnet needs at least a /26"),
])
def test_range_sizes(config_tree, field, value, why):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d["network"].update({field: value}))
    assert why in error_of(config_tree)


def test_wrong_type_names_field_and_value(config_tree):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d.update(protect="sometimes"))
    assert error_of(config_tree) == (
        "config/environments/dev.yaml: protect: 'sometimes' is not valid: input should be a valid boolean, "
        "unable to interpret input")


def test_missing_required_field(config_tree):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d["network"].pop("services_range"))
    assert error_of(config_tree) == "config/environments/dev.yaml: network.services_range: is required but missing"


def test_unknown_region_suggests_a_close_one(config_tree):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].update({"gcp:region": "europe-west99"}))
    assert error_of(config_tree) == (
        "Pulumi.dev.yaml: gcp:region: 'europe-west99' is not a GCP region (did you mean 'europe-west9'? "
        "known regions are listed in config/catalog/regions.yaml)")


def test_zone_outside_the_region(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d.update(zones=["us-central1-a", "us-east1-b"]))
    assert error_of(config_tree, "prod") == (
        "config/environments/prod.yaml: zones[1]: 'us-east1-b' is not a zone of region us-central1 "
        "(expected one of: us-central1-a, us-central1-b, us-central1-c, us-central1-f)")


def test_unknown_environment(config_tree):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].update({"ai-platform:environment": "qa"}))
    assert error_of(config_tree) == (
        "Pulumi.dev.yaml: ai-platform:environment: 'qa' is not a known environment "
        "(expected one of: dev, staging, prod)")


def test_missing_environment_file(config_tree):
    (config_tree / "config/environments/staging.yaml").unlink()
    assert error_of(config_tree, "staging") == (
        "config/environments/staging.yaml: file not found (every environment named by a stack needs one; "
        "copy config/environments/dev.yaml to start)")


def test_missing_stack_setting(config_tree):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].pop("gcp:project"))
    assert error_of(config_tree) == "Pulumi.dev.yaml: gcp:project: is required but missing (pulumi config set gcp:project <value>)"


def test_unknown_project_setting_key(config_tree):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].update({"ai-platform:enviroment": "dev"}))
    assert error_of(config_tree).startswith(
        "Pulumi.dev.yaml: ai-platform:enviroment: unknown key (did you mean 'ai-platform:environment'?")


@pytest.mark.parametrize(("project", "ok"), [("abcdef", True), ("a" * 30, True), ("abcde", False),
                                              ("a" * 31, False), ("1project", False), ("my_project", False)])
def test_project_id_limits(config_tree, project, ok):
    edit_yaml(config_tree / "Pulumi.dev.yaml", lambda d: d["config"].update({"gcp:project": project}))
    if ok:
        assert load(config_tree).project == project
    else:
        assert error_of(config_tree).startswith(f"Pulumi.dev.yaml: project: '{project}' is not a GCP project id")


@pytest.mark.parametrize(("prefix", "message"), [
    ("AIP", "'AIP' is not a DNS-1123 label"),
    ("a-", "'a-' is not a DNS-1123 label"),
    ("platform9", "'platform9' is not valid: string should have at most 8 characters"),
])
def test_prefix_must_be_a_short_dns_label(config_tree, prefix, message):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d.update(prefix=prefix))
    assert error_of(config_tree).startswith(f"config/environments/dev.yaml: prefix: {message}")


def test_duplicate_yaml_key_is_an_error(config_tree):
    path = config_tree / "config/environments/dev.yaml"
    text = path.read_text() + "protect: true\n"
    path.write_text(text)
    line = text.count("\n")
    assert error_of(config_tree) == (
        f"config/environments/dev.yaml: line {line}: invalid YAML: key 'protect' appears twice in one mapping")


def test_invalid_yaml_names_the_line(config_tree):
    path = config_tree / "config/environments/dev.yaml"
    path.write_text("prefix: [aip\n")
    assert error_of(config_tree).startswith("config/environments/dev.yaml: line 2: invalid YAML:")


def test_several_problems_still_one_line(config_tree):
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d.update(protect="x", prefix="UP"))
    message = error_of(config_tree)
    assert "\n" not in message and message.endswith("(and 1 more problem in this file)")


def test_a_tenant_file_ending_in_yml_is_refused(config_tree):
    (config_tree / "config/tenants/alpha.yaml").rename(config_tree / "config/tenants/alpha.yml")
    assert error_of(config_tree) == (
        "config/tenants/alpha.yml: tenant files end in .yaml, not .yml (rename it to alpha.yaml)")


def test_a_cpu_shape_missing_from_the_catalog_is_one_line(config_tree):
    """A shape the schema accepts but nobody knows (its vCPUs feed capacity) fails clearly, not with a traceback."""
    edit_yaml(config_tree / "config/environments/dev.yaml",
              lambda d: d["cpu_pools"][1].update(machine_type="c3-standard-4-lssd"))
    assert error_of(config_tree) == (
        "config/environments/dev.yaml: cpu_pools[1].machine_type: 'c3-standard-4-lssd' is not in "
        "config/catalog/machines.yaml (did you mean 'c3-standard-4'? add its vCPUs and memory there)")



@pytest.mark.parametrize(("mode", "message"), [
    ("VULNERABILITY_BASIC", "'VULNERABILITY_BASIC' is no longer offered by GKE (shut down on 2025-07-31); use "
                            "VULNERABILITY_DISABLED (images are scanned by Artifact Analysis in Artifact Registry)"),
    ("VULNERABILITY_ENTERPRISE", "'VULNERABILITY_ENTERPRISE' is no longer offered by GKE (shut down on 2026-06-16)"),
])
def test_retired_vulnerability_scanning_is_refused(config_tree, mode, message):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["cluster"].update(vulnerability_scanning=mode))
    assert error_of(config_tree, "prod").startswith(f"config/environments/prod.yaml: cluster.vulnerability_scanning: "
                                                    f"{message}")


def test_enterprise_posture_needs_gke_enterprise(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["cluster"].update(security_posture="ENTERPRISE"))
    assert error_of(config_tree, "prod") == (
        "config/environments/prod.yaml: cluster.security_posture: 'ENTERPRISE' needs GKE Enterprise "
        "(set gke_enterprise: true if the project has it, or use BASIC)")
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["cluster"].update(gke_enterprise=True))
    assert load(config_tree, "prod").env.cluster.security_posture == "ENTERPRISE"


def test_generation_only_where_nothing_is_protected(config_tree):
    edit_yaml(config_tree / "config/environments/staging.yaml", lambda d: d.update(generation=2))
    assert error_of(config_tree, "staging") == (
        "config/environments/staging.yaml: generation: 2 renames (replaces) key rings and the database: only for "
        "environments with protect: false")


def test_min_nodes_must_split_over_the_zones(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["cpu_pools"][0].update(min_nodes=4))
    assert error_of(config_tree, "prod") == (
        "config/environments/prod.yaml: cpu_pools[0].min_nodes: 4 does not split over the pool's 3 zones: it would "
        "start with 6 nodes (the initial count is per zone); use a multiple of 3 or list fewer zones")


def test_a_machine_family_without_a_quota_metric_is_refused(config_tree):
    edit_yaml(config_tree / "config/catalog/machines.yaml", lambda d: d["cpu_quota"].pop("n2"))
    assert error_of(config_tree, "prod") == (
        "config/environments/prod.yaml: cpu_pools[0].machine_type: 'n2-standard-4' has no vCPU quota metric for "
        "family n2 in config/catalog/machines.yaml (add it under cpu_quota)")


def test_an_image_from_a_registry_without_a_cache_is_refused(config_tree):
    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: d["images"].update(
        x={"image": "quay.io/org/x", "tag": "1.0", "source": "test"}))
    assert error_of(config_tree).startswith(
        "config/catalog/versions.yaml: images.x.image: 'quay.io/org/x' comes from quay.io, which has no entry under "
        "registries")


def test_a_gpu_image_needs_a_driver_that_runs_its_cuda(config_tree):
    """vLLM's unsuffixed tags are CUDA 13 builds: on GKE's DEFAULT driver (535) every GPU pod would fail to start."""
    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: d["images"]["vllm"].update(
        tag="v0.31.0", cuda="13.0"))
    assert load_error(config_tree) == (
        "config/catalog/versions.yaml: images.vllm.tag: 'v0.31.0' is built with CUDA 13.0, which needs NVIDIA "
        "driver 580.65.06 or newer; gpu_driver DEFAULT installs 535.274.02 (pin a build for an older CUDA, e.g. "
        "vLLM's -cu129 tags, or set a gpu_driver that installs a newer driver)")
    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: (
        d.update(gpu_driver="LATEST"), d["images"]["vllm"]["preload"].update(built_from="v0.31.0")))
    loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)
