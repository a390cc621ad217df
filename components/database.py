"""The platform's Cloud SQL for PostgreSQL 16: private IP only, IAM auth, CMEK, PITR.

``add_database`` gives a consumer (a tenant, GenBI) its own database and user, the password
generated and kept in Secret Manager, readable only by the consumer's identities.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.encryption import Encryption
from components.naming import labels, physical_name
from components.network import Network
from components.secrets import generated_secret, grant_access
from config import PlatformSpec

POSTGRES_PORT = 5432


@dataclass
class DatabaseGrant:
    database: gcp.sql.Database
    user: gcp.sql.User
    password_secret: gcp.secretmanager.Secret


class Database(pulumi.ComponentResource):
    """Cloud SQL instance on the Private Service Access range; regional HA where configured."""

    def __init__(self, name: str, spec: PlatformSpec, *, network: Network, keys: Encryption,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:database:Database", name, None, opts)
        cfg, sql = spec.env.data.database, gcp.sql
        self.spec, self.keys = spec, keys
        self.private_range = spec.env.network.private_service_access_range
        self.instance = sql.DatabaseInstance(
            f"{name}-pg",
            name=physical_name(spec, "pg"),
            project=spec.project,
            region=spec.region,
            database_version="POSTGRES_16",
            encryption_key_name=keys.key("database").id,
            deletion_protection=spec.env.protect,
            settings=sql.DatabaseInstanceSettingsArgs(
                tier=cfg.tier,
                edition="ENTERPRISE",
                availability_type=cfg.availability,
                disk_type="PD_SSD",
                disk_size=cfg.disk_size_gb,
                disk_autoresize=True,
                deletion_protection_enabled=spec.env.protect,
                retain_backups_on_delete=spec.env.protect,
                ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=network.vpc.id,
                    allocated_ip_range=network.psa_range.name,
                    ssl_mode="ENCRYPTED_ONLY",
                    enable_private_path_for_google_cloud_services=True),
                backup_configuration=sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    start_time="02:00",
                    location=spec.region,
                    point_in_time_recovery_enabled=True,
                    transaction_log_retention_days=cfg.pitr_days,
                    backup_retention_settings=sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=cfg.backup_retention, retention_unit="COUNT")),
                maintenance_window=sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
                    day=cfg.maintenance_day, hour=cfg.maintenance_hour, update_track="stable"),
                insights_config=sql.DatabaseInstanceSettingsInsightsConfigArgs(
                    query_insights_enabled=True, record_application_tags=True, record_client_address=False,
                    query_string_length=1024),
                database_flags=[
                    sql.DatabaseInstanceSettingsDatabaseFlagArgs(name="cloudsql.iam_authentication", value="on"),
                    sql.DatabaseInstanceSettingsDatabaseFlagArgs(name="max_connections", value=str(cfg.max_connections)),
                    sql.DatabaseInstanceSettingsDatabaseFlagArgs(name="log_connections", value="on"),
                    sql.DatabaseInstanceSettingsDatabaseFlagArgs(name="log_min_duration_statement", value="1000"),
                ],
                user_labels=labels(spec, "database"),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=spec.env.protect,
                                        depends_on=[network.psa_connection, *keys.grants]),
        )
        self.admin_password, self.admin_secret = generated_secret(
            f"{name}-admin-password", spec, "pg-admin-password", key=keys.key("secrets").id, component="database",
            parent=self)
        self.admin = sql.User(f"{name}-admin", name="platform-admin", instance=self.instance.name,
                              project=spec.project, password=self.admin_password.result,
                              opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"connection_name": self.instance.connection_name,
                               "private_ip": self.instance.private_ip_address})

    def add_database(self, resource_name: str, *, owner: str, readers: list[pulumi.Input[str]],
                     parent: pulumi.Resource, tenant: str | None = None) -> DatabaseGrant:
        """A database and a password user for ``owner`` (a DNS label; SQL names use ``_``).

        The password is generated, kept in Secret Manager as ``<prefix>-<env>-<owner>-db-password``
        and readable only by ``readers``.
        """
        spec = self.spec
        db_name = owner.replace("-", "_")
        keep = pulumi.ResourceOptions(parent=parent, protect=spec.env.protect)
        database = gcp.sql.Database(f"{resource_name}-db", name=db_name, instance=self.instance.name,
                                    project=spec.project, deletion_policy="ABANDON" if spec.env.protect else None,
                                    opts=keep)
        password, secret = generated_secret(f"{resource_name}-db-password", spec, f"{owner}-db-password",
                                            key=self.keys.key("secrets").id, component="database", parent=parent,
                                            tenant=tenant)
        user = gcp.sql.User(f"{resource_name}-db-user", name=db_name, instance=self.instance.name,
                            project=spec.project, password=password.result,
                            opts=pulumi.ResourceOptions(parent=parent, depends_on=[database]))
        for i, reader in enumerate(readers):
            grant_access(f"{resource_name}-db-password-reader-{i}", secret, reader, parent)
        return DatabaseGrant(database, user, secret)
