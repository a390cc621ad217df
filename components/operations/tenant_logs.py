"""A tenant's logs, its own: a log bucket that only its namespace's container logs reach, readable by
its groups.

Cloud Logging's views cannot filter by namespace (a view may name only the log, the resource type and
the source), so isolation is a bucket per tenant: a sink copies the namespace's container logs there
(they stay in `_Default` too, for the platform's on-call), the bucket is encrypted with the platform's
`logs` key and keeps them `operations.log_retention_days`, and the tenant's owners and viewers may read
its `_AllLogs` view and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.naming import Naming

VIEW_ACCESSOR = "roles/logging.viewAccessor"
BUCKET_WRITER = "roles/logging.bucketWriter"


@dataclass(frozen=True)
class TenantLogsArgs:
    naming: Naming
    tenant: str
    region: str
    cluster: pulumi.Input[str]
    retention_days: int
    key: pulumi.Input[str]  # the `logs` key, in the bucket's region
    readers: tuple[str, ...]  # IAM members: the tenant's groups
    protect: bool


class TenantLogs(pulumi.ComponentResource):
    """Outputs: ``bucket`` (the log bucket's id), ``view`` (the view its groups read)."""

    def __init__(self, name: str, args: TenantLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "TenantLogs"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        # A deleted log bucket keeps its id for 7 days: unprotected stacks take a new one after a destroy (held).
        project, bucket_id = naming.project, naming.held(f"{args.tenant}-logs")
        bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-bucket", project=project, location=args.region, bucket_id=bucket_id,
            retention_days=args.retention_days, description=f"Container logs of tenant {args.tenant}'s namespace",
            cmek_settings=gcp.logging.ProjectBucketConfigCmekSettingsArgs(kms_key_name=args.key),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        sink = gcp.logging.ProjectSink(
            f"{name}-sink", project=project, name=naming.name(f"{args.tenant}-logs"),
            destination=bucket.id.apply(lambda b: f"logging.googleapis.com/{b}"),
            filter=pulumi.Output.from_input(args.cluster).apply(
                lambda c: f'resource.type="k8s_container" AND resource.labels.cluster_name="{c}" AND '
                          f'resource.labels.namespace_name="{args.tenant}"'),
            unique_writer_identity=True, opts=child)
        only_this_bucket = gcp.projects.IAMMemberConditionArgs(
            title=f"{args.tenant}-logs", description=f"Only tenant {args.tenant}'s log bucket",
            expression=bucket.id.apply(lambda b: f'resource.name.startsWith("{b}")'))
        gcp.projects.IAMMember(f"{name}-sink-writer", project=project, role=BUCKET_WRITER,
                               member=sink.writer_identity, condition=only_this_bucket, opts=child)
        view = bucket.id.apply(lambda b: f"{b}/views/_AllLogs")
        for i, member in enumerate(args.readers):
            gcp.projects.IAMMember(
                f"{name}-reader-{i}", project=project, role=VIEW_ACCESSOR, member=member,
                condition=gcp.projects.IAMMemberConditionArgs(
                    title=f"{args.tenant}-logs-view", description=f"Read tenant {args.tenant}'s logs only",
                    expression=view.apply(lambda v: f'resource.name == "{v}"')),
                opts=child)
        self.bucket: pulumi.Output[str] = bucket.id
        self.view: pulumi.Output[str] = view
        self.register_outputs({"bucket": self.bucket, "view": self.view})
