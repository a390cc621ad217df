"""Enables the Google APIs the platform uses, before anything that needs them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly


@dataclass(frozen=True)
class ProjectServicesArgs:
    project: str
    apis: tuple[str, ...]


class ProjectServices(pulumi.ComponentResource):
    """The project's enabled APIs. Depend on the component to wait for all of them.

    Never disabled on destroy: other workloads in the project may rely on them.
    """

    def __init__(self, name: str, args: ProjectServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "ProjectServices"), name, None, formerly(opts, "ai-platform:project:ProjectServices"))
        services = [
            gcp.projects.Service(
                f"{name}-{api.split('.')[0]}",
                project=args.project,
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in args.apis
        ]
        self.enabled: pulumi.Output[list[str]] = pulumi.Output.all(*(s.service for s in services))
        self.register_outputs({"enabled": self.enabled})
