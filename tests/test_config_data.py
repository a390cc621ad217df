"""Data config mistakes: one line each, naming file, field, value and fix."""

from __future__ import annotations

import pytest

from config import ConfigError, loader
from tests.conftest import edit_yaml


def error(root, stack, change) -> str:
    edit_yaml(root / f"config/environments/{stack}.yaml", lambda d: change(d["data"]))
    with pytest.raises(ConfigError) as caught:
        loader.load(stack, loader.stack_config_from_file(stack, root), root)
    return str(caught.value)


def test_bucket_location_incompatible_with_key_location(config_tree):
    assert error(config_tree, "prod", lambda d: d["storage"].update(location="US")) == (
        "config/environments/prod.yaml: data.storage.location: 'US' needs a Cloud KMS key in location 'us', "
        "but the platform's keys are in us-central1 (use location: US-CENTRAL1)")


def test_filestore_capacity_below_the_tier_minimum(config_tree):
    assert error(config_tree, "staging", lambda d: d["filestore"].update(capacity_gb=1024)) == (
        "config/environments/staging.yaml: data.filestore.capacity_gb: 1024 is below the BASIC_SSD minimum of 2560 GiB")


def test_unknown_cloud_sql_tier(config_tree):
    assert error(config_tree, "dev", lambda d: d["database"].update(tier="db-custom-2-8000")) == (
        "config/environments/dev.yaml: data.database.tier: 'db-custom-2-8000' is not a Cloud SQL tier listed in "
        "config/catalog/prices.yaml (did you mean 'db-custom-2-8192'? known: db-custom-1-3840, db-custom-2-8192, "
        "db-custom-4-16384, db-custom-8-32768)")


def test_ha_database_in_zonal_dev(config_tree):
    assert error(config_tree, "dev", lambda d: d["database"].update(availability="REGIONAL")) == (
        "config/environments/dev.yaml: data.database.availability: 'REGIONAL' needs a standby in a second zone, "
        "but this environment is zonal (us-central1-a); use ZONAL or list more zones")


def test_regional_filestore_in_zonal_dev(config_tree):
    assert error(config_tree, "dev", lambda d: d.update(filestore={"tier": "REGIONAL", "capacity_gb": 1024})).startswith(
        "config/environments/dev.yaml: data.filestore.tier: 'REGIONAL' is regional, but this environment is zonal")


def test_pitr_longer_than_backups(config_tree):
    assert error(config_tree, "dev", lambda d: d["database"].update(pitr_days=6, backup_retention=5)) == (
        "config/environments/dev.yaml: data.database.pitr_days: 6 is longer than backup_retention (5); "
        "PITR needs the backups")


def test_pitr_longer_than_the_edition_keeps_logs(config_tree):
    assert error(config_tree, "dev", lambda d: d["database"].update(pitr_days=10, backup_retention=14)) == (
        "config/environments/dev.yaml: data.database.pitr_days: 10 is longer than Cloud SQL ENTERPRISE keeps logs for "
        "point-in-time recovery (7 days)")


def test_enterprise_plus_needs_its_own_tiers(config_tree):
    assert error(config_tree, "dev", lambda d: d["database"].update(edition="ENTERPRISE_PLUS")) == (
        "config/environments/dev.yaml: data.database.tier: 'db-custom-1-3840' is not offered by ENTERPRISE_PLUS "
        "(use a db-perf-optimized-N-* tier or edition: ENTERPRISE)")


def test_soft_delete_between_one_and_six_days(config_tree):
    assert error(config_tree, "dev", lambda d: d["storage"].update(soft_delete_days=3)) == (
        "config/environments/dev.yaml: data.storage.soft_delete_days: 3 must be 0 (off) or between 7 and 90")


def test_missing_platform_bucket(config_tree):
    assert error(config_tree, "dev", lambda d: d["storage"]["buckets"].pop("audit-logs")) == (
        "config/environments/dev.yaml: data.storage.buckets: ['artifacts', 'backups', 'models'] lacks audit-logs")


def test_secret_reader_must_be_namespace_and_service_account(config_tree):
    assert error(config_tree, "dev", lambda d: d["secrets"]["external"][0].update(readers=["wren-ai"])) == (
        "config/environments/dev.yaml: data.secrets.external[0].readers[0]: 'wren-ai' is not "
        "'namespace/serviceaccount'")
