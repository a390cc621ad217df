"""Who touched the data: Data Access audit logs for the services that hold it, kept in the locked bucket.

Admin Activity logs are always on; reads and writes of data are not. They are turned on (reads and
writes, nobody exempt: CIS 2.1) for Cloud Storage, Secret Manager, Cloud SQL and Cloud KMS, and a sink
copies every audit log into the platform's audit-logs bucket (WORM, retention-locked in prod): object-level
access to every bucket is recorded and kept, which is what the CIS bucket-access-logging control asks
for. Also here: the count of error lines per namespace, and the exclusion of probe noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from config.naming import Naming

# Cloud SQL's audit logs are filed under cloudsql.googleapis.com, not sqladmin (Cloud SQL audit logging docs).
AUDITED = ("storage.googleapis.com", "secretmanager.googleapis.com", "cloudsql.googleapis.com",
           "cloudkms.googleapis.com")
PROBES = ('resource.type="k8s_container" AND (textPayload:"GET /health" OR textPayload:"GET /readyz" OR '
          'textPayload:"GET /livez" OR textPayload:"kube-probe" OR jsonPayload.message:"GET /health")')


@dataclass(frozen=True)
class AuditLoggingArgs:
    naming: Naming
    audit_bucket: pulumi.Input[str]


class AuditLogging(pulumi.ComponentResource):
    """Outputs: ``sink`` (the audit sink's writer identity), ``error_lines`` (the log-based metric's name)."""

    def __init__(self, name: str, args: AuditLoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "AuditLogging"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        project = naming.project
        for service in AUDITED:
            gcp.projects.IAMAuditConfig(
                f"{name}-{service.split('.')[0]}", project=project, service=service,
                audit_log_configs=[gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=kind)
                                   for kind in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")], opts=child)
        sink = gcp.logging.ProjectSink(
            f"{name}-sink", project=project, name=naming.name("audit-to-bucket"),
            destination=pulumi.Output.from_input(args.audit_bucket).apply(lambda b: f"storage.googleapis.com/{b}"),
            filter='logName:"cloudaudit.googleapis.com"', unique_writer_identity=True, opts=child)
        gcp.storage.BucketIAMMember(f"{name}-sink-writer", bucket=args.audit_bucket, role="roles/storage.objectCreator",
                                    member=sink.writer_identity, opts=child)
        gcp.logging.ProjectExclusion(
            f"{name}-probe-noise", project=project, name=naming.name("probe-noise"), filter=PROBES,
            description="Health and readiness probes' request lines: every pod, every few seconds", opts=child)
        errors = gcp.logging.Metric(
            f"{name}-error-lines", project=project, name="container-error-lines",
            description="Container log lines at ERROR or above, per namespace",
            filter='resource.type="k8s_container" AND severity>=ERROR',
            label_extractors={"namespace": "EXTRACT(resource.labels.namespace_name)"},
            metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
                metric_kind="DELTA", value_type="INT64",
                labels=[gcp.logging.MetricMetricDescriptorLabelArgs(key="namespace", value_type="STRING")]),
            opts=child)
        self.sink: pulumi.Output[str] = sink.writer_identity
        self.error_lines: pulumi.Output[str] = errors.name
        self.register_outputs({"sink": self.sink, "error_lines": self.error_lines})
