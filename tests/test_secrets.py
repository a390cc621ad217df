"""Secrets: CMEK, per-secret readers, values only in Secret Manager and never in the review bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from config import loader
from review.bundle import write_bundle
from review.harness import PROJECT_NUMBER, run_stack
from tests.helpers import key_name

SECRET = "gcp:secretmanager/secret:Secret"
VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
READER = "gcp:secretmanager/secretIamMember:SecretIamMember"
SUPPLIED = {"ai-platform:openaiApiKey": "sk-test-0123456789abcdef", "ai-platform:slackWebhookUrl":
            "https://hooks.example.com/services/T000/B000/XXXXSECRET",
            "ai-platform:alertSmtpPassword": "smtp-pass-XXXXSECRET",
            "ai-platform:alphaAlertWebhook": "https://hooks.example.com/services/T001/B001/ALPHASECRET",
            "ai-platform:deltaAlertWebhook": "https://alerts.example.com/delta?token=DELTASECRET"}


@pytest.fixture(scope="module", params=["dev", "prod"])
def supplied(request, fixture_root):
    """A fixture stack run with the external secrets set, as `pulumi config set --secret` would."""
    stack = request.param
    stack_config = {**loader.stack_config_from_file(stack, fixture_root), **SUPPLIED}
    return run_stack(stack, fixture_root, stack_config=stack_config, secret_keys=list(SUPPLIED))


def principal(project: str, identity: str) -> str:
    namespace, name = identity.split("/")
    return (f"principal://iam.googleapis.com/projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/"
            f"{project}.svc.id.goog/subject/ns/{namespace}/sa/{name}")


def test_user_managed_replication_with_cmek(supplied):
    """Each secret in one region with that region's key; where there is a DR region, each has a twin there."""
    by_region: dict[str, set[str]] = {}
    for secret in supplied.by_type(SECRET):
        (replica,) = secret.inputs["replication"]["userManaged"]["replicas"]
        region = replica["location"]
        assert replica == {"location": region,
                           "customerManagedEncryption": {"kmsKeyName": key_name(supplied, "secrets", region)}}
        here = "" if region == supplied.spec.region else f"-{region}"
        by_region.setdefault(region, set()).add(secret.inputs["secretId"].replace(here, "", 1))
    assert set(by_region) == set(supplied.spec.regions_in_use)
    assert len({frozenset(ids) for ids in by_region.values()}) == 1, "every secret has its twin"


def test_supplied_values_become_versions(supplied, fixture_run):
    with_value = {r.name for r in supplied.by_type(VERSION)}
    assert {"secrets-llm-openai-api-key-v", "secrets-alert-slack-webhook-v"} <= with_value
    # without config values the secrets exist but start empty
    plain = {r.name for r in fixture_run(supplied.stack).by_type(VERSION)}
    assert not plain & {"secrets-llm-openai-api-key-v", "secrets-alert-slack-webhook-v"}


def test_each_secret_readable_only_by_its_readers(supplied):
    """The API key is read by the Google account of every hosted tenant with a GenBI workload (derived),
    and nobody reads the alert webhook or SMTP password at run time: managed Alertmanager takes them from its
    configuration Secret, which the program writes from the Pulumi secrets."""
    readers: dict[str, set[str]] = {}
    for grant in supplied.by_type(READER):
        assert grant.inputs["role"] == "roles/secretmanager.secretAccessor"
        readers.setdefault(grant.inputs["secretId"], set()).add(grant.inputs["member"])
    env = supplied.stack
    project = supplied.spec.project
    assert readers[f"aip-{env}-llm-openai-api-key"] == {
        f"serviceAccount:aip-{env}-{tenant}@{project}.iam.gserviceaccount.com" for tenant in ("alpha", "beta")}
    assert f"aip-{env}-alert-slack-webhook" not in readers and f"aip-{env}-alert-smtp-password" not in readers
    # no project-wide secret access for anyone
    assert not [r for r in supplied.by_type("gcp:projects/iAMMember:IAMMember")
                if r.inputs["role"].startswith("roles/secretmanager.")]


def test_review_bundle_contains_no_secret_value(supplied, tmp_path: Path):
    bundle = write_bundle(supplied, tmp_path / supplied.stack)
    generated = [f"mock-{r.name}-value" for r in supplied.by_type("random:index/randomPassword:RandomPassword")]
    assert generated, "the stack generates credentials"
    values = [*SUPPLIED.values(), *generated]
    for path in bundle.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for value in values:
                assert value not in text, f"{value!r} leaked into {path.relative_to(bundle)}"
    # the values did reach the program: redacted where Secret Manager receives them
    versions = supplied.by_type(VERSION)
    assert versions and {v.inputs["secretData"] for v in versions} == {"[secret]"}


def test_generated_passwords_are_long(run):
    passwords = run.by_type("random:index/randomPassword:RandomPassword")
    assert passwords and all(p.inputs["length"] >= 32 for p in passwords)


def test_readers_follow_the_tenants_workloads(run):
    """A tenant's Google account reads a supplied secret exactly when one of its workloads' kinds uses it;
    no tenant's Kubernetes identity is granted directly (its pods call Google as the tenant's account)."""
    env, project = run.spec.environment, run.spec.project
    for secret in run.spec.env.data.secrets.external:
        members = {r.inputs["member"] for r in run.by_type(READER)
                   if r.inputs["secretId"] == f"aip-{env}-{secret.name}"}
        expected = {f"serviceAccount:aip-{env}-{t.name}@{project}.iam.gserviceaccount.com" for t in run.spec.tenants
                    if {w.kind for w in t.workloads} & set(secret.used_by)}
        assert {m for m in members if m.startswith("serviceAccount:")} == expected, secret.name
        tenants = {t.name for t in run.spec.tenants}
        assert not [m for m in members if "/ns/" in m and m.split("/ns/")[1].split("/")[0] in tenants]


def test_secret_config_key_must_be_declared(config_tree):
    stack_config = {**loader.stack_config_from_file("dev", config_tree), "ai-platform:openaiKey": "x"}
    with pytest.raises(config.ConfigError) as caught:
        loader.load("dev", stack_config, config_tree)
    assert str(caught.value).startswith(
        "Pulumi.dev.yaml: ai-platform:openaiKey: unknown key (did you mean 'ai-platform:openaiApiKey'?")
