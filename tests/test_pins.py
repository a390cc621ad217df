"""Renames that would replace data fail: inventories pin every replace-forcing input of stateful resources."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.loader import ROOT
from review.replacements import CONDITIONS, pins, replaced_by, table
from tests import inventory


def saved(stack: str) -> dict:
    return json.loads(inventory.path(stack).read_text())


def entry(data: dict, type_: str, name: str) -> dict:
    return next(s for s in data["stateful"] if s["type"] == type_ and s["name"] == name)


@pytest.mark.parametrize(("type_", "name", "path", "new"), [
    ("gcp:sql/databaseInstance:DatabaseInstance", "database-pg", "name", "aip-prod-postgres"),
    ("gcp:kms/keyRing:KeyRing", "encryption-ring", "name", "aip-prod-keyring"),
    ("gcp:kms/keyRing:KeyRing", "encryption-ring", "location", "us-east1"),
    ("gcp:storage/bucket:Bucket", "storage-models", "location", "US"),
    ("gcp:kms/cryptoKey:CryptoKey", "encryption-storage", "versionTemplate.protectionLevel", "SOFTWARE"),
])
def test_changing_a_physical_name_or_location_is_a_replacement(type_, name, path, new):
    old = saved("prod")
    changed = copy.deepcopy(old)
    entry(changed, type_, name)["pins"][path] = new
    (reason,) = inventory.replaced_stateful(old, changed)
    assert reason.startswith(f"{type_}::{name} would be replaced: {path} ")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_renaming_any_pinned_resource_is_refused(stack):
    """Record-wide: every pinned resource's physical name is guarded (tenants' databases and buckets too)."""
    old = saved(stack)
    for item in old["stateful"]:
        identity = next((p for p in ("name", "secretId", "accountId", "length", "metadata.name", "cryptoKeyId",
                                     "network", "bucketId") if p in item["pins"]), None)
        assert identity, f"{item['type']}::{item['name']} pins no physical identity"
        changed = copy.deepcopy(old)
        entry(changed, item["type"], item["name"])["pins"][identity] = "renamed"
        assert len(inventory.replaced_stateful(old, changed)) == 1, item["name"]


def test_an_in_place_change_is_not_a_replacement():
    old = saved("prod")
    changed = copy.deepcopy(old)
    entry(changed, "gcp:storage/bucket:Bucket", "storage-models")["pins"].pop("location")
    entry(old, "gcp:storage/bucket:Bucket", "storage-models")["pins"].pop("location")
    assert inventory.replaced_stateful(old, changed) == []
    # a subnet may grow in place, not shrink
    grow = replaced_by("gcp:compute/subnetwork:Subnetwork", {"ipCidrRange": "10.0.0.0/20"}, {"ipCidrRange": "10.0.0.0/19"})
    shrink = replaced_by("gcp:compute/subnetwork:Subnetwork", {"ipCidrRange": "10.0.0.0/20"}, {"ipCidrRange": "10.0.0.0/21"})
    assert (grow, shrink) == ([], ["ipCidrRange"])


def test_a_renamed_logical_name_is_a_replacement():
    old = saved("dev")
    changed = copy.deepcopy(old)
    entry(changed, "gcp:sql/databaseInstance:DatabaseInstance", "database-pg")["name"] = "db-pg"
    (reason,) = inventory.replaced_stateful(old, changed)
    assert "database-pg (parent ai-platform:data:Database::database) is gone" in reason


def test_replace_table_is_well_formed():
    for type_, rules in table().items():
        assert set(rules) <= {"always", "when"}, type_
        assert set((rules.get("when") or {}).values()) <= set(CONDITIONS), type_
    assert pins("gcp:kms/keyRing:KeyRing", {"name": "r", "location": "l", "project": "p", "labels": {}}) == {
        "name": "r", "location": "l", "project": "p"}


def test_inventory_command_refuses_a_replacement_without_allow_replace(real_tree):
    config_tree = real_tree
    (config_tree / "tests" / "inventories").mkdir(parents=True)
    for stack in ("dev", "staging", "prod"):
        data = saved(stack)
        if stack == "dev":
            entry(data, "gcp:sql/databaseInstance:DatabaseInstance", "database-pg")["pins"]["name"] = "aip-dev-old"
        inventory.path(stack, config_tree).write_text(inventory.dump(data))
    command = [sys.executable, "-m", "tests.inventory", "--root", str(config_tree)]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert refused.returncode == 1
    assert ("dev: stateful gcp:sql/databaseInstance:DatabaseInstance::database-pg would be replaced: "
            "name 'aip-dev-old' -> 'aip-dev-pg-g1'") in refused.stderr
    allowed = subprocess.run([*command, "--allow-replace"], cwd=ROOT, capture_output=True, text=True, check=False,
                             timeout=300)
    assert allowed.returncode == 0, allowed.stderr


def test_diff_marks_a_replacement_and_warns(tmp_path: Path):
    before, after = tmp_path / "before", tmp_path / "after"
    for directory, db_name in ((before, "aip-prod-pg"), (after, "aip-prod-postgres")):
        directory.mkdir()
        (directory / "resources.json").write_text(json.dumps([
            {"type": "gcp:sql/databaseInstance:DatabaseInstance", "name": "database-pg", "protect": True,
             "inputs": {"name": db_name, "region": "us-central1", "settings": {"tier": "db-custom-1-3840"}}},
            {"type": "gcp:compute/routerNat:RouterNat", "name": "network-nat", "protect": False,
             "inputs": {"minPortsPerVm": 64 if directory == before else 128}}]))
    from review.diff import compare, failed_gates
    from review.diff_markdown import render
    diff = compare(before, after, "prod")
    text = render([diff], str(before), str(after))
    assert "0 to add, 0 to remove, 1 to replace, 1 to modify." in text
    assert "± `gcp:sql/databaseInstance:DatabaseInstance::database-pg`: **replace**, forced by `name`" in text
    assert "~ `gcp:compute/routerNat:RouterNat::network-nat`: `minPortsPerVm`: `64` → `128`" in text
    assert "would be **replaced**" in text.split("## Stack")[0]
    assert failed_gates([diff], ["replace", "protected-delete"]) == ["replace: prod"]


def test_a_new_parent_type_is_a_move_only_with_the_alias(stack_run):
    """Renaming a component's type moves every child's URN: allowed only where the component aliases the
    old type (components/conventions.py `formerly`), and the alias is what the inventory checks."""
    new = inventory.inventory(stack_run("prod"))
    network = entry(new, "gcp:compute/network:Network", "network-vpc")
    assert new["aliases"][network["parent"]] == ["ai-platform:network:Network::network"]
    old = copy.deepcopy(new)
    entry(old, "gcp:compute/network:Network", "network-vpc")["parent"] = "ai-platform:network:Network::network"
    assert inventory.replaced_stateful(old, new) == []
    unaliased = {**new, "aliases": {}}
    (reason,) = inventory.replaced_stateful(old, unaliased)
    assert reason.startswith("gcp:compute/network:Network::network-vpc (parent ai-platform:network:Network::network) "
                             "is gone")
