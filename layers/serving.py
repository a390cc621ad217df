"""Where the Kubernetes side runs (docs/dr.md, ADR 0011): the primary region's cluster, or after the switch
(`dr.serving_region: secondary`) the standby's.

Tenancy, workloads, the way in and operations render their Kubernetes objects for the serving cluster, with
what that region has: its image caches, its address plan (network policies name the proxy-only, database
and DNS ranges) and, after the switch, the DR copies of the data (the promoted replica, the bucket twins,
the secret twins). Google resources that hold state (buckets, databases, service accounts, secrets) stay
where they are: the layers take those from the primary's ``RegionalPlatform``. The switch therefore moves
every Kubernetes object the program owns from one provider to the other (a replacement per object, created
in the standby over what the restore brought back, deleted from the primary or, when the primary cannot be
reached, dropped from the state: both providers have ``deleteUnreachable``). Cluster-wide services stay: each
cluster runs its own guardrails, disk classes, tenant baselines, KEDA and trace collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.platform.cluster import Cluster
from components.platform.image_supply import ImageSupply
from components.platform.network import Network
from components.workloads.autoscaling import Autoscaling
from config.naming import Naming
from config.network import NetworkSpec
from config.spec import PlatformSpec
from layers.platform import Compute, RegionalPlatform


@dataclass(frozen=True)
class Serving:
    region: str
    naming: Naming
    cluster: Cluster
    network: Network
    addresses: NetworkSpec  # the region's address plan (config: `network`, or `dr.network`)
    images: ImageSupply
    secondary: bool  # the DR region serves: workloads read the DR copies of buckets, secrets and the database
    ready: tuple[pulumi.Resource, ...] = field(default=())  # what must finish first: the failover's restore
    keda: Autoscaling | None = None  # the standby's own KEDA once it serves (the primary's: layers/workloads.py)

    def after(self, apis: pulumi.Resource) -> pulumi.ResourceOptions:
        """Options of a component at the root of the serving side: it waits for the APIs and for ``ready`` (what
        depends on it waits too)."""
        return pulumi.ResourceOptions(depends_on=[apis, *self.ready])


def serving(spec: PlatformSpec, primary: RegionalPlatform, standby: Compute | None,
            ready: tuple[pulumi.Resource, ...] = (), keda: Autoscaling | None = None) -> Serving:
    """``standby``: the DR region's cluster (layers/recovery.py), which config requires for the switch; ``ready``:
    the restore Job the switch runs there; ``keda``: the standby's KEDA."""
    if not spec.env.dr.failed_over:
        return Serving(region=primary.region, naming=primary.naming, cluster=primary.cluster,
                       network=primary.network, addresses=spec.env.network, images=primary.images, secondary=False)
    at = primary.dr
    return Serving(region=at.region, naming=at.naming, cluster=standby.cluster, network=at.network,
                   addresses=spec.env.dr.network, images=at.images, secondary=True, ready=ready, keda=keda)
