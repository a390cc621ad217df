"""set_mocks is process-global: each run must see only its own registrations."""

from __future__ import annotations

import pulumi_gcp as gcp

from review.harness import run_program


def test_runs_do_not_share_registrations_or_root():
    first, _ = run_program(lambda: gcp.compute.Network("only-in-first", auto_create_subnetworks=False), "dev")
    second, _ = run_program(lambda: gcp.compute.Network("only-in-second", auto_create_subnetworks=False), "prod")
    assert [r.name for r in first] == ["only-in-first"]
    assert [r.name for r in second] == ["only-in-second"]
    assert second[0].parent == "", "a second run must get a fresh root stack, not the first run's"


def test_stack_config_does_not_leak_between_runs():
    import pulumi

    seen = {}
    run_program(lambda: seen.update(a=pulumi.Config("gcp").get("region")), "dev", {"gcp:region": "us-east1"})
    run_program(lambda: seen.update(b=pulumi.Config("gcp").get("region")), "dev", {})
    assert seen == {"a": "us-east1", "b": None}


def test_source_position_capture_is_skipped_only_inside_a_run():
    """The harness swaps the SDK's stack capture out during a mocked run and puts it back."""
    from pulumi.runtime import resource as sdk_resource

    original = sdk_resource._get_stack_trace
    seen = {}
    run_program(lambda: seen.update(inside=sdk_resource._get_stack_trace), "dev")
    assert seen["inside"] is not original
    assert sdk_resource._get_stack_trace is original
