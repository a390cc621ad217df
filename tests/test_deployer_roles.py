"""The deployer's roles come from the resource types the program registers (config/catalog/deployer_roles.yaml).

Every registered type needs a row, so the next component cannot forget its role; the README's list is what
the generator writes from every stack's run, so the documented deployer is the one that can apply.
"""

from __future__ import annotations

import dataclasses

import pytest

from config.loader import ROOT, load_catalog
from plan.deployer import UncoveredTypeError, deployer_roles, needed_by, uncovered
from review import docs
from review.deployer import deployer_section, registered_types
from review.harness import Record
from tests.conftest import STACKS, edit_yaml
from tests.helpers import load_error, table_rows
from tests.vacuity import examined

CATALOG = load_catalog().deployer_roles
BASIC = {"roles/owner", "roles/editor", "roles/viewer"}
BUDGET = "gcp:billing/budget:Budget"


def missing_rows(records) -> list[str]:
    """Registered (custom) types that no row of the table covers, by name."""
    return list(uncovered(CATALOG, examined({r.type for r in records if r.custom}, "registered types")))


def test_every_registered_type_has_a_deployer_role_row(run):
    assert missing_rows(run.records) == [], "add these types to config/catalog/deployer_roles.yaml"


def test_an_unknown_type_is_reported_by_name(fixture_run):
    records = fixture_run("prod").records
    budget = next(r for r in records if r.type == BUDGET)
    fake = dataclasses.replace(budget, type="gcp:pubsub/subscription:Subscription", name="fake")
    assert missing_rows([*records, fake]) == ["gcp:pubsub/subscription:Subscription"]
    with pytest.raises(UncoveredTypeError, match="gcp:pubsub/subscription:Subscription"):
        deployer_roles(CATALOG, registered_types(dataclasses.replace(fixture_run("prod"), records=[*records, fake])))


def test_components_are_not_resource_types_to_cover():
    component = Record(type="ai-platform:tenancy:Tenant", name="t", parent="", provider="", protect=False,
                       custom=False, dependencies=[], aliases=[], ignore_changes=[], retain_on_delete=False,
                       delete_before_replace=False, inputs={})
    assert missing_rows([component]) == []


def test_no_stack_needs_a_basic_role_and_billing_only_with_budgets(run):
    roles = deployer_roles(CATALOG, registered_types(run))
    assert not BASIC & {*roles["project"], *roles["billing_account"]}
    assert bool(roles["billing_account"]) == bool(run.by_type(BUDGET))
    assert "roles/container.admin" in roles["project"]  # the cluster, and Kubernetes objects through it


def test_prod_needs_what_the_first_apply_lacked(fixture_run):
    roles = deployer_roles(CATALOG, registered_types(fixture_run("prod")))
    assert {"roles/certificatemanager.owner", "roles/iap.admin", "roles/compute.securityAdmin",
            "roles/iam.serviceAccountUser"} <= set(roles["project"])
    assert roles["billing_account"] == ("roles/billing.costsManager",)
    assert not BASIC & {*roles["project"], *roles["billing_account"]}


def test_roles_are_sorted_unique_and_name_the_rows_that_need_them(fixture_run):
    types = registered_types(fixture_run("prod"))
    roles = deployer_roles(CATALOG, types)
    assert all(list(names) == sorted(set(names)) for names in roles.values())
    rows = needed_by(CATALOG, types)
    assert set(rows) == {*roles["project"], *roles["billing_account"]}
    assert rows["roles/iap.admin"] == ("gcp:iap/webIamMember:WebIamMember",)
    assert "kubernetes:*" in rows["roles/container.admin"]


def test_lookup_falls_back_to_the_prefix_row():
    assert CATALOG.roles_for("kubernetes:core/v1:Namespace") == ("roles/container.admin",)
    assert CATALOG.roles_for("random:index/randomPassword:RandomPassword") == ()
    assert CATALOG.roles_for("gcp:pubsub/subscription:Subscription") is None


def test_every_type_with_an_api_has_a_role_row():
    """apis.yaml and this table describe the same types: a type given an API is given its role too."""
    apis = load_catalog().apis
    assert [t for t in apis.resources if CATALOG.roles_for(t) is None] == []


def test_summary_lists_the_stacks_roles_where_they_are_granted(fixture_run):
    run = fixture_run("prod")
    rows = {row[0]: row for row in table_rows(deployer_section(run))}
    assert rows["`roles/billing.costsManager`"][1] == f"billing account `{run.spec.env.tenancy.billing_account}`"
    assert rows["`roles/iap.admin`"][1] == f"project `{run.spec.project}`"
    assert "Not covered" not in deployer_section(run)


def test_summary_names_an_uncovered_type(fixture_run):
    run = fixture_run("prod")
    fake = dataclasses.replace(run.records[0], type="gcp:pubsub/subscription:Subscription", custom=True)
    text = deployer_section(dataclasses.replace(run, records=[*run.records, fake]))
    assert "**Not covered**" in text and "`gcp:pubsub/subscription:Subscription`" in text


# The README's list is generated (python -m review.docs); it may not drift from the table.

def test_readme_deployer_roles_are_what_the_generator_writes(stack_run):
    runs = [stack_run(stack) for stack in STACKS]
    assert docs.stale((ROOT / "README.md").read_text(), runs) == [], "run `make docs`"


def test_a_readme_missing_a_role_is_stale(stack_run):
    runs = [stack_run(stack) for stack in STACKS]
    text = (ROOT / "README.md").read_text()
    assert "`roles/iap.admin`," in text
    assert docs.stale(text.replace("`roles/iap.admin`,", "", 1), runs) == ["deployer-roles"]


def test_rewrite_keeps_the_markers_indentation_and_is_stable():
    text = "1. step\n   <!-- b:start -->\n   old\n   <!-- b:end -->\n2. next\n"
    new = docs.rewrite(text, {"b": "line one\n\n- item\n"})
    assert new == "1. step\n   <!-- b:start -->\n   line one\n\n   - item\n   <!-- b:end -->\n2. next\n"
    assert docs.rewrite(new, {"b": "line one\n\n- item\n"}) == new


def test_rewrite_refuses_a_missing_block():
    with pytest.raises(ValueError, match="<!-- b:start -->"):
        docs.rewrite("no markers\n", {"b": "x"})


# The table's own mistakes: one line naming the file, the field and the fix.

def test_a_role_not_declared_is_one_line(config_tree):
    edit_yaml(config_tree / "config/catalog/deployer_roles.yaml",
              lambda d: d["resources"].update({"gcp:dns/recordSet:RecordSet": ["roles/dns.edtor"]}))
    assert load_error(config_tree) == (
        "config/catalog/deployer_roles.yaml: resources.gcp:dns/recordSet:RecordSet[0]: 'roles/dns.edtor' is not "
        "declared under roles (did you mean 'roles/dns.editor'? declare it with its scope and why)")


def test_a_basic_role_is_refused(config_tree):
    edit_yaml(config_tree / "config/catalog/deployer_roles.yaml",
              lambda d: d["resources"].update({"gcp:dns/recordSet:RecordSet": ["roles/owner"]}))
    assert load_error(config_tree) == (
        "config/catalog/deployer_roles.yaml: resources.gcp:dns/recordSet:RecordSet[0]: 'roles/owner' is not a "
        "predefined role (roles/<service>.<role>; basic roles like roles/owner or roles/editor grant far more "
        "than a deployer needs)")


def test_a_role_no_type_names_is_refused(config_tree):
    edit_yaml(config_tree / "config/catalog/deployer_roles.yaml",
              lambda d: d["roles"].update({"roles/pubsub.admin": {"scope": "project", "why": "topics"}}))
    assert load_error(config_tree) == (
        "config/catalog/deployer_roles.yaml: roles.roles/pubsub.admin: 'roles/pubsub.admin' is named by no "
        "resource type (name it under resources or remove it)")
