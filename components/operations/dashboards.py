"""Cloud Monitoring dashboards, as JSON made by plan/dashboards.py (every chart a PromQL query)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type


@dataclass(frozen=True)
class DashboardsArgs:
    project: str
    dashboards: dict[str, pulumi.Input[str]]  # key ("platform", a tenant) -> dashboard_json


class Dashboards(pulumi.ComponentResource):
    """Output ``ids``: key -> the dashboard's id."""

    def __init__(self, name: str, args: DashboardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "Dashboards"), name, None, opts)
        self.ids: dict[str, pulumi.Output[str]] = {
            key: gcp.monitoring.Dashboard(f"{name}-{key}", project=args.project, dashboard_json=body,
                                          opts=pulumi.ResourceOptions(parent=self)).id
            for key, body in sorted(args.dashboards.items())}
        self.register_outputs({"ids": self.ids})
