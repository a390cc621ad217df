"""The bootstrap (bootstrap/): what the platform needs before its first run, under the same mocks.

Who may act as CI is the point of it, so the identity pool's attribute condition and the IAM condition on the
state's lock files are evaluated with cel-python on real token claims and object names; the deployers hold
exactly the roles the platform's review derives; every resource waits for its API; a config mistake is one
line and exit 2.
"""

from __future__ import annotations

import copy
import runpy
from pathlib import Path

import celpy
import pytest
import yaml

from bootstrap.identity import ATTRIBUTE_MAPPING, READER_ROLES
from bootstrap.spec import DEPLOYERS_FILE, load_deployers
from config.loader import ROOT, load_catalog
from review.harness import run_program
from tests.admission import evaluate
from tests.graph import Graph

BOOTSTRAP = ROOT / "bootstrap"
PROJECT = "ai-platform-bootstrap"
CONFIG = yaml.safe_load((BOOTSTRAP / "Pulumi.ci.yaml").read_text(encoding="utf-8"))["config"]
REPOSITORY = "projects/acme-ai-ci/locations/us-central1/connections/github/repositories/acme-ai-platform"
WITH_TRIGGERS = {**CONFIG, f"{PROJECT}:cloud_build": {"repository": REPOSITORY}}
OUT_OF_BAND = set(load_catalog(ROOT).apis.bootstrap)  # enabled by hand before anything (docs/deploying.md)


def run_bootstrap(config: dict) -> tuple[list, dict]:
    return run_program(lambda: runpy.run_path(str(BOOTSTRAP / "__main__.py"), run_name="__main__"), "ci",
                       copy.deepcopy(config), project=PROJECT, ordered=True)


@pytest.fixture(scope="module")
def bootstrap():
    return run_bootstrap(WITH_TRIGGERS)


def of(records, type_: str) -> list:
    return [r for r in records if r.type == f"gcp:{type_}"]


def one(records, type_: str, name: str):
    return next(r for r in of(records, type_) if r.name == name)


def cel(expression: str, activation: dict) -> bool:
    """``expression`` evaluated as IAM evaluates it, on plain JSON values (tests/admission.py's evaluator)."""
    return bool(evaluate(expression, {k: celpy.json_to_cel(v) for k, v in activation.items()}))


GITHUB = CONFIG[f"{PROJECT}:github"]
CLAIMS = {"repository": f"{GITHUB['owner']}/{GITHUB['repo']}", "repository_id": GITHUB["repository_id"],
          "repository_owner_id": GITHUB["owner_id"], "sub": "repo:acme/ai-platform:environment:prod",
          "ref": "refs/heads/main"}


@pytest.mark.parametrize(("claims", "admitted"), [
    ({}, True),
    ({"repository": "acme/other-repo"}, False),
    ({"repository": "mallory/ai-platform"}, False),
    ({"repository_id": "1"}, False),  # deleted and re-created under the same name
    ({"repository_owner_id": "2"}, False),  # the organisation's name taken by someone else
])
def test_the_pool_admits_only_this_repository(bootstrap, claims, admitted):
    provider = of(bootstrap[0], "iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")[0]
    assert provider.inputs["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"
    condition = provider.inputs["attributeCondition"]
    assert cel(condition, {"assertion": {**CLAIMS, **claims}}) is admitted
    # every claim the condition reads is mapped (a binding can only name mapped attributes)
    assert set(provider.inputs["attributeMapping"]) == set(ATTRIBUTE_MAPPING)


def test_only_a_job_in_the_stacks_environment_impersonates_its_deployer(bootstrap):
    records, _exports = bootstrap
    members = {r.name: r.inputs for r in of(records, "serviceaccount/iAMMember:IAMMember")
               if r.inputs["role"] == "roles/iam.workloadIdentityUser"}
    pool = "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github"
    for stack in load_deployers().stacks:
        deployer = members[f"{stack}-deployer-federated"]
        assert deployer["member"] == f"{pool}/subject/repo:acme/ai-platform:environment:{stack}"
        reader = members[f"{stack}-reader-federated"]
        assert reader["member"].startswith("principalSet://") and reader["member"].endswith(
            "/attribute.repository/acme/ai-platform")
    assert not [m for m in members.values() if "*" in m["member"]]


def test_each_deployer_holds_exactly_the_roles_the_review_derives(bootstrap):
    records, _ = bootstrap
    deployers = load_deployers()
    for stack, target in deployers.stacks.items():
        granted = {r.inputs["role"] for r in of(records, "projects/iAMMember:IAMMember")
                   if r.inputs["project"] == target.project and r.inputs["member"] == f"serviceAccount:{target.deployer}"}
        assert granted == set(target.roles.project), stack
        billing = {r.inputs["role"] for r in of(records, "billing/accountIamMember:AccountIamMember")
                   if r.inputs["member"] == f"serviceAccount:{target.deployer}"}
        assert billing == set(target.roles.billing_account), stack
        reader = f"serviceAccount:platform-reader@{target.project}.iam.gserviceaccount.com"
        read = {r.inputs["role"] for r in of(records, "projects/iAMMember:IAMMember")
                if r.inputs["project"] == target.project and r.inputs["member"] == reader}
        custom = one(records, "projects/iAMCustomRole:IAMCustomRole", f"{stack}-reader-kubernetes-secrets")
        assert read == {*READER_ROLES, f"projects/{target.project}/roles/{custom.inputs['roleId']}"}
        assert set(custom.inputs["permissions"]) == {"container.secrets.get", "container.secrets.list"}  # read only


def test_deployers_file_is_what_make_docs_writes(stack_run):
    """bootstrap/deployers.yaml is the platform stacks' derived roles and their deployer identities."""
    from review.docs import generated_files

    files = generated_files([stack_run(s) for s in ("dev", "staging", "prod")])
    assert DEPLOYERS_FILE.read_text(encoding="utf-8") == files["bootstrap/deployers.yaml"], "stale: make docs"


def test_state_bucket_is_private_versioned_and_encrypted_with_its_own_key(bootstrap):
    records, exports = bootstrap
    bucket = of(records, "storage/bucket:Bucket")[0]
    assert bucket.protect and bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["publicAccessPrevention"] == "enforced" and bucket.inputs["versioning"]["enabled"] is True
    assert bucket.inputs["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/state")
    assert bucket.inputs["forceDestroy"] is False
    assert exports["backend_url"] == f"gs://{bucket.inputs['name']}"
    keys = {r.inputs["name"]: r for r in of(records, "kms/cryptoKey:CryptoKey")}
    assert all(k.protect and k.inputs["rotationPeriod"] == "7776000s" for k in keys.values())
    for stack in load_deployers().stacks:  # one secrets key per stack: the dev reader cannot decrypt prod
        assert exports["secrets_providers"][stack].startswith("gcpkms://projects/acme-ai-ci/locations/us-central1/")
        assert exports["secrets_providers"][stack].endswith(f"/cryptoKeys/secrets-{stack}")
        grants = [r for r in of(records, "kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
                  if r.inputs["cryptoKeyId"].endswith(f"/cryptoKeys/secrets-{stack}")]
        assert {g.inputs["member"].split("@")[1] for g in grants} == {f"acme-ai-{stack}.iam.gserviceaccount.com"}


@pytest.mark.parametrize(("who", "name", "writable"), [
    ("reader", ".pulumi/locks/organization/ai-platform/dev/x.json", True),
    ("reader", ".pulumi/locks/organization/ai-platform/prod/x.json", False),
    ("reader", ".pulumi/stacks/ai-platform/dev.json", False),
    ("reader", ".pulumi/history/ai-platform/dev/x.history.json", False),
    ("deployer", ".pulumi/stacks/ai-platform/dev.json", True),
    ("deployer", ".pulumi/history/ai-platform/dev/dev-1.history.json", True),
    ("deployer", ".pulumi/backups/ai-platform/dev/dev.1.json", True),
    ("deployer", ".pulumi/locks/organization/ai-platform/dev/x.json", True),
    ("deployer", ".pulumi/stacks/ai-platform/prod.json", False),
    ("deployer", ".pulumi/history/ai-platform/prod/prod-1.history.json", False),
    ("deployer", ".pulumi/meta.yaml", False),
])
def test_each_account_writes_only_its_own_stacks_state(bootstrap, who, name, writable):
    records, _ = bootstrap
    write = one(records, "storage/bucketIAMMember:BucketIAMMember", f"dev-{who}-{'locks' if who == 'reader' else 'state'}")
    assert write.inputs["role"] == "roles/storage.objectUser"
    bucket = of(records, "storage/bucket:Bucket")[0].inputs["name"]
    resource = {"name": f"projects/_/buckets/{bucket}/objects/{name}"}
    assert cel(write.inputs["condition"]["expression"], {"resource": resource}) is writable
    unconditioned = [r for r in of(records, "storage/bucketIAMMember:BucketIAMMember") if not r.inputs.get("condition")]
    assert {r.inputs["role"] for r in unconditioned} == {"roles/storage.objectViewer"}


def test_every_resource_waits_for_its_api_in_its_project(bootstrap):
    from bootstrap.apis import API_OF

    records, _ = bootstrap
    graph = Graph(records)
    services = {(r.inputs["project"], r.inputs["service"]): r.key for r in of(records, "projects/service:Service")}
    problems = []
    for record in records:
        if not record.custom or record.type == "gcp:projects/service:Service":
            continue
        api = API_OF.get(record.type)
        assert api, f"{record.type}: add its API to bootstrap/apis.py API_OF"
        if api in OUT_OF_BAND:
            continue
        project = record.inputs.get("project")
        candidates = {k for (p, a), k in services.items() if a == api and (project is None or p == project)}
        assert candidates, f"{api} is never enabled (in {project})"
        if not candidates & graph.waits_for(record.key):
            problems.append(f"{record.key} does not wait for {api}")
    assert not problems


def test_builds_run_as_the_stacks_accounts_and_prod_waits_for_an_approver(bootstrap):
    records, exports = bootstrap
    triggers = {r.name: r.inputs for r in of(records, "cloudbuild/trigger:Trigger")}
    stacks = load_deployers().stacks
    assert set(triggers) == {f"{s}-{c}" for s in stacks for c in ("preview", "up")}
    for stack, target in stacks.items():
        preview, up = triggers[f"{stack}-preview"], triggers[f"{stack}-up"]
        assert preview["serviceAccount"].endswith(f"/platform-reader@{target.project}.iam.gserviceaccount.com")
        assert up["serviceAccount"].endswith(f"/{target.deployer}")
        assert up["repositoryEventConfig"]["push"]["branch"] == "^main$"
        assert preview["repositoryEventConfig"]["pullRequest"]["commentControl"] == \
            "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"  # a fork's change runs only after /gcbrun
        assert up["substitutions"]["_COMMAND"] == "up" and preview["substitutions"]["_STACK"] == stack
        assert bool(up.get("approvalConfig", {}).get("approvalRequired")) == (stack == "prod")
        assert up["filename"] == "cloudbuild.yaml"
    agent = "serviceAccount:service-123456789012@gcp-sa-cloudbuild.iam.gserviceaccount.com"
    creators = [r for r in of(records, "serviceaccount/iAMMember:IAMMember")
                if r.inputs["role"] == "roles/iam.serviceAccountTokenCreator"]
    assert len(creators) == 2 * len(stacks) and all(r.inputs["member"] == agent for r in creators)
    assert exports["build_image"].startswith("us-central1-docker.pkg.dev/acme-ai-ci/ci-images/")


def test_without_a_connected_repository_no_trigger_and_no_policy_override():
    records, exports = run_bootstrap(CONFIG)
    assert not of(records, "cloudbuild/trigger:Trigger") and not of(records, "orgpolicy/policy:Policy")
    assert exports["build_triggers"] == {}
    assert set(exports["github_variables"]) == {"PULUMI_BACKEND_URL", "GCP_WORKLOAD_IDENTITY_PROVIDER",
                                                "GCP_DEPLOYERS", "GCP_READERS"}


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c[f"{PROJECT}:github"].update(owner="acme corp"),
     "bootstrap/Pulumi.ci.yaml: github.owner: 'acme corp' is not valid"),
    (lambda c: c[f"{PROJECT}:github"].update(repo_id="1"), "bootstrap/Pulumi.ci.yaml: github.repo_id: unknown key"),
    (lambda c: c.update({f"{PROJECT}:cloud_build": {"repository": REPOSITORY, "approval": ["production"]}}),
     "bootstrap/Pulumi.ci.yaml: ai-platform-bootstrap:cloud_build.approval: 'production' is not a platform stack"),
    (lambda c: c.update({f"{PROJECT}:cloud_build": {"repository": "acme/ai-platform"}}),
     "bootstrap/Pulumi.ci.yaml: cloud_build.repository: 'acme/ai-platform' is not valid"),
])
def test_a_config_mistake_is_one_line_and_exit_2(capsys, change, message):
    config = copy.deepcopy(CONFIG)
    change(config)
    with pytest.raises(SystemExit) as exit_:
        run_bootstrap(config)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err, err


def test_a_missing_deployers_file_says_how_to_make_it(tmp_path, capsys):
    from bootstrap.spec import ConfigError

    with pytest.raises(ConfigError, match="make docs writes it"):
        load_deployers(Path(tmp_path) / "deployers.yaml")


def test_state_prefixes_name_the_platforms_pulumi_project():
    """The backend keeps stacks under the Pulumi project's name: renaming the project in Pulumi.yaml must move
    the deployers' write conditions with it."""
    from bootstrap.identity import PROGRAM

    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["name"] == PROGRAM


def test_the_bootstrap_agrees_with_the_platform_on_each_types_api():
    """A type both programs register calls the same API in both tables (bootstrap/apis.py says so)."""
    from bootstrap.apis import API_OF

    catalog = load_catalog(ROOT).apis
    shared = {t: api for t, api in API_OF.items() if catalog.api_for(t) is not None}
    assert shared and {t: catalog.api_for(t) for t in shared} == shared
