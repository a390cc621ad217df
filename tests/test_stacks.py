"""Layer 3: every stack runs end to end, matches its inventory, and reviews byte-identically."""

from __future__ import annotations

import json

import pytest

from review.bundle import resources_json
from review.harness import run_stack
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


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_resources_protected_exactly_outside_dev(stack_run, stack):
    run = stack_run(stack)
    stateful = [r for r in run.records if r.type in inventory.STATEFUL_TYPES]
    assert stateful
    assert {r.protect for r in stateful} == {stack != "dev"}


@pytest.mark.parametrize("stack", STACKS)
def test_physical_names_carry_prefix_and_environment(stack_run, stack):
    run = stack_run(stack)
    named = [r for r in run.records if r.custom and r.type.startswith("gcp:compute/")]
    assert named
    for record in named:
        assert record.inputs["name"].startswith(f"aip-{stack}-"), record.key


@pytest.mark.parametrize("stack", STACKS)
def test_labels_on_every_labelled_gcp_resource(stack_run, stack):
    for record in stack_run(stack).records:
        if "labels" in record.inputs:
            labels = record.inputs["labels"]
            assert labels["env"] == stack and labels["managed-by"] == "pulumi" and labels["component"], record.key


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
    component = run.get("ai-platform:network:Network", "network")
    assert any(d.startswith("gcp:projects/service:Service::") for d in component.dependencies)
