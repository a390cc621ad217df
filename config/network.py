"""The address plan of a VPC: the `network` of an environment file, and its DR region's (`dr.network`)."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, model_validator

from config.types import Cidr, FieldError, Spec, network


class FlowLogs(Spec):
    """VPC flow logs on the primary subnet (prod asks for them; they cost per GB)."""

    interval: Literal[
        "INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN",
        "INTERVAL_5_MIN", "INTERVAL_10_MIN", "INTERVAL_15_MIN",
    ] = "INTERVAL_5_SEC"
    sampling: float = Field(0.5, gt=0, le=1)
    metadata: Literal["INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA"] = "INCLUDE_ALL_METADATA"


class Nat(Spec):
    """Cloud NAT for private nodes' egress (image pulls from outside Google, model hubs)."""

    min_ports_per_vm: int = Field(64, ge=32, le=65536)
    log_filter: Literal["ERRORS_ONLY", "TRANSLATIONS_ONLY", "ALL"] = "ERRORS_ONLY"


class NetworkSpec(Spec):
    """Address plan of the platform VPC. Every range must be disjoint from every other."""

    primary_range: Cidr = Field(description="Nodes' subnet.")
    pods_range: Cidr = Field(description="Secondary range for pod IPs (VPC-native).")
    services_range: Cidr = Field(description="Secondary range for ClusterIP services.")
    control_plane_range: Cidr = Field(description="/28 peered to the GKE control plane.")
    proxy_only_range: Cidr = Field(description="Envoy proxies of regional L7 gateways.")
    private_service_access_range: Cidr = Field(description="Peered to Google services (Cloud SQL private IP).")
    iap_tcp_forwarding: bool = Field(False, description="Allow SSH to nodes through IAP (35.235.240.0/20).")
    flow_logs: FlowLogs | None = None
    nat: Nat = Nat()

    @model_validator(mode="after")
    def _disjoint_and_sized(self) -> NetworkSpec:
        names = ["primary_range", "pods_range", "services_range", "control_plane_range",
                 "proxy_only_range", "private_service_access_range"]
        for a, b in itertools.combinations(names, 2):
            if network(getattr(self, a)).overlaps(network(getattr(self, b))):
                raise FieldError(
                    b, getattr(self, b),
                    f"overlaps network.{a} '{getattr(self, a)}' (primary, pods, services, control plane, "
                    "proxy-only and private service access ranges must all be disjoint)",
                )
        sizes = {"control_plane_range": (28, 28, "GKE needs exactly a /28"),
                 "proxy_only_range": (None, 26, "a proxy-only subnet needs at least a /26; /23 is recommended"),
                 "private_service_access_range": (None, 24, "private service access needs at least a /24; /16 is recommended"),
                 "pods_range": (None, 21, "the pods range needs at least a /21 (about 64 nodes at 110 pods each)")}
        for name, (lo, hi, why) in sizes.items():
            prefix = network(getattr(self, name)).prefixlen
            if (lo is not None and prefix < lo) or prefix > hi:
                raise FieldError(name, getattr(self, name), f"is a /{prefix}: {why}")
        return self
