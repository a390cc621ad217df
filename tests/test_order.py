"""Order a real first apply needs, proven over the recorded run of every stack (docs/architecture.md §4).

Mocks accept any order; GCP does not. Each test names the edge it guards and a companion test
removes that edge and shows the check failing.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from config.loader import load_catalog
from tests.graph import Graph

SERVICE = "gcp:projects/service:Service"
CLUSTER = "gcp:container/cluster:Cluster"
APIS = load_catalog().apis


def missing_apis(records) -> list[str]:
    """Resources whose dependency closure lacks the Service that enables their API."""
    graph = Graph(records)
    services = {r.inputs["service"]: r.key for r in records if r.type == SERVICE}
    problems = []
    for record in records:
        if not record.custom:
            continue
        api = APIS.api_for(record.type)
        assert api is not None or record.type.startswith("random:"), (
            f"{record.type} has no API in config/catalog/apis.yaml")
        if api is None or api in APIS.bootstrap:
            continue
        service = services.get(api)
        assert service, f"{api} (used by {record.type}) is never enabled"
        if service not in graph.waits_for(record.key):
            problems.append(f"{record.key} does not wait for {api}")
    return problems


def pool_members_before_cluster(records) -> list[str]:
    """IAM members naming the Workload Identity pool that could be created before the cluster."""
    graph = Graph(records)
    clusters = {r.key for r in records if r.type == CLUSTER}
    problems = []
    for record in records:
        members = [record.inputs.get("member", ""), *record.inputs.get("members", [])]
        if any(".svc.id.goog" in str(m) for m in members) and not clusters & graph.waits_for(record.key):
            problems.append(record.key)
    return problems


def test_every_resource_waits_for_the_api_it_uses(run):
    assert missing_apis(run.records) == []


def test_iam_members_naming_the_workload_identity_pool_wait_for_the_cluster(run):
    named = [r for r in run.records if ".svc.id.goog" in str(r.inputs.get("member", ""))]
    assert named, "the stack grants roles to Workload Identity principals"
    assert pool_members_before_cluster(run.records) == []


def without_dependencies(records, *keys):
    """The records with the given resources' explicit and property dependencies removed."""
    return [dataclasses.replace(r, dependencies=[]) if r.key in keys else copy.copy(r) for r in records]


def test_the_api_check_fails_when_a_component_stops_waiting_for_the_apis(fixture_run):
    run = fixture_run("prod")
    tenant = next(r for r in run.records if r.type == "ai-platform:tenancy:Tenant")
    problems = missing_apis(without_dependencies(run.records, tenant.key))
    assert f"gcp:serviceaccount/account:Account::{tenant.name}-gsa does not wait for iam.googleapis.com" in problems
    alerting = run.get("ai-platform:operations:CloudAlerting", "cloud-alerting")
    problems = missing_apis(without_dependencies(run.records, alerting.key))
    assert "gcp:logging/metric:Metric::cloud-alerting-gpu-xid does not wait for logging.googleapis.com" in problems


def test_the_pool_check_fails_when_a_binding_stops_waiting_for_the_cluster(fixture_run):
    records = fixture_run("dev").records
    bindings = [r.key for r in records if ".svc.id.goog" in str(r.inputs.get("member", ""))]
    # remove every path to the cluster: the bindings' own edges and their tenant's
    tenants = [r.key for r in records if r.type == "ai-platform:tenancy:Tenant"]
    assert set(pool_members_before_cluster(without_dependencies(records, *bindings, *tenants))) >= {
        b for b in bindings if b.startswith("gcp:serviceaccount/iAMMember")}


@pytest.mark.parametrize("api", ["containerfilesystem.googleapis.com", "containersecurity.googleapis.com",
                                 "binaryauthorization.googleapis.com", "storage.googleapis.com"])
def test_apis_features_need_are_enabled(fixture_run, api):
    enabled = {r.inputs["service"] for r in fixture_run("prod").by_type(SERVICE)}
    assert api in enabled


def test_namespaced_objects_wait_for_their_namespace(run):
    graph = Graph(run.records)
    # by cluster: a warm standby has namespaces of the same names
    namespaces = {(r.provider, r.inputs["metadata"]["name"]): r.key for r in run.records
                  if r.type == "kubernetes:core/v1:Namespace"}
    checked = 0
    for record in run.records:
        namespace = (record.provider, (record.inputs.get("metadata") or {}).get("namespace"))
        if record.type.startswith("kubernetes:") and namespace in namespaces:
            assert namespaces[namespace] in graph.waits_for(record.key), record.key
            checked += 1
    assert checked > 10
