"""Encryption: rotation, protection, and each service agent granted only its own key."""

from __future__ import annotations

import pytest

from components.encryption import ENCRYPTER_DECRYPTER, PURPOSES
from review.harness import PROJECT_NUMBER

KEY = "gcp:kms/cryptoKey:CryptoKey"
RING = "gcp:kms/keyRing:KeyRing"
GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_purpose_has_a_key_rotated_within_90_days(stack_run, stack):
    run = stack_run(stack)
    keys = [r for r in run.by_type(KEY) if r.parent == "ai-platform:kms:Encryption::encryption"]
    primary = {k.inputs["name"] for k in keys if k.dependencies == ["gcp:kms/keyRing:KeyRing::encryption-ring"]}
    assert primary == set(PURPOSES) == {"gke-secrets", "disks", "storage", "database", "backups", "secrets",
                                        "filestore"}
    for key in keys:
        assert int(key.inputs["rotationPeriod"].rstrip("s")) <= 90 * 86400
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_keys_and_rings_protected_outside_dev(stack_run, stack):
    run = stack_run(stack)
    assert {r.protect for r in run.by_type(KEY) + run.by_type(RING)} == {stack != "dev"}


def test_key_rings_per_region_in_use(stack_run):
    assert [r.inputs["location"] for r in stack_run("dev").by_type(RING)] == ["us-central1"]
    assert sorted(r.inputs["location"] for r in stack_run("prod").by_type(RING)) == ["us-central1", "us-east4"]


def test_prod_keys_are_hsm_backed(stack_run):
    levels = {k.inputs["versionTemplate"]["protectionLevel"] for k in stack_run("prod").by_type(KEY)}
    assert levels == {"HSM"}
    assert {k.inputs["versionTemplate"]["protectionLevel"] for k in stack_run("dev").by_type(KEY)} == {"SOFTWARE"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_agent_can_use_only_the_keys_of_its_purposes(stack_run, stack):
    run = stack_run(stack)
    expected: dict[str, set[str]] = {}
    for purpose, agents in PURPOSES.items():
        for agent in agents:
            expected.setdefault(agent.email(PROJECT_NUMBER), set()).add(purpose)
    granted: dict[str, set[str]] = {}
    for grant in run.by_type(GRANT):
        assert grant.inputs["role"] == ENCRYPTER_DECRYPTER
        key = run.get(KEY, grant.inputs["cryptoKeyId"].removesuffix("-id"))
        granted.setdefault(grant.inputs["member"].removeprefix("serviceAccount:"), set()).add(key.inputs["name"])
    assert granted == expected
    assert expected["service-123456789012@container-engine-robot.iam.gserviceaccount.com"] == {"gke-secrets"}
    assert expected["service-123456789012@compute-system.iam.gserviceaccount.com"] == {"disks"}
