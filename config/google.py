"""Fixed facts about Google Cloud that several parts of the program rely on, each once.

Each value carries the documentation it comes from; a change there is a change here only.
"""

from __future__ import annotations

import ipaddress

# private.googleapis.com: Private Google Access for *.googleapis.com from inside the VPC.
# https://cloud.google.com/vpc/docs/configure-private-google-access#domain-options
PRIVATE_GOOGLE_ACCESS_RANGE = "199.36.153.8/30"
PRIVATE_GOOGLE_ACCESS_IPS = [str(ip) for ip in ipaddress.IPv4Network(PRIVATE_GOOGLE_ACCESS_RANGE)]

# Google front ends: load balancer proxies and health checks.
# https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges
HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"]

# Identity-Aware Proxy TCP forwarding. https://cloud.google.com/iap/docs/using-tcp-forwarding
IAP_RANGE = "35.235.240.0/20"

# The Cloud SQL Auth Proxy and connectors reach an instance's server-side proxy on this port
# (https://cloud.google.com/sql/docs/postgres/sql-proxy#how-works); plain clients would use 5432,
# which the instance refuses without a client certificate (ADR 0005).
CLOUD_SQL_PROXY_PORT = 3307


def workload_pool(project: str) -> str:
    """The Workload Identity pool GKE creates for a project's clusters.

    https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
    """
    return f"{project}.svc.id.goog"


def kube_dns_ip(services_range: str) -> str:
    """GKE gives kube-dns the tenth address of the Services range (NodeLocal DNSCache listens on it too)."""
    return str(ipaddress.IPv4Network(services_range)[10])


# The GKE metadata server on Dataplane V2: Workload Identity token requests (port 80 on the
# link-local address, 988 on the .252 one). https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity
METADATA_SERVER = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
NODE_LOCAL_DNS = "169.254.20.10/32"  # NodeLocal DNSCache's link-local listener
