"""Encryption, from its own args: rotation, HSM, a ring per region, each agent granted only its own key."""

from __future__ import annotations

import pulumi_random as random
import pytest

from components.platform.encryption import ENCRYPTER_DECRYPTER, Encryption, EncryptionArgs
from review.harness import PROJECT_NUMBER
from tests.helpers import run_component

KEY = "gcp:kms/cryptoKey:CryptoKey"
RING = "gcp:kms/keyRing:KeyRing"
GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
N = PROJECT_NUMBER
# Which agent may use which key: written out, not read from the code under test.
EXPECTED_GRANTS = {
    f"service-{N}@container-engine-robot.iam.gserviceaccount.com": {"gke-secrets", "backups"},
    f"service-{N}@compute-system.iam.gserviceaccount.com": {"disks"},
    f"service-{N}@gs-project-accounts.iam.gserviceaccount.com": {"storage", "backups"},
    f"service-{N}@gcp-sa-cloud-sql.iam.gserviceaccount.com": {"database"},
    f"service-{N}@gcp-sa-gkebackup.iam.gserviceaccount.com": {"backups"},
    f"service-{N}@gcp-sa-secretmanager.iam.gserviceaccount.com": {"secrets"},
    f"service-{N}@cloud-filer.iam.gserviceaccount.com": {"filestore"},
    f"service-{N}@gcp-sa-artifactregistry.iam.gserviceaccount.com": {"artifacts"},
    f"service-{N}@gcp-sa-logging.iam.gserviceaccount.com": {"logs"},
}


def build(spec, regions, consumer_purpose=None):
    args = EncryptionArgs(naming=spec.naming, regions=regions, settings=spec.env.encryption,
                          project_number=PROJECT_NUMBER, protect=spec.env.protect)

    def program():
        keys = Encryption("encryption", args)
        if consumer_purpose:
            random.RandomId("consumer", byte_length=4, keepers={"key": keys.key_id(consumer_purpose)})

    return run_component(spec, program)


@pytest.fixture(scope="module", params=["dev", "prod"])
def keys(request, fixture_spec):
    spec = fixture_spec(request.param)
    return build(spec, spec.regions_in_use)


def test_one_key_per_purpose_per_region_rotated_within_90_days(keys):
    names = sorted((r.inputs["name"], r.inputs["keyRing"]) for r in keys.by_type(KEY))
    rings = {f"projects/{keys.spec.project}/locations/{r.inputs['location']}/keyRings/{r.inputs['name']}"
             for r in keys.by_type(RING)}
    purposes = {"gke-secrets", "disks", "storage", "database", "backups", "secrets", "filestore", "artifacts", "logs"}
    assert names == sorted((p, ring) for p in purposes for ring in rings)
    for key in keys.by_type(KEY):
        assert int(key.inputs["rotationPeriod"].rstrip("s")) <= 90 * 86400
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"


def test_ring_names_keep_their_region_suffix(fixture_spec):
    spec = fixture_spec("prod")
    run = build(spec, ("us-central1", "us-east4"))
    assert {r.name: (r.inputs["name"], r.inputs["location"]) for r in run.by_type(RING)} == {
        "encryption-ring": ("aip-prod-keys", "us-central1"),
        "encryption-ring-us-east4": ("aip-prod-keys-us-east4", "us-east4")}


def test_rings_carry_the_generation_where_the_environment_is_rebuilt(fixture_spec):
    """KMS key rings are never deleted: dev's names move on with its generation after a destroy."""
    spec = fixture_spec("dev")
    run = build(spec, ("us-central1", "us-east4"))
    assert sorted(r.inputs["name"] for r in run.by_type(RING)) == ["aip-dev-keys-g1", "aip-dev-keys-us-east4-g1"]


def test_hsm_where_configured(fixture_spec):
    for stack, level in (("dev", "SOFTWARE"), ("prod", "HSM")):
        run = build(fixture_spec(stack), ("us-central1",))
        assert {k.inputs["versionTemplate"]["protectionLevel"] for k in run.by_type(KEY)} == {level}


def test_each_agent_can_use_only_the_keys_of_its_purposes(keys):
    granted: dict[str, set[str]] = {}
    for grant in keys.by_type(GRANT):
        assert grant.inputs["role"] == ENCRYPTER_DECRYPTER
        purpose = grant.inputs["cryptoKeyId"].rsplit("/cryptoKeys/", 1)[1]
        granted.setdefault(grant.inputs["member"].removeprefix("serviceAccount:"), set()).add(purpose)
    assert granted == EXPECTED_GRANTS


def test_a_key_user_waits_for_the_grants_of_that_key(fixture_spec):
    run = build(fixture_spec("dev"), ("us-central1",), consumer_purpose="backups")
    deps = set(run.get("random:index/randomId:RandomId", "consumer").dependencies)
    grants = {d for d in deps if d.startswith(GRANT)}
    assert grants == {f"{GRANT}::encryption-backups-gcp-sa-gkebackup",
                      f"{GRANT}::encryption-backups-container-engine-robot",
                      f"{GRANT}::encryption-backups-gs-project-accounts"}
    assert f"{KEY}::encryption-backups" in deps


def test_agents_created_before_they_are_granted(keys):
    for grant in keys.by_type(GRANT):
        member = grant.inputs["member"]
        if any(domain in member for domain in ("gcp-sa-cloud-sql", "gcp-sa-secretmanager", "cloud-filer",
                                               "gcp-sa-gkebackup", "container-engine-robot", "compute-system")):
            assert any(d.startswith("gcp:projects/serviceIdentity:ServiceIdentity::") for d in grant.dependencies)
