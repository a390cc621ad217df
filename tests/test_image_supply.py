"""Image supply: caches of the upstream registries, and a Binary Authorization policy admitting only them."""

from __future__ import annotations

import pulumi
import pytest

from components.platform.image_supply import ImageSupply, ImageSupplyArgs, image_ref
from config.catalog import Image
from config.naming import Naming
from review.harness import run_program
from tests.helpers import key_name

REPO = "gcp:artifactregistry/repository:Repository"
POLICY = "gcp:binaryauthorization/policy:Policy"


def test_a_cmek_cache_with_cleanup_per_upstream_registry(run):
    """In every region in use (a DR region's workloads pull from its own caches), with that region's key."""
    registries = {u: r for u, r in run.spec.catalog.versions.registries.items() if not r.direct}
    for region in run.spec.regions_in_use:
        repos = {r.inputs["repositoryId"]: r.inputs for r in run.by_type(REPO) if r.inputs["location"] == region}
        assert set(repos) == {r.repository for r in registries.values()}, region
        for registry in registries.values():
            assert repos[registry.repository]["kmsKeyName"] == key_name(run, "artifacts", region)
    repos = {r.inputs["repositoryId"]: r.inputs for r in run.by_type(REPO) if r.inputs["location"] == run.spec.region}
    for upstream, registry in registries.items():
        repo = repos[registry.repository]
        assert repo["mode"] == "REMOTE_REPOSITORY" and repo["format"] == "DOCKER"
        remote = repo["remoteRepositoryConfig"]
        if registry.preset:
            assert remote["dockerRepository"] == {"publicRepository": registry.preset}, upstream
        else:
            assert remote["commonRepository"] == {"uri": registry.uri}, upstream
        policies = {p["id"]: p for p in repo["cleanupPolicies"]}
        assert policies["keep-recent"]["mostRecentVersions"] == {"keepCount": run.spec.env.image_supply.keep_versions}
        assert policies["delete-old"]["action"] == "DELETE"
        assert repo["cleanupPolicyDryRun"] is False


def test_binary_authorization_denies_all_but_the_caches_and_system_images(run):
    mode = run.spec.env.cluster.binary_authorization
    policies = run.by_type(POLICY)
    assert len(policies) == (mode != "disabled")
    if not policies:
        return
    policy = policies[0].inputs
    assert policy["globalPolicyEvaluationMode"] == "ENABLE"
    assert policy["defaultAdmissionRule"] == {
        "evaluationMode": "ALWAYS_DENY",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG" if mode == "enforce" else "DRYRUN_AUDIT_LOG_ONLY"}
    hosts = [f"{region}-docker.pkg.dev/{run.spec.project}" for region in run.spec.regions_in_use]
    versions = run.spec.catalog.versions
    assert sorted(p["namePattern"] for p in policy["admissionWhitelistPatterns"]) == sorted(
        [f"{host}/{r.repository}/**" for host in hosts for r in versions.registries.values() if not r.direct]
        + [f"{i.image}*" for i in versions.images.values() if versions.registries[i.registry].direct])


def test_staging_runs_the_prod_policy_in_dry_run(fixture_run):
    rules = {s: [p.inputs["defaultAdmissionRule"] for p in fixture_run(s).by_type(POLICY)]
             for s in ("dev", "staging", "prod")}
    assert rules["dev"] == []
    assert rules["staging"][0]["enforcementMode"] == "DRYRUN_AUDIT_LOG_ONLY"
    assert rules["prod"][0]["enforcementMode"] == "ENFORCED_BLOCK_AND_AUDIT_LOG"
    assert rules["staging"][0]["evaluationMode"] == rules["prod"][0]["evaluationMode"] == "ALWAYS_DENY"


@pytest.mark.parametrize(("image", "expected"), [
    ("docker.io/vllm/vllm-openai", "us-central1-docker.pkg.dev/p/dockerhub/vllm/vllm-openai:t"),
    ("docker.io/nginx", "us-central1-docker.pkg.dev/p/dockerhub/library/nginx:t"),  # official images
    ("ghcr.io/canner/wren-ui", "us-central1-docker.pkg.dev/p/ghcr/canner/wren-ui:t"),
    ("gcr.io/cloud-sql-connectors/cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:t"),  # direct
])
def test_images_render_through_their_cache(fixture_spec, image, expected):
    spec = fixture_spec("prod")
    args = ImageSupplyArgs(naming=Naming("aip", "prod", "p"), region="us-central1",
                           registries=spec.catalog.versions.registries, images=spec.catalog.versions.images,
                           key="k", settings=spec.env.image_supply,
                           binary_authorization="enforce")
    def program():
        supply = ImageSupply("images", args)
        pulumi.export("ref", image_ref(supply.prefixes, Image(image=image, tag="t", source="test")))

    records, exports = run_program(program, "prod")
    assert exports["ref"] == expected
    assert {r.type for r in records} >= {REPO, POLICY}


def test_the_auth_proxy_sidecar_is_admitted_in_prod(fixture_run):
    """Every database client runs the Auth Proxy (ADR 0005): prod's policy must admit its image."""
    (policy,) = fixture_run("prod").by_type(POLICY)
    patterns = [p["namePattern"] for p in policy.inputs["admissionWhitelistPatterns"]]
    assert "gcr.io/cloud-sql-connectors/cloud-sql-proxy*" in patterns


def test_every_catalog_image_is_pinned_and_cached(fixture_spec):
    versions = fixture_spec("prod").catalog.versions
    assert versions.images
    for name, image in versions.images.items():
        assert image.tag not in ("latest", "main", "stable"), name
        assert image.registry in versions.registries, name
