"""The platform VPC: subnets, NAT, firewall and the Private Service Access peering."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly
from components.platform.outputs import after
from config.google import HEALTH_CHECK_RANGES, IAP_RANGE, PRIVATE_GOOGLE_ACCESS_IPS
from config.naming import Naming
from config.network import NetworkSpec
from config.types import network as ipnet

PODS, SERVICES = "pods", "services"


@dataclass(frozen=True)
class NetworkArgs:
    naming: Naming
    region: str
    plan: NetworkSpec  # address plan, NAT, flow logs, IAP
    protect: bool


class Network(pulumi.ComponentResource):
    """Custom-mode VPC sized from the address plan.

    Outputs: ``vpc_id``, ``vpc_name``, ``subnet_id``, the secondary range names, ``node_tag``,
    and ``psa_range_name``, which resolves only once the service networking peering exists
    (consumers of the range wait for the peering through it).
    """

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "Network"), name, None, formerly(opts, "ai-platform:network:Network"))
        cfg, naming = args.plan, args.naming
        child = pulumi.ResourceOptions(parent=self)
        # Replacing these takes the cluster and the database down with them.
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        project, region = naming.project, args.region
        self.node_tag = naming.node_tag
        self.pods_range_name, self.services_range_name = PODS, SERVICES

        vpc = gcp.compute.Network(
            f"{name}-vpc",
            name=naming.name("vpc"),
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"AI platform VPC ({naming.environment})",
            opts=keep,
        )
        flow_logs = cfg.flow_logs
        subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=naming.name("nodes"),
            project=project,
            region=region,
            network=vpc.id,
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
        gcp.compute.Subnetwork(
            f"{name}-proxy-only",
            name=naming.name("proxy-only"),
            project=project,
            region=region,
            network=vpc.id,
            ip_cidr_range=cfg.proxy_only_range,
            purpose="REGIONAL_MANAGED_PROXY",
            role="ACTIVE",
            opts=keep,
        )

        router = gcp.compute.Router(
            f"{name}-router", name=naming.name("router"), project=project, region=region,
            network=vpc.id, opts=child,
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            name=naming.name("nat"),
            project=project,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(
                name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"],
            )],
            min_ports_per_vm=cfg.nat.min_ports_per_vm,
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter=cfg.nat.log_filter),
            opts=child,
        )

        self._firewalls(name, naming, cfg, vpc.id, child)

        psa = ipnet(cfg.private_service_access_range)
        psa_range = gcp.compute.GlobalAddress(
            f"{name}-psa-range",
            name=naming.name("psa"),
            project=project,
            network=vpc.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(psa.network_address),
            prefix_length=psa.prefixlen,
            labels=naming.labels("network"),
            opts=keep,
        )
        # Google refuses to delete the connection while Cloud SQL's producer resources still use it, which
        # they do for days after the instance is gone. Protected stacks never delete it (ABANDON); elsewhere
        # REMOVE_PEERING deletes it, or removes the peering so that the VPC can go, and a later up that finds
        # the old connection updates it instead of failing in CreateConnection.
        psa_connection = gcp.servicenetworking.Connection(
            f"{name}-psa",
            network=vpc.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[psa_range.name],
            deletion_policy="ABANDON" if args.protect else "REMOVE_PEERING",
            update_on_creation_fail=True,
            opts=child,
        )
        self._private_google_apis(name, naming, vpc.id, child)

        self.vpc_id: pulumi.Output[str] = vpc.id
        self.vpc_name: pulumi.Output[str] = vpc.name
        self.subnet_id: pulumi.Output[str] = subnet.id
        self.psa_range_name: pulumi.Output[str] = after(psa_range.name, psa_connection)
        self.register_outputs({"vpc_id": self.vpc_id, "vpc_name": self.vpc_name, "subnet_id": self.subnet_id,
                               "psa_range_name": self.psa_range_name, "node_tag": self.node_tag,
                               "pods_range_name": self.pods_range_name,
                               "services_range_name": self.services_range_name})

    def _private_google_apis(self, name: str, naming: Naming, vpc_id: pulumi.Input[str],
                             child: pulumi.ResourceOptions) -> None:
        """Resolve *.googleapis.com to private.googleapis.com inside the VPC, so Google API traffic
        stays on Private Google Access and tenant egress policies can name one /30."""
        zone = gcp.dns.ManagedZone(
            f"{name}-googleapis", name=naming.name("googleapis"), project=naming.project,
            dns_name="googleapis.com.", visibility="private", description="Private Google Access",
            private_visibility_config=gcp.dns.ManagedZonePrivateVisibilityConfigArgs(
                networks=[gcp.dns.ManagedZonePrivateVisibilityConfigNetworkArgs(network_url=vpc_id)]),
            labels=naming.labels("network"), opts=child)
        gcp.dns.RecordSet(f"{name}-googleapis-private", project=naming.project, managed_zone=zone.name,
                          name="private.googleapis.com.", type="A", ttl=300, rrdatas=PRIVATE_GOOGLE_ACCESS_IPS,
                          opts=child)
        gcp.dns.RecordSet(f"{name}-googleapis-wildcard", project=naming.project, managed_zone=zone.name,
                          name="*.googleapis.com.", type="CNAME", ttl=300, rrdatas=["private.googleapis.com."],
                          opts=child)

    def _firewalls(self, name: str, naming: Naming, cfg: NetworkSpec, vpc_id: pulumi.Input[str],
                   child: pulumi.ResourceOptions) -> None:
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
        for rule in rules:
            gcp.compute.Firewall(
                f"{name}-{rule['thing']}",
                name=naming.name(rule["thing"]),
                project=naming.project,
                network=vpc_id,
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
