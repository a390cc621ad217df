"""Cloud SQL: private, encrypted, recoverable, HA where configured; per-consumer databases."""

from __future__ import annotations

import pulumi
import pytest

from components.data.database import Database, DatabaseArgs, add_database
from components.data.secrets import SecretStore
from review.harness import REDACTED
from tests.helpers import key_name, run_component

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


def instance(run):
    return run.get(INSTANCE, "database-pg")


def test_newest_postgres_private_ip_only_client_certificates_required(run):
    i = instance(run).inputs
    assert i["databaseVersion"] == run.spec.catalog.versions.postgres
    assert i["settings"]["edition"] == run.spec.env.data.database.edition  # explicit: PG16+ defaults to PLUS
    ip = i["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["privateNetwork"] == f"projects/{run.spec.project}/global/networks/aip-{run.spec.environment}-vpc"
    assert ip["allocatedIpRange"] == f"aip-{run.spec.environment}-psa"
    # every client is an Auth Proxy or connector, which presents a client certificate (ADR 0005)
    assert ip["sslMode"] == "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    assert "authorizedNetworks" not in ip
    assert "gcp:servicenetworking/connection:Connection::network-psa" in instance(run).dependencies


def test_postgres_18_is_the_pinned_version(fixture_spec):
    assert fixture_spec("dev").catalog.versions.postgres == "POSTGRES_18"


CIS_FLAGS = {  # CIS GCP Foundation v4/v5 section 6.2, written out
    "log_error_verbosity": "default", "log_connections": "on", "log_disconnections": "on", "log_statement": "ddl",
    "log_min_messages": "error", "log_min_error_statement": "error", "log_min_duration_statement": "-1",
    "cloudsql.enable_pgaudit": "on", "cloudsql.iam_authentication": "on"}


def test_cis_database_flags(run):
    flags = {f["name"]: f["value"] for f in instance(run).inputs["settings"]["databaseFlags"]}
    assert CIS_FLAGS.items() <= flags.items()
    assert flags["log_hostname"] == "off" and flags["log_lock_waits"] == "on" and flags["log_checkpoints"] == "on"
    assert flags["max_connections"] == str(run.spec.env.data.database.max_connections)


def test_autoresized_disk_is_ignored_after_creation(run):
    record = instance(run)
    assert record.inputs["settings"]["diskAutoresize"] is True
    assert record.ignore_changes == ["settings.diskSize"]


def test_consumers_users_are_abandoned_not_dropped(run):
    """Postgres refuses to drop a role that owns objects: offboarding would fail on it."""
    users = [u for u in run.by_type("gcp:sql/user:User") if u.name != "database-admin"]
    assert users and {u.inputs["deletionPolicy"] for u in users} == {"ABANDON"}


def test_iam_auth_backups_pitr_cmek_insights_maintenance(run):
    i = instance(run).inputs
    s, cfg = i["settings"], run.spec.env.data.database
    assert {"name": "cloudsql.iam_authentication", "value": "on"} in s["databaseFlags"]
    backup = s["backupConfiguration"]
    assert backup["enabled"] is True and backup["pointInTimeRecoveryEnabled"] is True
    assert backup["transactionLogRetentionDays"] == cfg.pitr_days
    assert backup["backupRetentionSettings"] == {"retainedBackups": cfg.backup_retention, "retentionUnit": "COUNT"}
    assert i["encryptionKeyName"] == key_name(run, "database")
    assert s["insightsConfig"]["queryInsightsEnabled"] is True
    assert s["maintenanceWindow"] == {"day": cfg.maintenance_day, "hour": cfg.maintenance_hour, "updateTrack": "stable"}


def test_ha_and_sizing_per_environment(fixture_run):
    settings = {s: instance(fixture_run(s)).inputs["settings"] for s in ("dev", "staging", "prod")}
    assert {s: v["availabilityType"] for s, v in settings.items()} == {
        "dev": "ZONAL", "staging": "REGIONAL", "prod": "REGIONAL"}
    assert {s: v["tier"] for s, v in settings.items()} == {
        "dev": "db-custom-1-3840", "staging": "db-custom-2-8192", "prod": "db-custom-4-16384"}


def test_admin_password_generated_and_stored_in_secret_manager(run):
    user = run.get("gcp:sql/user:User", "database-admin")
    assert user.inputs["password"] == REDACTED
    assert "random:index/randomPassword:RandomPassword::database-admin-password-value" in user.dependencies
    assert run.get("gcp:secretmanager/secret:Secret", "database-admin-password").inputs["secretId"] == (
        f"aip-{run.spec.environment}-pg-admin-password")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_add_database_gives_a_consumer_its_own_database_user_and_secret(stack, fixture_spec):
    """The Database component and a consumer's database, from their own args: no network or keys needed."""
    spec = fixture_spec(stack)
    reader = "principal://example/subject/ns/team-a/sa/app"
    store = SecretStore(naming=spec.naming, region=spec.region, key="secrets-key", protect=spec.env.protect)
    args = DatabaseArgs(naming=spec.naming, region=spec.region, settings=spec.env.data.database,
                        version="POSTGRES_18", flags={"log_connections": "on"}, vpc_id="vpc",
                        psa_range_name="psa-range", key="database-key", secrets=store, protect=spec.env.protect)

    def build():
        db = Database("database", args)
        owner = pulumi.ComponentResource("test:index:Consumer", "team-a")
        add_database("team-a", instance=db.instance_name, store=store, owner="team-a", readers=[reader],
                     parent=owner, tenant="team-a")

    run = run_component(spec, build)
    database = run.get("gcp:sql/database:Database", "team-a-db")
    assert database.inputs["name"] == "team_a" and database.parent == "test:index:Consumer::team-a"
    assert database.protect is (stack == "prod")
    assert database.inputs["instance"] == {"dev": "aip-dev-pg-g1", "prod": "aip-prod-pg"}[stack]
    assert run.get(INSTANCE, "database-pg").inputs["encryptionKeyName"] == "database-key"
    user = run.get("gcp:sql/user:User", "team-a-db-user")
    assert user.inputs["name"] == "team_a" and user.inputs["password"] == REDACTED
    secret = run.get("gcp:secretmanager/secret:Secret", "team-a-db-password")
    assert secret.inputs["labels"]["tenant"] == "team-a"
    grants = [r for r in run.by_type("gcp:secretmanager/secretIamMember:SecretIamMember")
              if r.name.startswith("team-a-")]
    assert [(g.inputs["secretId"], g.inputs["member"]) for g in grants] == [
        (f"aip-{stack}-team-a-db-password", reader)]
