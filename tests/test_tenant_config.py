"""Tenant files: quota derivation with known numbers, and each mistake's message."""

from __future__ import annotations

import pytest
import yaml

from config import ConfigError, loader
from config.loader import load_catalog
from config.tenancy import TenantSpec
from plan.tenant_quota import Needs, derive_quota
from tests.conftest import edit_yaml

TIERS = load_catalog().tiers  # basic 1/2/10/0 ... premium 4/8/50/2 gpus, headroom 0.25


def tenant(**fields) -> TenantSpec:
    base = {"name": "t", "display_name": "T", "tier": "premium", "stacks": ["dev"], "owners": ["a@example.com"], "alerts": {"emails": ["oncall@example.com"]},
            "sla": 99.9}
    return TenantSpec.model_validate({**base, **fields})


INFERENCE = {"kind": "inference", "name": "chat", "model": "llama-3.1-8b-instruct", "max_model_len": 8192,
             "peak_concurrency": 6}
# What sizing says such workloads need at maximum scale (config/endpoints.py computes it per stack).
THREE_L4_REPLICAS = Needs(cpu=12, memory_gi=48, storage_gi=0, pods=3, gpus={"nvidia-l4": 3})


def test_tier_wins_when_workloads_are_small():
    q = derive_quota(tenant(), TIERS, Needs())
    assert (q.cpu, q.memory_gi, q.storage_gi, q.gpus) == (4, 8, 50, {"nvidia-l4": 2})
    assert set(q.sources.values()) == {"tier"}


def test_workloads_win_with_headroom_and_exact_gpus():
    q = derive_quota(tenant(workloads=[INFERENCE]), TIERS, THREE_L4_REPLICAS)
    # 12 CPU x 1.25 = 15; 48 GiB x 1.25 = 60; 3 GPUs (tier gives 2)
    assert (q.cpu, q.memory_gi, q.gpus) == (15, 60, {"nvidia-l4": 3})
    assert q.sources["cpu"] == q.sources["memory_gi"] == q.sources["gpus"] == "workloads"
    assert q.sources["storage_gi"] == "tier"


def test_gpus_of_another_type_add_to_the_tier_allowance():
    a100 = Needs(cpu=16, memory_gi=64, storage_gi=0, pods=2, gpus={"nvidia-a100-80gb": 4})
    assert derive_quota(tenant(workloads=[INFERENCE]), TIERS, a100).gpus == {"nvidia-l4": 2, "nvidia-a100-80gb": 4}


def test_explicit_override_replaces_derived_numbers():
    q = derive_quota(tenant(workloads=[INFERENCE], quota={"cpu": 6, "gpus": {"nvidia-l4": 1}}), TIERS,
                     THREE_L4_REPLICAS)
    assert (q.cpu, q.gpus, q.memory_gi) == (6, {"nvidia-l4": 1}, 60)
    assert (q.sources["cpu"], q.sources["gpus"], q.sources["memory_gi"]) == ("override", "override", "workloads")


def test_basic_tier_gets_no_gpu():
    assert derive_quota(tenant(tier="basic"), TIERS, Needs()).gpus == {}


def load_error(root, stack="dev") -> str:
    with pytest.raises(ConfigError) as caught:
        loader.load(stack, loader.stack_config_from_file(stack, root), root)
    return str(caught.value)


def write_tenant(root, name, **fields):
    data = {"name": name, "display_name": name, "tier": "basic", "stacks": ["dev"], "owners": ["a@example.com"], "alerts": {"emails": ["oncall@example.com"]},
            "sla": 99.0, **fields}
    (root / f"config/tenants/{name}.yaml").write_text(yaml.safe_dump(data))


def test_bad_name(config_tree):
    write_tenant(config_tree, "Bad_Name")
    assert load_error(config_tree).startswith(
        "config/tenants/Bad_Name.yaml: name: 'Bad_Name' is not a DNS-1123 label")


def test_name_too_long_for_derived_gcp_names(config_tree):
    write_tenant(config_tree, "a-very-long-tenant-name")
    assert load_error(config_tree) == (
        "config/tenants/a-very-long-tenant-name.yaml: name: 'a-very-long-tenant-name' is too long: its Google "
        "service account id 'aip-staging-a-very-long-tenant-name' would be 35 characters (limit 30); "
        "use at most 18 characters")


def test_duplicate_tenant(config_tree):
    write_tenant(config_tree, "zeta", display_name="copy")
    path = config_tree / "config/tenants/zeta.yaml"
    path.rename(config_tree / "config/tenants/zz-copy.yaml")
    edit_yaml(config_tree / "config/tenants/zz-copy.yaml", lambda d: d.update(name="alpha"))
    assert load_error(config_tree) == (
        "config/tenants/zz-copy.yaml: name: 'alpha' is already the name of the tenant in "
        "config/tenants/alpha.yaml (tenant names must be unique)")


def test_file_name_must_match(config_tree):
    write_tenant(config_tree, "zeta")
    edit_yaml(config_tree / "config/tenants/zeta.yaml", lambda d: d.update(name="zeta-two"))
    assert load_error(config_tree) == "config/tenants/zeta.yaml: name: 'zeta-two' must match the file name ('zeta')"


def test_unknown_tier(config_tree):
    write_tenant(config_tree, "zeta", tier="premuim")
    assert load_error(config_tree) == (
        "config/tenants/zeta.yaml: tier: 'premuim' is not a tier of config/catalog/tiers.yaml "
        "(did you mean 'premium'? tiers: basic, standard, premium, enterprise)")


def test_unknown_stack(config_tree):
    write_tenant(config_tree, "zeta", stacks=["dev", "qa"])
    assert load_error(config_tree) == (
        "config/tenants/zeta.yaml: stacks[1]: 'qa' is not a stack of this project "
        "(stacks: dev, prod, staging; each is a Pulumi.<stack>.yaml)")


def test_too_many_workloads_for_the_tier(config_tree):
    genbi = [{"kind": "genbi", "name": f"bi{i}"} for i in range(2)]
    write_tenant(config_tree, "zeta", workloads=genbi)
    assert load_error(config_tree) == (
        "config/tenants/zeta.yaml: workloads: declares 2 workloads; tier basic allows 1 "
        "(choose a larger tier or remove workloads)")


def test_unknown_workload_kind(config_tree):
    write_tenant(config_tree, "zeta", workloads=[{"kind": "training", "name": "x"}])
    assert load_error(config_tree).startswith("config/tenants/zeta.yaml: workloads[0]: ")
    assert "'inference', 'genbi'" in load_error(config_tree)


def test_accelerator_without_a_pool_on_a_hosting_stack(config_tree):
    a100 = {**INFERENCE, "accelerators": ["nvidia-a100-80gb"]}
    write_tenant(config_tree, "zeta", tier="premium", workloads=[a100])
    assert load_error(config_tree) == (
        "config/tenants/zeta.yaml: workloads[0].accelerators[0]: 'nvidia-a100-80gb' has no GPU pool in stack dev "
        "(pools offer: nvidia-l4)")


def test_over_capacity_prints_a_table_and_the_fix(config_tree):
    """dev offers 6 L4 units (2 time-shared nodes x 2 + 2 whole); the shared endpoints hold 2."""
    write_tenant(config_tree, "zeta", tier="premium")
    lines = load_error(config_tree).splitlines()
    assert lines[0] == ("config/tenants: tenant GPU quotas for nvidia-l4 in stack dev total 7, capacity is 6 "
                        "(pool 'l4' 2 nodes × 2 units + pool 'l4-full' 2 nodes × 1 units, overcommit 1)")
    assert lines[1].split() == ["tenant", "tier", "nvidia-l4", "quota", "from"]
    assert lines[4].split() == ["zeta", "premium", "2", "tier"]
    assert lines[5].split() == ["(shared", "endpoints)", "-", "2", "sizing"]
    assert lines[-1] == ("fix: grow gpu_pools 'l4' max_nodes in config/environments/dev.yaml to at least 3, "
                         "raise tenancy.gpu_overcommit, or shrink the largest quota, alpha's (2), "
                         "in config/tenants/alpha.yaml")


def test_over_cpu_capacity(config_tree):
    write_tenant(config_tree, "zeta", tier="enterprise", quota={"cpu": 500, "gpus": {}})
    message = load_error(config_tree)
    assert message.startswith("config/tenants: tenant CPU quotas in stack dev total")
    assert "zeta" in message and "override" in message
    assert message.endswith("or shrink the largest quota, zeta's (500), in config/tenants/zeta.yaml")
