"""The platform database's cross-region read replica, and its promotion on failover.

The replica lives in the DR region, on the DR VPC's Private Service Access range, encrypted with the DR
region's `database` key (Cloud SQL needs a key in the instance's own region), with the primary's tier,
edition and flags (a replica with fewer connections than its primary stops replicating). Failing over
promotes it in place, as the provider documents it: ``instance_type`` becomes ``CLOUD_SQL_INSTANCE`` and
``master_instance_name`` is dropped; nothing is replaced (the inventories pin its name, region and key).
A promoted replica is a standalone primary: it gets backups and point-in-time recovery. Failing back cannot
turn it into a replica again (Cloud SQL has no demotion; re-pointing replaces): the runbook drops it from the
state and ``dr.replica_generation`` names the new replica (docs/dr.md, failing back).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.data import DatabaseSpec
from config.naming import Naming

sql = gcp.sql


@dataclass(frozen=True)
class DatabaseReplicaArgs:
    naming: Naming  # the DR region's
    region: str
    primary: pulumi.Input[str]  # the primary instance's name
    settings: DatabaseSpec
    version: str
    flags: dict[str, str]  # the same CIS flags as the primary
    vpc_id: pulumi.Input[str]  # the DR VPC
    psa_range_name: pulumi.Input[str]  # resolves once the DR VPC's peering exists
    key: pulumi.Input[str]  # the DR region's `database` key
    promoted: bool  # failed over: a standalone primary
    protect: bool
    # bumped at each failback: the new replica needs a name Cloud SQL does not hold (the promoted one still exists,
    # and a deleted instance's name stays taken for up to a week); 1 keeps the first replica's name
    generation: int = 1


def replica_settings(args: DatabaseReplicaArgs) -> sql.DatabaseInstanceSettingsArgs:
    cfg = args.settings
    return sql.DatabaseInstanceSettingsArgs(
        tier=cfg.tier, edition=cfg.edition,
        # a replica is zonal; once promoted it is the platform's database and gets the primary's availability
        availability_type=cfg.availability if args.promoted else "ZONAL",
        disk_type="PD_SSD", disk_size=cfg.disk_size_gb, disk_autoresize=True,
        deletion_protection_enabled=args.protect, retain_backups_on_delete=args.protect,
        ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
            ipv4_enabled=False, private_network=args.vpc_id, allocated_ip_range=args.psa_range_name,
            ssl_mode="TRUSTED_CLIENT_CERTIFICATE_REQUIRED", enable_private_path_for_google_cloud_services=True),
        backup_configuration=sql.DatabaseInstanceSettingsBackupConfigurationArgs(
            enabled=True, start_time="02:00", location=args.region, point_in_time_recovery_enabled=True,
            transaction_log_retention_days=cfg.pitr_days,
            backup_retention_settings=sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                retained_backups=cfg.backup_retention, retention_unit="COUNT")) if args.promoted
        else sql.DatabaseInstanceSettingsBackupConfigurationArgs(enabled=False),
        maintenance_window=sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
            day=cfg.maintenance_day, hour=cfg.maintenance_hour, update_track="stable"),
        database_flags=[sql.DatabaseInstanceSettingsDatabaseFlagArgs(name=flag, value=value)
                        for flag, value in sorted({**args.flags, "max_connections": str(cfg.max_connections)}.items())],
        user_labels=args.naming.labels("recovery"))


def replica_name(generation: int) -> str:
    return "pg" if generation == 1 else f"pg-r{generation}"


class DatabaseReplica(pulumi.ComponentResource):
    """Outputs: ``instance_name``, ``connection_name``."""

    def __init__(self, name: str, args: DatabaseReplicaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("recovery", "DatabaseReplica"), name, None, opts)
        instance = sql.DatabaseInstance(
            f"{name}-pg", name=args.naming.held(replica_name(args.generation)), project=args.naming.project,
            region=args.region,
            database_version=args.version, encryption_key_name=args.key, deletion_protection=args.protect,
            instance_type="CLOUD_SQL_INSTANCE" if args.promoted else "READ_REPLICA_INSTANCE",
            master_instance_name=None if args.promoted else args.primary,
            settings=replica_settings(args),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["settings.diskSize"]))
        self.instance_name: pulumi.Output[str] = instance.name
        self.connection_name: pulumi.Output[str] = instance.connection_name
        self.register_outputs({"instance_name": self.instance_name, "connection_name": self.connection_name})
