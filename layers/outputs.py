"""The stack's outputs: where things are, for operators and the next tool in the pipeline."""

from __future__ import annotations

import pulumi

from config.spec import PlatformSpec
from layers.entry import Entry
from layers.operations import Operations
from layers.platform import Project, RegionalPlatform
from layers.serving import Serving
from layers.tenancy import Tenancy
from layers.workloads import Workloads


def export(spec: PlatformSpec, base: Project, platform: RegionalPlatform, serving: Serving, tenancy: Tenancy,
           workloads: Workloads, entry: Entry, operations: Operations) -> None:
    pulumi.export("environment", spec.environment)
    pulumi.export("region", platform.region)
    pulumi.export("vpc", platform.network.vpc_id)
    pulumi.export("serving_region", serving.region)  # the cluster below is the serving one (layers/serving.py)
    pulumi.export("cluster", serving.cluster.name)
    pulumi.export("cluster_location", serving.cluster.location)
    pulumi.export("node_service_account", base.nodes.email)
    pulumi.export("buckets", platform.storage.bucket_names)
    pulumi.export("database_connection", platform.database.connection_name)
    pulumi.export("tenants", {name: t.google_account for name, t in tenancy.tenants.items()})
    pulumi.export("inference_endpoints", {name: e.url for name, e in workloads.endpoints.items()})
    pulumi.export("public_urls", entry.urls)
    pulumi.export("dashboards", operations.dashboards.ids)
    pulumi.export("tenant_log_views", {name: logs.view for name, logs in operations.logs.items()})
    pulumi.export("slos", {name: levels.slos for name, levels in operations.service_levels.items()})
