"""What the platform keeps applied in a warm standby cluster besides its guardrails: the disk classes,
encrypted with the DR region's disk key, and each tenant's cluster-wide network baseline.

Volumes restored by Backup for GKE are created by the class their claim names, with that class's key: a
class restored from the primary would name a key in the primary's region, which a disk in the DR region
cannot use. The baselines are cluster-scoped (no namespace holds them, so no namespace restore brings
them): a tenant restored into the standby is isolated from its first pod on, as in the primary. The
restore keeps what the platform applied (restore plans keep existing objects).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import component_type, labels
from components.data.storage import disk_classes
from components.tenancy.tenant_network import baseline, router_baseline


@dataclass(frozen=True)
class StandbyPlatformArgs:
    disk_key: pulumi.Input[str]  # the DR region's `disks` key
    protect: bool
    tenants: tuple[tuple[str, bool], ...]  # (tenant, whether it has routers) as in the primary
    provider: pulumi.ProviderResource


class StandbyPlatform(pulumi.ComponentResource):
    """No outputs: the classes and baselines are named as in the primary cluster."""

    def __init__(self, name: str, args: StandbyPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("recovery", "StandbyPlatform"), name, None, opts)
        disk_classes(name, args.disk_key, args.protect, args.provider, self)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        for tenant, routers in args.tenants:
            k8s.apiextensions.CustomResource(
                f"{name}-{tenant}-baseline", api_version="cilium.io/v2", kind="CiliumClusterwideNetworkPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"tenant-{tenant}-baseline",
                                                    labels=labels("network-policy", tenant)),
                spec=baseline(tenant, routers=routers), opts=k8s_opts)
            if routers:
                k8s.apiextensions.CustomResource(
                    f"{name}-{tenant}-router-baseline", api_version="cilium.io/v2", kind="CiliumClusterwideNetworkPolicy",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=f"tenant-{tenant}-router",
                                                        labels=labels("network-policy", tenant)),
                    spec=router_baseline(tenant), opts=k8s_opts)
        self.register_outputs({})
