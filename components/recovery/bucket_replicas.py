"""Copies of the platform's buckets in the DR region, kept current by cross-bucket replication.

Each replicated bucket gets a twin in the DR region, encrypted with that region's `storage` key (a
bucket's key must be in its location), and a Storage Transfer Service replication job that copies new
and changed objects within minutes (objects over 1 GiB can take hours). A replication job copies only
what is written after it starts: what was there before is copied once, by the command docs/dr.md gives
(a one-off transfer is an act, not a resource). The source buckets stay as they are: moving a bucket to
a dual-region replaces it (ADR 0011).

The Storage Transfer service agent owns the source for the job's sake (replication sets up the source's Pub/Sub
notifications: `legacyBucketOwner`, as the console grants it) and reads its objects, writes the twin, and
manages the notifications' topic and subscription (its service-agent role); Cloud Storage's agent publishes
them.

Whoever may use a source bucket, or one managed folder of it, gets the same on its twin and nothing more
(``access``): after a failover the DR region's workloads read the twins as they read the sources, and no
tenant reads another's weights there either (the twin's managed folders are created like the source's).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from components.data.storage import BucketPolicy, secure_bucket
from plan.endpoints import folder_key

SOURCE_ROLES = ("roles/storage.legacyBucketOwner", "roles/storage.objectViewer")
SINK_ROLES = ("roles/storage.legacyBucketWriter", "roles/storage.objectViewer")


@dataclass(frozen=True)
class Access:
    """A grant the source has, repeated on the twin: on the bucket, or on one managed folder (``folder``, its
    path as in plan/endpoints.py) that the twin gets too. ``key`` names the grant's resource."""

    key: str
    role: str
    member: pulumi.Input[str]
    folder: str | None = None


@dataclass(frozen=True)
class ReplicatedBucket:
    thing: str  # the source bucket's purpose (or `t-<tenant>`): the twin is named like it in the DR region
    source: pulumi.Input[str]  # the source bucket's name
    tenant: str | None = None
    storage_class: str = "STANDARD"
    access: tuple[Access, ...] = ()


@dataclass(frozen=True)
class BucketReplicasArgs:
    buckets: BucketPolicy  # the DR region's: its naming and location
    key: pulumi.Input[str]  # the DR region's `storage` key
    replicated: tuple[ReplicatedBucket, ...]
    project_number: pulumi.Input[str]


class BucketReplicas(pulumi.ComponentResource):
    """Output ``names``: source bucket purpose -> the twin's name."""

    def __init__(self, name: str, args: BucketReplicasArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("recovery", "BucketReplicas"), name, None, opts)
        project, child = args.buckets.naming.project, pulumi.ResourceOptions(parent=self)
        agent = gcp.storage.get_transfer_project_service_account_output(project=project).email
        transfer_member = agent.apply(lambda e: f"serviceAccount:{e}")
        service_agent = gcp.projects.IAMMember(
            f"{name}-transfer-agent", project=project, role="roles/storagetransfer.serviceAgent",
            member=transfer_member, opts=child)
        storage_agent = gcp.storage.get_project_service_account_output(project=project).email_address
        publisher = gcp.projects.IAMMember(
            f"{name}-notifications", project=project, role="roles/pubsub.publisher",
            member=storage_agent.apply(lambda e: f"serviceAccount:{e}"), opts=child)
        self.names: dict[str, pulumi.Output[str]] = {}
        for item in args.replicated:
            twin = secure_bucket(f"{name}-{item.thing}", args.buckets, item.thing, key=args.key, component="recovery",
                                 parent=self, tenant=item.tenant, storage_class=item.storage_class)
            grants = [gcp.storage.BucketIAMMember(f"{name}-{item.thing}-{side}-{role.rsplit('.', 1)[1]}", bucket=bucket,
                                                  role=role, member=transfer_member, opts=child)
                      for side, bucket, roles in (("source", item.source, SOURCE_ROLES), ("sink", twin.name, SINK_ROLES))
                      for role in roles]
            waits = pulumi.ResourceOptions(parent=self, depends_on=[*grants, service_agent, publisher])
            description = f"{args.buckets.naming.prefix}-{args.buckets.naming.environment} {item.thing} to DR"
            gcp.storage.TransferJob(
                f"{name}-{item.thing}-replication", project=project, description=f"{description}: replication",
                replication_spec=gcp.storage.TransferJobReplicationSpecArgs(
                    gcs_data_source=gcp.storage.TransferJobReplicationSpecGcsDataSourceArgs(bucket_name=item.source),
                    gcs_data_sink=gcp.storage.TransferJobReplicationSpecGcsDataSinkArgs(bucket_name=twin.name)),
                opts=waits)
            self._mirror_access(f"{name}-{item.thing}", twin.name, item.access, args.buckets.protect)
            self.names[item.thing] = twin.name
        self.register_outputs({"names": self.names})

    def _mirror_access(self, name: str, twin: pulumi.Output[str], access: tuple[Access, ...], protect: bool) -> None:
        child = pulumi.ResourceOptions(parent=self)
        folders = {
            path: gcp.storage.ManagedFolder(f"{name}-folder-{folder_key(path)}", bucket=twin, name=f"{path}/",
                                            force_destroy=not protect, opts=child).name
            for path in sorted({a.folder for a in access if a.folder})}
        for grant in access:
            if grant.folder:
                gcp.storage.ManagedFolderIamMember(f"{name}-{grant.key}", bucket=twin, managed_folder=folders[grant.folder],
                                                   role=grant.role, member=grant.member, opts=child)
            else:
                gcp.storage.BucketIAMMember(f"{name}-{grant.key}", bucket=twin, role=grant.role, member=grant.member,
                                            opts=child)
