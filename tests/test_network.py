"""Layer 2: the Network component's properties, per environment."""

from __future__ import annotations

import pulumi_random as random
import pytest

from components.platform.network import Network, NetworkArgs
from config.google import HEALTH_CHECK_RANGES, IAP_RANGE
from tests.helpers import only, run_component


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def net(request, fixture_spec):
    """The Network component alone, from its own args (fixture environments)."""
    spec = fixture_spec(request.param)
    args = NetworkArgs(naming=spec.naming, region=spec.region, plan=spec.env.network, protect=spec.env.protect)
    return run_component(spec, lambda: Network("network", args))


def firewall(run, thing):
    return only([r for r in run.by_type("gcp:compute/firewall:Firewall") if r.name == f"network-{thing}"])


def test_vpc_is_custom_mode_and_regional(net):
    vpc = only(net.by_type("gcp:compute/network:Network"))
    assert vpc.inputs["autoCreateSubnetworks"] is False
    assert vpc.inputs["routingMode"] == "REGIONAL"
    assert vpc.inputs["name"] == f"aip-{net.spec.environment}-vpc"


def test_node_subnet_has_secondary_ranges_and_private_google_access(net):
    cfg = net.spec.env.network
    subnet = net.get("gcp:compute/subnetwork:Subnetwork", "network-nodes")
    assert subnet.inputs["ipCidrRange"] == cfg.primary_range
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert subnet.inputs["region"] == net.spec.region
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]} == {
        "pods": cfg.pods_range, "services": cfg.services_range}


def test_flow_logs_only_where_the_environment_asks(net):
    subnet = net.get("gcp:compute/subnetwork:Subnetwork", "network-nodes")
    if net.spec.environment == "prod":
        assert subnet.inputs["logConfig"] == {
            "aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5, "metadata": "INCLUDE_ALL_METADATA"}
    else:
        assert "logConfig" not in subnet.inputs


def test_proxy_only_subnet_for_regional_l7_gateways(net):
    proxy = net.get("gcp:compute/subnetwork:Subnetwork", "network-proxy-only")
    assert proxy.inputs["purpose"] == "REGIONAL_MANAGED_PROXY"
    assert proxy.inputs["role"] == "ACTIVE"
    assert proxy.inputs["ipCidrRange"] == net.spec.env.network.proxy_only_range


def test_nat_covers_the_node_subnet_and_logs_errors(net):
    nat = only(net.by_type("gcp:compute/routerNat:RouterNat"))
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    subnet = f"projects/{net.spec.project}/regions/{net.spec.region}/subnetworks/aip-{net.spec.environment}-nodes"
    assert nat.inputs["subnetworks"] == [{"name": subnet, "sourceIpRangesToNats": ["ALL_IP_RANGES"]}]
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
    assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
    assert "gcp:compute/router:Router::network-router" in nat.dependencies


def test_internal_traffic_allowed_only_from_vpc_ranges(net):
    cfg = net.spec.env.network
    rule = firewall(net, "allow-internal")
    assert sorted(rule.inputs["sourceRanges"]) == sorted([cfg.primary_range, cfg.pods_range, cfg.proxy_only_range])
    assert "0.0.0.0/0" not in rule.inputs["sourceRanges"]


def test_health_checks_reach_nodes(net):
    rule = firewall(net, "allow-health-checks")
    assert rule.inputs["sourceRanges"] == HEALTH_CHECK_RANGES == ["35.191.0.0/16", "130.211.0.0/22"]
    assert rule.inputs["targetTags"] == [f"aip-{net.spec.environment}-gke-node"]


def test_iap_ssh_only_where_enabled(net):
    names = {r.name for r in net.by_type("gcp:compute/firewall:Firewall")}
    if net.spec.env.network.iap_tcp_forwarding:
        rule = firewall(net, "allow-iap-ssh")
        assert rule.inputs["sourceRanges"] == [IAP_RANGE] == ["35.235.240.0/20"]
        assert rule.inputs["allows"] == [{"protocol": "tcp", "ports": ["22"]}]
    else:
        assert "network-allow-iap-ssh" not in names
    assert (net.spec.environment == "prod") is ("network-allow-iap-ssh" not in names)


def test_explicit_low_priority_deny_all_with_logging(net):
    rule = firewall(net, "deny-all-ingress")
    assert rule.inputs["priority"] == 65534
    assert rule.inputs["sourceRanges"] == ["0.0.0.0/0"]
    assert rule.inputs["denies"] == [{"protocol": "all"}]
    assert rule.inputs["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
    allows = [r for r in net.by_type("gcp:compute/firewall:Firewall") if "allows" in r.inputs]
    assert all(r.inputs["priority"] < 65534 for r in allows)


def test_private_service_access_range_and_connection(net):
    cfg = net.spec.env.network
    address = net.get("gcp:compute/globalAddress:GlobalAddress", "network-psa-range")
    network_address, prefix = cfg.private_service_access_range.split("/")
    assert address.inputs["purpose"] == "VPC_PEERING"
    assert address.inputs["addressType"] == "INTERNAL"
    assert (address.inputs["address"], address.inputs["prefixLength"]) == (network_address, int(prefix))
    connection = only(net.by_type("gcp:servicenetworking/connection:Connection"))
    assert connection.inputs["service"] == "servicenetworking.googleapis.com"
    assert connection.inputs["reservedPeeringRanges"] == [f"aip-{net.spec.environment}-psa"]


def test_users_of_the_psa_range_wait_for_the_peering(fixture_spec):
    """Cloud SQL and Filestore fail on a range that is not peered yet: the output carries the dependency."""
    spec = fixture_spec("dev")
    args = NetworkArgs(naming=spec.naming, region=spec.region, plan=spec.env.network, protect=False)

    def build():
        network = Network("network", args)
        random.RandomId("consumer", byte_length=4, keepers={"range": network.psa_range_name})

    consumer = run_component(spec, build).get("random:index/randomId:RandomId", "consumer")
    assert consumer.inputs["keepers"] == {"range": "aip-dev-psa"}
    assert {"gcp:servicenetworking/connection:Connection::network-psa",
            "gcp:compute/globalAddress:GlobalAddress::network-psa-range"} <= set(consumer.dependencies)


def test_every_child_is_parented_to_the_component(net):
    assert all(r.parent == "ai-platform:platform:Network::network" for r in net.records if r.custom)
