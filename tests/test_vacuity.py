"""The fixture twin of a record-wide test fails when the fixture tree no longer has what it checks."""

from __future__ import annotations

from review.harness import run_stack
from tests import test_genbi, vacuity
from tests.conftest import edit_yaml
from tests.vacuity import examined


def test_a_loop_over_nothing_is_reported():
    token = vacuity.begin()
    assert examined([], "GenBI workloads") == [] and examined([1], "tenants") == [1]
    assert vacuity.end(token) == ["GenBI workloads"]
    assert examined([], "outside a twin") == []  # no twin running: nothing is counted


def test_genbi_checks_are_vacuous_without_genbi(config_tree):
    """With GenBI removed from every tenant, the GenBI checks still pass on the stack (nothing to check), and
    the twin reports it: the failure the suite's fixture runs turn into an error."""
    for tenant in (config_tree / "config/tenants").glob("*.yaml"):
        edit_yaml(tenant, lambda d: d.update(workloads=[w for w in d.get("workloads", []) if w["kind"] != "genbi"]))
    run = run_stack("prod", config_tree)
    token = vacuity.begin()
    test_genbi.test_the_ai_service_configuration_resolves(run)
    assert vacuity.end(token) == ["GenBI workloads"]
