"""Backup for GKE: the tenants' namespaces backed up into the DR region, and the plans that restore them.

The backup plan lives in the DR region (its backups are stored where the plan is: a plan in the primary
region would fail with it) and is encrypted with that region's `backups` key. It takes each tenant's
namespace with its Secrets and volume data on the schedule the RPO asks for, keeps backups
``retain_days`` and locks them against deletion for ``delete_lock_days``.

Restore plans are made ahead, so a restore is one command (docs/dr.md):
- per tenant, into the primary cluster: a tenant that deleted its namespace gets it back (objects the
  platform has already re-created are kept; everything else, volumes included, comes from the backup);
- with a standby cluster, every tenant namespace into it: the tenants' objects and volumes, restored onto
  the standby's own StorageClasses (its region's disk key) and guardrails, which the platform applies
  there and which the restore keeps. No cluster-scoped object comes from a backup (the primary's
  webhooks and CRDs would point at the primary).
With a standby, its own plan waits paused: the switch (``standby_serves``) starts it, so the namespaces
keep their RPO while the standby serves, and its failback plan restores them into the primary.
Volume backups stay encrypted with the disks' own key (the primary region's `disks` key): restoring a
volume needs that key reachable (docs/dr.md, "What is not covered").
Backup for GKE skips managed namespaces (kube-system, gmp-public, ...): nothing of the platform's lives
in a tenant namespace that the restore cannot bring back, and the platform re-applies its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.naming import Naming
from config.recovery import BackupSchedule

gb = gcp.gkebackup
KEEP_WHAT_EXISTS = "MERGE_SKIP_ON_CONFLICT"  # the platform's objects win; the rest comes from the backup
FROM_BACKUP = "RESTORE_VOLUME_DATA_FROM_BACKUP"
TENANTS_PLAN, INTO_STANDBY = "tenants", "tenants-to-standby"  # names (the failover's restore Job names them too)
RESTORER = "roles/gkebackup.delegatedRestoreAdmin"  # creates restores within one restore plan
BACKUP_VIEWER = "roles/gkebackup.viewer"


@dataclass(frozen=True)
class Target:
    """A cluster restores can go to: its id (projects/<p>/locations/<l>/clusters/<c>) and region."""

    cluster: pulumi.Input[str]
    region: str


@dataclass(frozen=True)
class ClusterBackupArgs:
    naming: Naming  # the DR region's
    region: str  # the DR region: where the plan and its backups are
    cluster: pulumi.Input[str]  # the serving cluster's id
    primary: Target  # the serving cluster, for a tenant's undelete
    namespaces: tuple[str, ...]  # the tenants' namespaces
    schedule: BackupSchedule
    key: pulumi.Input[str]  # the DR region's `backups` key
    standby: Target | None  # the warm standby's cluster, if any
    protect: bool
    standby_serves: bool = False  # the DR region serves (`dr.serving_region: secondary`): back the standby up
    restorer: pulumi.Input[str] | None = None  # the switch's restore Job (components/recovery/failover_restore.py)


def restore_config(namespaces: list[str]) -> gb.RestorePlanRestoreConfigArgs:
    """Namespaced objects and volumes from the backup, keeping what exists. No cluster-scoped object: the
    serving cluster has the platform's, and in the standby the platform applies its own (guardrails, disk
    classes, the tenants' cluster-wide baselines), while the backup's would be the primary's webhooks,
    CRDs and ClusterRoles, pointing at the primary's endpoints. PersistentVolumes are not governed by this
    scope: they come with their claims."""
    return gb.RestorePlanRestoreConfigArgs(
        selected_namespaces=gb.RestorePlanRestoreConfigSelectedNamespacesArgs(namespaces=namespaces),
        namespaced_resource_restore_mode=KEEP_WHAT_EXISTS, volume_data_restore_policy=FROM_BACKUP,
        cluster_resource_restore_scope=gb.RestorePlanRestoreConfigClusterResourceRestoreScopeArgs(no_group_kinds=True))


class ClusterBackup(pulumi.ComponentResource):
    """Outputs: ``plan`` (the backup plan's id), ``restore_plans`` (key -> restore plan id: ``<tenant>`` for
    an undelete in the primary cluster, ``standby`` for the warm standby, ``failback`` from it)."""

    def __init__(self, name: str, args: ClusterBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("recovery", "ClusterBackup"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        plan = self._plan(f"{name}-plan", naming.name(TENANTS_PLAN), args.cluster, args,
                          "Tenants' namespaces: objects, Secrets and volumes")
        self.plan: pulumi.Output[str] = plan.id
        self.restore_plans: dict[str, pulumi.Output[str]] = {}
        for tenant in sorted(args.namespaces):
            self.restore_plans[tenant] = gb.RestorePlan(
                f"{name}-undelete-{tenant}", name=naming.name(f"undelete-{tenant}"), project=naming.project,
                location=args.primary.region, backup_plan=plan.id, cluster=args.primary.cluster,
                description=f"Tenant {tenant}'s namespace back into the serving cluster",
                restore_config=restore_config([tenant]),
                labels=naming.labels("recovery", tenant), opts=child).id
        if args.standby is not None:
            into_standby = gb.RestorePlan(
                f"{name}-standby", name=naming.name(INTO_STANDBY), project=naming.project,
                location=args.standby.region, backup_plan=plan.id, cluster=args.standby.cluster,
                description="Every tenant namespace into the warm standby cluster (failover)",
                restore_config=restore_config(sorted(args.namespaces)),
                labels=naming.labels("recovery"), opts=child)
            self.restore_plans["standby"] = into_standby.id
            if args.restorer is not None:
                # restores through this plan only, and reading which backups exist (a project-level role:
                # Backup for GKE's viewer role has no narrower resource)
                gb.RestorePlanIamMember(
                    f"{name}-standby-restorer", project=naming.project, location=args.standby.region,
                    name=into_standby.name, role=RESTORER, member=args.restorer, opts=child)
                gcp.projects.IAMMember(f"{name}-restorer-viewer", project=naming.project, role=BACKUP_VIEWER,
                                       member=args.restorer, opts=child)
            standby = self._plan(f"{name}-standby-plan", naming.name("standby-tenants"), args.standby.cluster, args,
                                 "Tenants' namespaces in the warm standby while it serves (paused until then)",
                                 paused=not args.standby_serves)
            self.restore_plans["failback"] = gb.RestorePlan(
                f"{name}-failback", name=naming.name("tenants-to-primary"), project=naming.project,
                location=args.primary.region, backup_plan=standby.id, cluster=args.primary.cluster,
                description="Every tenant namespace from the standby back into the primary cluster (failback)",
                restore_config=restore_config(sorted(args.namespaces)),
                labels=naming.labels("recovery"), opts=child).id
        self.register_outputs({"plan": self.plan, "restore_plans": self.restore_plans})

    def _plan(self, resource_name: str, plan_name: str, cluster: pulumi.Input[str], args: ClusterBackupArgs,
              description: str, *, paused: bool | None = None) -> gb.BackupPlan:
        """A plan of the tenants' namespaces in ``cluster``, stored in the DR region under its key."""
        sched = args.schedule
        return gb.BackupPlan(
            resource_name, name=plan_name, project=args.naming.project, location=args.region,
            cluster=cluster, description=description,
            backup_config=gb.BackupPlanBackupConfigArgs(
                selected_namespaces=gb.BackupPlanBackupConfigSelectedNamespacesArgs(
                    namespaces=sorted(args.namespaces)),
                include_secrets=True, include_volume_data=True,
                encryption_key=gb.BackupPlanBackupConfigEncryptionKeyArgs(gcp_kms_encryption_key=args.key)),
            backup_schedule=gb.BackupPlanBackupScheduleArgs(
                rpo_config=gb.BackupPlanBackupScheduleRpoConfigArgs(target_rpo_minutes=sched.rpo_minutes),
                paused=paused),
            retention_policy=gb.BackupPlanRetentionPolicyArgs(
                backup_retain_days=sched.retain_days, backup_delete_lock_days=sched.delete_lock_days),
            labels=args.naming.labels("recovery"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
