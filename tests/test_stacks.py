"""Layer 3: every stack runs end to end, matches its inventory, and reviews byte-identically."""

from __future__ import annotations

import importlib
import inspect
import json

import pytest

from review.bundle import resources_json
from review.harness import run_stack
from review.replacements import ABSENT, lookup
from review.summary import owners as summary_owners
from review.summary import render_summary
from tests import inventory
from tests.conftest import STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_stack_matches_its_inventory(stack_run, stack):
    expected = json.loads(inventory.path(stack).read_text())
    actual = inventory.inventory(stack_run(stack))
    replaced = inventory.replaced_stateful(expected, actual)
    assert not replaced, "stateful resources would be replaced and lose their data:\n" + "\n".join(replaced)
    assert actual == expected, "inventory changed: if intended, run `make inventories` and review the diff"


def test_stateful_resources_protected_exactly_where_the_environment_protects(run):
    """The one protect test: every stateful resource, every stack."""
    stateful = [r for r in run.records if r.type in inventory.STATEFUL_TYPES]
    assert stateful
    assert {r.protect for r in stateful} == {run.spec.env.protect}
    assert not [r.key for r in run.records if r.protect and r.type not in inventory.STATEFUL_TYPES]


DELETION_PROTECTION = ("deletionProtection", "deletionProtectionEnabled", "settings.deletionProtectionEnabled",
                       "settings.retainBackupsOnDelete")


def test_provider_side_deletion_protection_follows_protect(run):
    seen = 0
    for record in run.records:
        for path in DELETION_PROTECTION:
            value = lookup(record.inputs, path)
            if value is not ABSENT:
                seen += 1
                assert value is run.spec.env.protect, (record.key, path)
    assert seen >= 3  # cluster, Cloud SQL (both layers), secrets


@pytest.mark.parametrize("stack", STACKS)
def test_physical_names_carry_prefix_and_environment(stack_run, stack):
    run = stack_run(stack)
    named = [r for r in run.records if r.custom and not r.read and r.type.startswith("gcp:compute/")
             and takes_a_name(r.type)]  # a read (the serving image's disk image) is named by whoever made it
    assert named
    for record in named:
        assert record.inputs["name"].startswith(f"aip-{stack}-"), record.key


def takes_a_name(type_: str) -> bool:
    """Whether the provider's resource has a `name` (a security policy rule has a priority instead)."""
    module, name = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    return "name" in inspect.signature(getattr(importlib.import_module(f"pulumi_gcp.{module}"), name)._internal_init).parameters


# Label fields nested in an input block rather than at the top level.
NESTED_LABELS = {"gcp:sql/databaseInstance:DatabaseInstance": "settings.userLabels",
                 "gcp:container/nodePool:NodePool": "nodeConfig.resourceLabels"}


CONFIG_LABELS = ("gcp:monitoring/notificationChannel:NotificationChannel",)


def label_paths(type_: str) -> list[str]:
    """Where a GCP resource type takes labels, read off the provider SDK's own constructor."""
    module, name = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    params = inspect.signature(getattr(importlib.import_module(f"pulumi_gcp.{module}"), name)._internal_init).parameters
    paths = [wire for python, wire in (("labels", "labels"), ("resource_labels", "resourceLabels"),
                                       ("user_labels", "userLabels")) if python in params]
    if type_ in CONFIG_LABELS:  # `labels` configures it (a channel's address); `user_labels` are its labels
        paths.remove("labels")
    return paths + ([NESTED_LABELS[type_]] if type_ in NESTED_LABELS else [])


def test_every_gcp_resource_that_takes_labels_has_them(run):
    owners = summary_owners(run)
    checked = 0
    for record in run.records:
        if not record.custom or record.read or not record.type.startswith("gcp:"):
            continue  # the program labels what it creates, not what it reads
        for path in label_paths(record.type):
            labels = lookup(record.inputs, path)
            assert labels is not ABSENT, f"{record.key} has no {path}"
            assert labels["env"] == run.spec.environment and labels["managed-by"] == "pulumi", record.key
            assert labels["component"], record.key
            owner = owners[record.key]
            if owner.startswith("ai-platform:tenancy:Tenant::"):
                assert labels.get("tenant") == owner.split("::tenant-")[1], record.key
            checked += 1
    assert checked > 20


def test_resources_only_in_the_stacks_project(stack_run):
    for stack in STACKS:
        run = stack_run(stack)
        projects = {r.inputs["project"] for r in run.records if "project" in r.inputs}
        assert projects == {run.spec.project}


def test_review_is_byte_identical_between_runs(stack_run):
    first = stack_run("prod")
    second = run_stack("prod")
    assert resources_json(first) == resources_json(second)
    assert render_summary(first) == render_summary(second)


def test_components_follow_the_documented_order(stack_run):
    """Network depends on the project's APIs being enabled before it is created."""
    run = stack_run("dev")
    component = run.get("ai-platform:platform:Network", "network")
    assert any(d.startswith("gcp:projects/service:Service::") for d in component.dependencies)


def physical_name_in_cluster(record) -> str:
    meta = record.inputs.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name')}"


def physical_name(record) -> str | None:
    """What a resource is called in GCP or the cluster; None for grants, which name what they grant on."""
    if "iammember" in record.type.lower():
        return None
    inputs = record.inputs
    if "repositoryId" in inputs:  # an Artifact Registry repository is named within its location
        return f"{inputs.get('location')}/{inputs['repositoryId']}"
    for key in ("accountId", "secretId"):
        if key in inputs:
            return inputs[key]
    if record.type.startswith("kubernetes:"):
        inside = (f"{inputs.get('namespace')}/{inputs.get('name')}" if record.type == "kubernetes:helm.sh/v3:Release"
                  else physical_name_in_cluster(record))
        if record.provider in ("", "pulumi:providers:kubernetes::cluster-k8s"):
            return inside
        return f"{record.provider}:{inside}"  # a warm standby's objects: another cluster
    if record.type == "gcp:dns/recordSet:RecordSet":
        return f"{inputs.get('managedZone')}/{inputs.get('name')}/{inputs.get('type')}"
    if record.type == "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule":
        return f"{inputs.get('securityPolicy')}/{inputs.get('priority')}"
    if record.type == "gcp:storage/managedFolder:ManagedFolder":  # named within its bucket
        return f"{inputs.get('bucket')}/{inputs.get('name')}"
    if record.type in ("gcp:sql/database:Database", "gcp:sql/user:User"):
        return f"{inputs.get('instance')}/{inputs.get('name')}"
    if record.type == "gcp:kms/cryptoKey:CryptoKey":
        return f"{inputs.get('keyRing')}/{inputs.get('name')}"
    if record.type == "gcp:container/nodePool:NodePool":
        return f"{inputs.get('cluster')}/{inputs.get('name')}"
    return inputs.get("name") if isinstance(inputs.get("name"), str) else None


def test_physical_names_are_unique_per_type(run):
    """Two resources with one physical name: the second apply fails, or worse, both manage one thing."""
    seen: dict[tuple[str, str], str] = {}
    for record in run.records:
        name = physical_name(record) if record.custom else None
        if name is None or record.type.endswith("Patch"):
            continue
        key = (record.type, name)
        assert key not in seen, f"{record.key} and {seen[key]} are both {name}"
        seen[key] = record.key
    assert len(seen) > 50
