"""Cloud SQL: private, encrypted in transit and at rest, recoverable, and logged as CIS asks."""

from __future__ import annotations

from policy.rules.base import rule

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
# CIS Google Cloud Platform Foundation Benchmark, section 6.2 (PostgreSQL flags).
CIS_POSTGRES_FLAGS = {"log_connections": "on", "log_disconnections": "on", "log_checkpoints": "on",
                      "log_lock_waits": "on", "log_min_duration_statement": "-1", "cloudsql.enable_pgaudit": "on"}
SEVERITIES = ("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log",
              "fatal", "panic")


def _primary(r) -> bool:
    """A read replica (DR) has no backups or HA of its own: it is promoted, then configured."""
    return not r.get("masterInstanceName")


@rule("sql-no-public-ip", "sql", "critical", "Databases have a private IP only.",
      "Set settings.ip_configuration.ipv4_enabled=False with private_network (private service access).",
      types=(INSTANCE,))
def _public_ip(r, ctx):
    if r.get("settings.ipConfiguration.ipv4Enabled") is not False:
        yield "the instance has a public IPv4 address (settings.ipConfiguration.ipv4Enabled)"


@rule("sql-ssl", "sql", "high", "Connections are encrypted (and client certificates required where set).",
      "Set settings.ip_configuration.ssl_mode='ENCRYPTED_ONLY' or 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED'.",
      types=(INSTANCE,))
def _ssl(r, ctx):
    mode = r.get("settings.ipConfiguration.sslMode")
    if mode not in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"):
        yield f"unencrypted connections are accepted (sslMode: {mode or 'unset'})"


@rule("sql-backups-pitr", "sql", "high", "Primary instances take daily backups and keep logs for point-in-time recovery.",
      "Set settings.backup_configuration(enabled=True, point_in_time_recovery_enabled=True) "
      "(data.database.backup_retention and pitr_days).", types=(INSTANCE,))
def _backups(r, ctx):
    if not _primary(r):
        return
    if r.get("settings.backupConfiguration.enabled") is not True:
        yield "automated backups are off"
    if r.get("settings.backupConfiguration.pointInTimeRecoveryEnabled") is not True:
        yield "point-in-time recovery is off"


@rule("sql-ha-in-prod", "sql", "high", "Production's primary database survives a zone failure (regional HA).",
      "Set data.database.availability: REGIONAL in config/environments/prod.yaml.", types=(INSTANCE,))
def _ha(r, ctx):
    if ctx.environment == "prod" and _primary(r) and r.get("settings.availabilityType") != "REGIONAL":
        yield f"availability {r.get('settings.availabilityType') or 'ZONAL'} in prod"


@rule("sql-deletion-protection", "sql", "high",
      "Where data is protected, neither Pulumi nor the console can delete the instance.",
      "Set deletion_protection=True and settings.deletion_protection_enabled=True (protect: true).",
      types=(INSTANCE,))
def _deletion(r, ctx):
    if ctx.protect and (r.get("deletionProtection") is not True
                        or r.get("settings.deletionProtectionEnabled") is not True):
        yield "deletion protection is off (deletionProtection / settings.deletionProtectionEnabled)"


@rule("sql-cmek", "sql", "high", "Database storage and backups are encrypted with the platform's KMS key.",
      "Set encryption_key_name=<database key> (only possible when the instance is created).", types=(INSTANCE,))
def _sql_cmek(r, ctx):
    if not r.get("encryptionKeyName"):
        yield "no customer-managed key (encryptionKeyName)"


@rule("sql-cis-flags", "sql", "medium", "PostgreSQL logs what the CIS benchmark asks for (connections, locks, "
      "errors, DDL through pgaudit).",
      "Set the flags in components/data/database.py: " + ", ".join(f"{k}={v}" for k, v in CIS_POSTGRES_FLAGS.items())
      + ", log_min_error_statement=error or stricter, log_min_messages=warning or stricter.", types=(INSTANCE,))
def _flags(r, ctx):
    if not str(r.get("databaseVersion", "")).startswith("POSTGRES"):
        return
    flags = {f.get("name"): f.get("value") for f in r.known(r.get("settings.databaseFlags", []))}
    for name, value in CIS_POSTGRES_FLAGS.items():
        if flags.get(name) != value:
            yield f"flag {name} is {flags.get(name, 'unset')!r}, not {value!r}"
    for name, floor in (("log_min_error_statement", "error"), ("log_min_messages", "warning")):
        level = flags.get(name, "")
        if level not in SEVERITIES or SEVERITIES.index(level) < SEVERITIES.index(floor):
            yield f"flag {name} is {level or 'unset'!r}, not {floor} or stricter"
