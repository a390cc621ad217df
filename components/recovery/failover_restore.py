"""The failover's restore, run by the switch: a Job in the warm standby that restores the newest backup of
the tenants' namespaces into it (docs/dr.md).

Backup for GKE has no Pulumi resource for a restore (it is an operation, not a resource), so the switch
runs `gcloud beta container backup-restore restores create --wait-for-completion` (the command group and its
fine-grained `--filter-file` are in gcloud's beta surface only) in a Job, which Pulumi waits
for: everything the switch moves to the standby waits for it (layers/serving.py), since a StatefulSet
created before its claim is restored would claim an empty volume and the restore would skip the claim.
The newest *succeeded* backup is chosen when the Job runs. Helm's release records are left out (the
program installs its charts in the standby itself, and a restored record would make it refuse the
release name).

At rest the component keeps the Job's namespace and identity in the standby; the grants that let it
restore (one restore plan's restores, and reading Backup for GKE's backups) are made by ClusterBackup,
on its plans. Only the switch (``run``) adds the Job.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    CLUSTER_BOUND_LABEL,
    checkov_skips,
    component_type,
    labels,
    pod_security,
    restricted_container_context,
    restricted_pod_context,
)

core, meta = k8s.core.v1, k8s.meta.v1
NAMESPACE, ACCOUNT = "dr-restore", "restore"
RESTORE_TIMEOUT = "120m"  # Backup for GKE publishes no restore duration; the catalog estimates 15 min
# Helm's release records (Secrets labelled owner=helm): the program installs its releases in the standby itself;
# service-account tokens the primary's API server signed (components/conventions.CLUSTER_BOUND_LABEL): the standby's
# token controller fills the program's own Secret instead
FILTER = f"""exclusionFilters:
- groupKind: {{resourceGroup: "", resourceKind: Secret}}
  labels: {{owner: helm}}
- groupKind: {{resourceGroup: "", resourceKind: Secret}}
  labels: {{{CLUSTER_BOUND_LABEL}: "true"}}
"""
SCRIPT = """set -eu
backup=$(gcloud beta container backup-restore backups list --project="$PROJECT" --location="$LOCATION" \\
  --backup-plan="$BACKUP_PLAN" --filter='state=SUCCEEDED' --sort-by=~createTime --limit=1 --format='value(name)')
[ -n "$backup" ] || { echo "no succeeded backup in $BACKUP_PLAN: nothing to restore" >&2; exit 1; }
printf '%s' "$FILTER" > /tmp/filter.yaml
echo "restoring $backup"
gcloud beta container backup-restore restores create "failover-$(date -u +%Y%m%d%H%M%S)" --project="$PROJECT" \\
  --location="$LOCATION" --restore-plan="$RESTORE_PLAN" --backup="$backup" --filter-file=/tmp/filter.yaml \\
  --wait-for-completion
"""


def principal_subject() -> str:
    """The Job's Kubernetes identity (``namespace/serviceaccount``), granted by ClusterBackup."""
    return f"{NAMESPACE}/{ACCOUNT}"


@dataclass(frozen=True)
class FailoverRestoreArgs:
    project: str
    location: str  # the DR region: where the backup plan and the standby's restore plan are
    backup_plan: str  # their names (ClusterBackup's, from the DR region's naming)
    restore_plan: str
    image: pulumi.Input[str]  # the pinned Google Cloud CLI image
    provider: pulumi.ProviderResource  # the standby's
    run: bool  # the switch is on (`dr.serving_region: secondary`): restore now


class FailoverRestore(pulumi.ComponentResource):
    """Output ``job``: the restore Job while the switch is on (what the moved objects wait for), else None."""

    def __init__(self, name: str, args: FailoverRestoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("recovery", "FailoverRestore"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        tags = labels("dr-restore")
        namespace = core.Namespace(f"{name}-namespace", metadata=meta.ObjectMetaArgs(
            name=NAMESPACE, labels={**tags, **pod_security("restricted")}), opts=k8s_opts)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        core.ServiceAccount(f"{name}-ksa", metadata=meta.ObjectMetaArgs(name=ACCOUNT, namespace=NAMESPACE, labels=tags),
                            automount_service_account_token=False, opts=in_ns)
        self.job: k8s.batch.v1.Job | None = None
        if args.run:
            scratch = "/tmp"  # noqa: S108 (an emptyDir: the root filesystem is read-only)
            env = {"PROJECT": args.project, "LOCATION": args.location, "BACKUP_PLAN": args.backup_plan,
                   "RESTORE_PLAN": args.restore_plan, "FILTER": FILTER, "CLOUDSDK_CONFIG": f"{scratch}/gcloud",
                   "HOME": scratch}
            self.job = k8s.batch.v1.Job(
                f"{name}-job", metadata=meta.ObjectMetaArgs(name="failover-restore", namespace=NAMESPACE, labels=tags,
                                                           annotations=checkov_skips("pinned-tag", "if-not-present")),
                spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=0,  # a retry would start a second restore beside a running one
                    template=core.PodTemplateSpecArgs(
                        metadata=meta.ObjectMetaArgs(labels=tags),
                        spec=core.PodSpecArgs(
                            service_account_name=ACCOUNT, restart_policy="Never",
                            security_context=restricted_pod_context(),
                            containers=[core.ContainerArgs(
                                name="restore", image=args.image, image_pull_policy="IfNotPresent",
                                command=["/bin/sh", "-c", SCRIPT],
                                env=[core.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                                resources=core.ResourceRequirementsArgs(
                                    requests={"cpu": "100m", "memory": "256Mi"},
                                    limits={"cpu": "1", "memory": "512Mi"}),
                                security_context=restricted_container_context(),
                                volume_mounts=[core.VolumeMountArgs(name="tmp", mount_path=scratch)])],
                            volumes=[core.VolumeArgs(name="tmp", empty_dir=core.EmptyDirVolumeSourceArgs(
                                size_limit="256Mi"))]))),
                # Pulumi waits for the Job to succeed: the restore is done when the switch goes on
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace],
                                            custom_timeouts=pulumi.CustomTimeouts(create=RESTORE_TIMEOUT)))
        self.register_outputs({"job": self.job})
