"""The platform VPC: subnets, NAT, firewall and the Private Service Access peering."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.naming import labels, node_tag, physical_name
from config import PlatformSpec
from config.types import network as ipnet

HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"]
IAP_RANGE = "35.235.240.0/20"
PODS, SERVICES = "pods", "services"
PRIVATE_GOOGLE_ACCESS_IPS = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]


class Network(pulumi.ComponentResource):
    """Custom-mode VPC sized from ``env.network``; exposes ``vpc``, ``subnet`` and ``psa_connection``."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:network:Network", name, None, opts)
        cfg = spec.env.network
        child = pulumi.ResourceOptions(parent=self)
        # Replacing these takes the cluster and the database down with them.
        keep = pulumi.ResourceOptions(parent=self, protect=spec.env.protect)
        project, region = spec.project, spec.region
        self.node_tag = node_tag(spec)
        self.pods_range_name, self.services_range_name = PODS, SERVICES

        self.vpc = gcp.compute.Network(
            f"{name}-vpc",
            name=physical_name(spec, "vpc"),
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"AI platform VPC ({spec.environment})",
            opts=keep,
        )
        flow_logs = cfg.flow_logs
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=physical_name(spec, "nodes"),
            project=project,
            region=region,
            network=self.vpc.id,
            ip_cidr_range=cfg.primary_range,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS, ip_cidr_range=cfg.pods_range),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES, ip_cidr_range=cfg.services_range),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval=flow_logs.interval,
                flow_sampling=flow_logs.sampling,
                metadata=flow_logs.metadata,
            ) if flow_logs else None,
            opts=keep,
        )
        self.proxy_only_subnet = gcp.compute.Subnetwork(
            f"{name}-proxy-only",
            name=physical_name(spec, "proxy-only"),
            project=project,
            region=region,
            network=self.vpc.id,
            ip_cidr_range=cfg.proxy_only_range,
            purpose="REGIONAL_MANAGED_PROXY",
            role="ACTIVE",
            opts=keep,
        )

        router = gcp.compute.Router(
            f"{name}-router", name=physical_name(spec, "router"), project=project, region=region,
            network=self.vpc.id, opts=child,
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            name=physical_name(spec, "nat"),
            project=project,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(
                name=self.subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"],
            )],
            min_ports_per_vm=cfg.nat.min_ports_per_vm,
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter=cfg.nat.log_filter),
            opts=child,
        )

        self.firewalls = self._firewalls(name, spec, child)

        psa = ipnet(cfg.private_service_access_range)
        self.psa_range = gcp.compute.GlobalAddress(
            f"{name}-psa-range",
            name=physical_name(spec, "psa"),
            project=project,
            network=self.vpc.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(psa.network_address),
            prefix_length=psa.prefixlen,
            labels=labels(spec, "network"),
            opts=keep,
        )
        # ABANDON: Google refuses to delete the peering while Cloud SQL still uses it;
        # the peering goes with the VPC instead.
        self.psa_connection = gcp.servicenetworking.Connection(
            f"{name}-psa",
            network=self.vpc.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.psa_range.name],
            deletion_policy="ABANDON",
            opts=child,
        )
        self.dns_zone = self._private_google_apis(name, spec, child)
        self.register_outputs({
            "vpc": self.vpc.id, "subnet": self.subnet.id, "psa_connection": self.psa_connection.id,
        })

    def _private_google_apis(self, name: str, spec: PlatformSpec, child: pulumi.ResourceOptions) -> gcp.dns.ManagedZone:
        """Resolve *.googleapis.com to private.googleapis.com inside the VPC, so Google API traffic
        stays on Private Google Access and tenant egress policies can name one /30."""
        zone = gcp.dns.ManagedZone(
            f"{name}-googleapis", name=physical_name(spec, "googleapis"), project=spec.project,
            dns_name="googleapis.com.", visibility="private", description="Private Google Access",
            private_visibility_config=gcp.dns.ManagedZonePrivateVisibilityConfigArgs(
                networks=[gcp.dns.ManagedZonePrivateVisibilityConfigNetworkArgs(network_url=self.vpc.id)]),
            labels=labels(spec, "network"), opts=child)
        gcp.dns.RecordSet(f"{name}-googleapis-private", project=spec.project, managed_zone=zone.name,
                          name="private.googleapis.com.", type="A", ttl=300, rrdatas=PRIVATE_GOOGLE_ACCESS_IPS,
                          opts=child)
        gcp.dns.RecordSet(f"{name}-googleapis-wildcard", project=spec.project, managed_zone=zone.name,
                          name="*.googleapis.com.", type="CNAME", ttl=300, rrdatas=["private.googleapis.com."],
                          opts=child)
        return zone

    def _firewalls(self, name: str, spec: PlatformSpec, child: pulumi.ResourceOptions) -> list[gcp.compute.Firewall]:
        cfg = spec.env.network
        rules = [
            dict(thing="allow-internal", priority=1000,
                 source_ranges=[cfg.primary_range, cfg.pods_range, cfg.proxy_only_range],
                 allows=[gcp.compute.FirewallAllowArgs(protocol=p) for p in ("tcp", "udp", "icmp")],
                 description="Nodes, pods and L7 proxies talk to each other."),
            dict(thing="allow-health-checks", priority=1000, source_ranges=HEALTH_CHECK_RANGES,
                 target_tags=[self.node_tag], allows=[gcp.compute.FirewallAllowArgs(protocol="tcp")],
                 description="Google load balancer health checks reach nodes and pods."),
        ]
        if cfg.iap_tcp_forwarding:
            rules.append(dict(thing="allow-iap-ssh", priority=1000, source_ranges=[IAP_RANGE],
                              target_tags=[self.node_tag],
                              allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["22"])],
                              description="SSH to nodes only through IAP TCP forwarding.", log=True))
        rules.append(dict(thing="deny-all-ingress", priority=65534, source_ranges=["0.0.0.0/0"],
                          denies=[gcp.compute.FirewallDenyArgs(protocol="all")],
                          description="Explicit, logged default deny for everything not allowed above.",
                          log=True))
        return [
            gcp.compute.Firewall(
                f"{name}-{rule['thing']}",
                name=physical_name(spec, rule["thing"]),
                project=spec.project,
                network=self.vpc.id,
                direction="INGRESS",
                priority=rule["priority"],
                source_ranges=rule["source_ranges"],
                target_tags=rule.get("target_tags"),
                allows=rule.get("allows"),
                denies=rule.get("denies"),
                description=rule["description"],
                # Logging every allowed internal packet costs more than it tells; log denies and SSH.
                log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
                if rule.get("log") else None,
                opts=child,
            )
            for rule in rules
        ]
