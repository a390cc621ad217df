"""The platform's Cloud SQL for PostgreSQL: private IP only, client certificates required, CIS flags,
IAM auth, CMEK, PITR.

Every client connects through the Cloud SQL Auth Proxy (or a Cloud SQL connector), which
presents a short-lived client certificate: the instance requires one (ADR 0005).
``add_database`` gives a consumer (a tenant, GenBI) its own database and user on the
instance, the password generated and kept in Secret Manager, readable only by the
consumer's identities.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly
from components.data.secrets import SecretStore, generated_secret, grant_access
from config.data import DatabaseSpec
from config.naming import Naming, sql_name


@dataclass(frozen=True)
class DatabaseArgs:
    naming: Naming
    region: str
    settings: DatabaseSpec
    version: str  # POSTGRES_<major>, from the versions catalog
    flags: dict[str, str]  # the CIS flags of the flag catalog
    vpc_id: pulumi.Input[str]
    psa_range_name: pulumi.Input[str]  # resolves once the peering exists
    key: pulumi.Input[str]  # the `database` key
    secrets: SecretStore  # where the admin password goes
    protect: bool
    backup_region: str | None = None  # where backups are stored: the DR region where there is one


class Database(pulumi.ComponentResource):
    """Cloud SQL instance on the Private Service Access range; regional HA where configured.

    Outputs: ``instance_name``, ``connection_name``.
    """

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("data", "Database"), name, None, formerly(opts, "ai-platform:database:Database"))
        cfg, sql, naming = args.settings, gcp.sql, args.naming
        instance = sql.DatabaseInstance(
            f"{name}-pg",
            name=naming.held("pg"),
            project=naming.project,
            region=args.region,
            database_version=args.version,
            encryption_key_name=args.key,
            deletion_protection=args.protect,
            settings=sql.DatabaseInstanceSettingsArgs(
                tier=cfg.tier,
                edition=cfg.edition,
                availability_type=cfg.availability,
                disk_type="PD_SSD",
                disk_size=cfg.disk_size_gb,
                disk_autoresize=True,
                deletion_protection_enabled=args.protect,
                retain_backups_on_delete=args.protect,
                ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.vpc_id,
                    allocated_ip_range=args.psa_range_name,
                    ssl_mode="TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
                    enable_private_path_for_google_cloud_services=True),
                backup_configuration=sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    start_time="02:00",
                    location=args.backup_region or args.region,
                    point_in_time_recovery_enabled=True,
                    transaction_log_retention_days=cfg.pitr_days,
                    backup_retention_settings=sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=cfg.backup_retention, retention_unit="COUNT")),
                maintenance_window=sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
                    day=cfg.maintenance_day, hour=cfg.maintenance_hour, update_track="stable"),
                insights_config=sql.DatabaseInstanceSettingsInsightsConfigArgs(
                    query_insights_enabled=True, record_application_tags=True, record_client_address=False,
                    query_string_length=1024),
                database_flags=[sql.DatabaseInstanceSettingsDatabaseFlagArgs(name=flag, value=value)
                                for flag, value in sorted({**args.flags,
                                                           "max_connections": str(cfg.max_connections)}.items())],
                user_labels=naming.labels("database"),
            ),
            # The disk grows by itself (autoresize): the configured size is only the initial one.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["settings.diskSize"]),
        )
        admin_password, _, _ = generated_secret(
            f"{name}-admin-password", args.secrets, "pg-admin-password", component="database", parent=self)
        sql.User(f"{name}-admin", name="platform-admin", instance=instance.name, project=naming.project,
                 password=admin_password.result, opts=pulumi.ResourceOptions(parent=self))
        self.instance_name: pulumi.Output[str] = instance.name
        self.connection_name: pulumi.Output[str] = instance.connection_name
        self.register_outputs({"instance_name": self.instance_name, "connection_name": self.connection_name})


@dataclass(frozen=True)
class ConsumerDatabase:
    """What ``add_database`` made: the database name and the id of the password secret workloads read (the
    twin's once the DR region serves)."""

    name: pulumi.Output[str]
    password_secret_id: pulumi.Output[str]


def add_database(resource_name: str, *, instance: pulumi.Input[str], store: SecretStore, owner: str,
                 readers: list[pulumi.Input[str]], parent: pulumi.Resource,
                 tenant: str | None = None) -> ConsumerDatabase:
    """A database and a password user for ``owner`` (a DNS label; SQL names use ``_``) on ``instance``.

    The password is generated, kept in Secret Manager as ``<prefix>-<env>-<owner>-db-password``
    and readable only by ``readers``. The database is protected (and abandoned rather than
    dropped) wherever the store protects secrets.
    """
    project, protect = store.naming.project, store.protect
    db_name = sql_name(owner)
    database = gcp.sql.Database(f"{resource_name}-db", name=db_name, instance=instance, project=project,
                                deletion_policy="ABANDON" if protect else None,
                                opts=pulumi.ResourceOptions(parent=parent, protect=protect))
    password, secret, twin = generated_secret(f"{resource_name}-db-password", store, f"{owner}-db-password",
                                        component="database", parent=parent, tenant=tenant)
    # ABANDON: Postgres refuses to drop a role that owns objects, which would block offboarding;
    # the role goes with its database (dropped by hand after export) or the instance.
    gcp.sql.User(f"{resource_name}-db-user", name=db_name, instance=instance, project=project,
                 password=password.result, deletion_policy="ABANDON",
                 opts=pulumi.ResourceOptions(parent=parent, depends_on=[database]))
    for i, reader in enumerate(readers):
        grant_access(f"{resource_name}-db-password-reader-{i}", project=secret.project, secret_id=secret.secret_id,
                     member=reader, parent=parent, twin=twin)
    return ConsumerDatabase(database.name, store.served(secret, twin))
