"""The platform entry: every route reaches a backend of its own tenant, over TLS, behind Cloud Armor and IAP.

Record-wide on every stack, known values on the fixture tree, each mistake's one line; the
endpoint picker's post-renderer and the admission rules that keep the entry the platform's.
"""

from __future__ import annotations

import dataclasses
import os

import pytest
import yaml

from components.conventions import EXPOSE_LABEL, ROUTER_LABEL
from components.entry.postrender import POD_LABELS, render
from config.loader import ROOT
from policy.pod_security import violations
from tests.admission import Request, denials
from tests.conftest import edit_yaml
from tests.graph import Graph
from tests.helpers import SERVING_CLUSTER, load_error, objects
from tests.isolation import cilium_denies_egress
from tests.vacuity import examined

TENANT_ADMIN = "alpha-admins@example.com"



def tenant_routes(run):
    gateway_ns = run.spec.env.tenancy.gateway_namespace
    return [r for r in objects(run, "HTTPRoute") if r["metadata"]["namespace"] != gateway_ns]


def test_every_exposed_endpoint_has_exactly_one_route(run):
    entry = run.spec.env.entry
    expected = {(t.name, name, entry.hostname(t.name, name))
                for t in run.spec.tenants for name in examined(t.sites, "exposed sites")}
    assert {(r["metadata"]["namespace"], r["metadata"]["name"], *r["spec"]["hostnames"]) for r in tenant_routes(run)} \
        == expected


def test_every_routes_backend_exists_in_its_own_namespace(run):
    """Services by name and port; InferencePools are named after the chart release that creates them."""
    releases = {(r.inputs["namespace"], r.inputs["name"]) for r in run.by_type("kubernetes:helm.sh/v3:Release")}
    for route in tenant_routes(run):
        namespace = route["metadata"]["namespace"]
        for rule in route["spec"]["rules"]:
            for backend in rule["backendRefs"]:
                assert backend.get("namespace", namespace) == namespace, "no route crosses namespaces"
                if backend["kind"] == "Service":
                    (service,) = [s for s in objects(run, "Service", namespace)
                                  if s["metadata"]["name"] == backend["name"]]
                    assert backend["port"] in {p["port"] for p in service["spec"]["ports"]}
                else:
                    assert (backend["group"], backend["kind"]) == ("inference.networking.k8s.io", "InferencePool")
                    assert (namespace, backend["name"]) in releases


def test_no_route_reaches_another_tenant(run):
    entry = run.spec.env.entry
    tenants = {t.name for t in run.spec.tenants}
    for route in tenant_routes(run):
        namespace = route["metadata"]["namespace"]
        assert namespace in tenants
        assert all(h.endswith(f".{entry.tenant_domain(namespace)}") for h in route["spec"]["hostnames"])
        assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == ["https"]
    cross = [(r["metadata"]["namespace"], b) for r in tenant_routes(run) for rule in r["spec"]["rules"]
             for b in rule["backendRefs"] if b.get("namespace", r["metadata"]["namespace"]) != r["metadata"]["namespace"]]
    assert cross == [] and objects(run, "ReferenceGrant") == [], "ReferenceGrants only where a route crosses"


def test_every_backend_is_guarded_by_cloud_armor_iap_and_a_health_check(run):
    entry = run.spec.env.entry
    (armor,) = [p for p in run.by_type("gcp:compute/regionSecurityPolicy:RegionSecurityPolicy")
                if p.inputs["region"] == run.spec.region]  # the serving gateway's (a standby has its own)
    for route in tenant_routes(run):
        namespace = route["metadata"]["namespace"]
        for backend in route["spec"]["rules"][0]["backendRefs"]:
            target = {"group": backend.get("group", ""), "kind": backend["kind"], "name": backend["name"]}
            (policy,) = [p for p in objects(run, "GCPBackendPolicy", namespace) if p["spec"]["targetRef"] == target]
            default = policy["spec"]["default"]
            assert default["securityPolicy"] == armor.inputs["name"]
            assert default["iap"] == {"enabled": True, "clientID": entry.iap.client_id,
                                      "oauth2ClientSecret": {"name": "ai-platform-iap"}}
            assert default["timeoutSec"] >= 600, "streamed generations outlast the 30 s default"
            assert default["logging"]["enabled"] is True
            (check,) = [p for p in objects(run, "HealthCheckPolicy", namespace) if p["spec"]["targetRef"] == target]
            config_ = check["spec"]["default"]["config"]
            if route["metadata"]["name"] in run.spec.tenant(namespace).expose:  # vLLM: its /health
                assert config_["httpHealthCheck"]["requestPath"] == "/health"
            else:  # GenBI's UI has no health route: a TCP check on its port
                assert config_ == {"type": "TCP", "tcpHealthCheck": {"portSpecification": "USE_FIXED_PORT",
                                                                     "port": backend["port"]}}
        assert [s for s in objects(run, "Secret", namespace) if s["metadata"]["name"] == "ai-platform-iap"]


def backend_deployment(run, namespace: str, backend: dict) -> dict:
    """The Deployment whose pods a route's backend reaches: by the Service's selector, or the pool's name."""
    if backend["kind"] == "InferencePool":
        (deployment,) = [d for d in objects(run, "Deployment", namespace) if d["metadata"]["name"] == backend["name"]]
        return deployment
    (service,) = [s for s in objects(run, "Service", namespace) if s["metadata"]["name"] == backend["name"]]
    selector = service["spec"]["selector"].items()
    (deployment,) = [d for d in objects(run, "Deployment", namespace)
                     if selector <= d["spec"]["template"]["metadata"]["labels"].items()]
    return deployment


def test_draining_matches_the_endpoints_termination_grace(run):
    for route in tenant_routes(run):
        namespace, name = route["metadata"]["namespace"], route["metadata"]["name"]
        deployment = backend_deployment(run, namespace, route["spec"]["rules"][0]["backendRefs"][0])
        (policy,) = [p for p in objects(run, "GCPBackendPolicy", namespace) if p["metadata"]["name"] == name]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert policy["spec"]["default"]["connectionDraining"]["drainingTimeoutSec"] == grace
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels[EXPOSE_LABEL] == "true", "its pods admit the gateway's proxies"


def test_iap_admits_only_the_tenants_groups_and_clients_on_its_hosts(run):
    entry = run.spec.env.entry
    grants = run.by_type("gcp:iap/webIamMember:WebIamMember")
    for tenant in examined((t for t in run.spec.tenants if t.sites), "exposing tenants"):
        mine = [g for g in grants if g.name.startswith(f"entry-{tenant.name}-iap-")]
        assert {g.inputs["member"] for g in mine} == {
            *(f"group:{g}" for g in (*tenant.owners, *tenant.viewers)),
            *(f"serviceAccount:{a}" for a in tenant.api_clients)}
        for grant in mine:
            assert grant.inputs["role"] == "roles/iap.httpsResourceAccessor"
            assert grant.inputs["condition"]["expression"] == \
                f'request.host.endsWith(".{entry.tenant_domain(tenant.name)}")'
    assert len(grants) == sum(len(t.owners) + len(t.viewers) + len(t.api_clients) for t in run.spec.tenants if t.sites)


def test_tls_certificates_dns_and_redirect(run):
    entry = run.spec.env.entry
    sites = sorted(t.name for t in run.spec.tenants if t.sites)
    certificates = [c for c in run.by_type("gcp:certificatemanager/certificate:Certificate")
                    if c.parent.endswith("PlatformServices::entry")]  # a standby's gateway has its own
    assert sorted(c.inputs["managed"]["domains"][0] for c in certificates) == \
        sorted(f"*.{entry.tenant_domain(s)}" for s in sites)
    assert {c.inputs["location"] for c in certificates} <= {run.spec.region}, "regional gateways take regional certs"
    records = [r for r in run.by_type("gcp:dns/recordSet:RecordSet") if r.parent.endswith("PlatformServices::entry")]
    assert len(records) == 2 * len(sites)  # the DNS authorisation's CNAME and the wildcard A record per site
    assert {r.inputs["managedZone"] for r in records} <= {entry.dns.zone}
    assert all(r.inputs["name"].endswith(entry.dns.dns_name) for r in records)
    (gateway,) = objects(run, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == entry.gateway_class
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    if sites:
        https = listeners["https"]
        assert https["tls"]["options"]["networking.gke.io/cert-manager-certs"].split(",") == \
            [c.inputs["name"] for c in certificates]
        assert https["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"] == [
            {"key": "ai-platform/tenant", "operator": "Exists"}]
    assert listeners["http"]["allowedRoutes"]["namespaces"] == {"from": "Same"}
    (redirect,) = [r for r in objects(run, "HTTPRoute") if r["metadata"]["name"] == "https-redirect"]
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 301}


@pytest.mark.parametrize(("stack", "preview"), [("dev", True), ("staging", True), ("prod", False)])
def test_waf_in_preview_outside_prod_and_rate_limited_everywhere(fixture_run, stack, preview):
    run = fixture_run(stack)
    rules = [r for r in run.by_type("gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule")
             if r.inputs["region"] == run.spec.region]  # a standby's gateway has the same rules
    waf = [r for r in rules if "evaluatePreconfiguredWaf" in str(r.inputs.get("match"))]
    assert waf and {r.inputs.get("preview", False) for r in waf} == {preview}
    (limit,) = [r for r in rules if r.inputs["action"] == "throttle"]
    options = limit.inputs["rateLimitOptions"]
    settings = run.spec.env.entry.rate_limit
    assert options["rateLimitThreshold"] == {"count": settings.requests, "intervalSec": settings.interval_sec}
    assert options["exceedAction"] == "deny(429)" and options["enforceOnKey"] == settings.key


def test_routes_wait_for_the_gateway_and_the_backend_policy_for_its_secret(run):
    graph = Graph(run.records)
    gateways = {r.provider: r for r in run.records if r.type.endswith(":Gateway")}  # one per cluster (a standby's)
    assert SERVING_CLUSTER in gateways
    for record in run.records:
        if record.type.endswith(":HTTPRoute") and record.name.startswith("entry-") and record.name != "entry-redirect":
            assert gateways[record.provider].key in graph.waits_for(record.key), record.name
        if record.type.endswith(":GCPBackendPolicy"):
            assert any(k.endswith("-iap-secret") for k in graph.waits_for(record.key)), record.name
    # a route exists only once GKE reports its IAP/Cloud Armor policy and its health check attached
    for route in (r for r in run.records if r.type.endswith(":HTTPRoute") and r.name != "entry-redirect"
                  and not r.name.startswith("entry-redirect")):
        if "PlatformServices::entry" in route.parent:  # a gateway's own redirect (a standby's too)
            continue
        guards = [r for r in run.records if r.type.endswith((":GCPBackendPolicy", ":HealthCheckPolicy"))
                  and r.name.removesuffix("-backend-policy").removesuffix("-health-check") == route.name.removesuffix("-route")]
        assert len(guards) == 2, route.name
        for guard in guards:
            assert guard.key in graph.waits_for(route.key), (route.name, guard.name)
            assert guard.inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Attached"


def test_inference_gateway_only_where_enabled(run):
    entry = run.spec.env.entry
    releases = [r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.name.startswith("routing-")]
    assert len(releases) == (sum(len(t.expose) for t in run.spec.tenants) if entry.inference_gateway else 0)
    for release in releases:
        values = release.inputs["values"]
        assert values["provider"] == {"name": "none"}, "the GKE policies are ours (with Cloud Armor and IAP)"
        assert values["router"]["epp"]["image"]["registry"].startswith(f"{run.spec.region}-docker.pkg.dev/")
        # relative to the project directory (where Pulumi starts the provider), executable there
        postrender = release.inputs["postrender"]
        assert not postrender.startswith("/") and os.access(ROOT / postrender, os.X_OK)
        # leader election leaves one EPP replica unready by design: a waited (atomic) install never finishes
        assert release.inputs["skipAwait"] is True and not release.inputs.get("atomic")


# --- the endpoint picker, the router exception and the reserved Secret ----------------------------

EPP = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat-epp"},
       "spec": {"template": {"metadata": {"labels": {"app": "chat-epp"}}, "spec": {
           "serviceAccountName": "chat-epp", "containers": [{"name": "epp", "image": "epp", "args": ["--pool-name"]}],
           "volumes": [{"name": "plugins-config-volume", "configMap": {"name": "chat-epp"}}]}}}}


def test_the_post_renderer_makes_the_endpoint_picker_admissible():
    rendered = list(yaml.safe_load_all(render(yaml.safe_dump_all([EPP, {"kind": "Service", "metadata": {}}]))))
    pod = rendered[0]["spec"]["template"]
    assert violations(EPP["spec"]["template"]["spec"], "restricted"), "the chart's pod is refused as is"
    assert violations(pod["spec"], "restricted") == []
    assert pod["metadata"]["labels"] == {"app": "chat-epp", **POD_LABELS}
    assert set(POD_LABELS) == {ROUTER_LABEL, EXPOSE_LABEL}
    assert rendered[1] == {"kind": "Service", "metadata": {}}


def test_only_the_platform_labels_routers_and_nobody_mounts_its_secrets(fixture_run):
    """Nor runs as its scrapers: their tokens read every endpoint picker's metrics."""
    run = fixture_run("prod")
    policies = {p["metadata"]["name"]: p for p in objects(run, "ValidatingAdmissionPolicy")}
    router_pod = {"kind": "Pod", "metadata": {"name": "x", "labels": {ROUTER_LABEL: "true"}}, "spec": {"containers": []}}
    assert denials(policies["ai-platform-gateway-exposure"], Request(router_pod, username=TENANT_ADMIN))
    assert not denials(policies["ai-platform-gateway-exposure"],
                       Request(router_pod, username="system:serviceaccount:kube-system:replicaset-controller"))
    secrets = policies["ai-platform-reserved-secrets"]

    def pod(**spec):
        return {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}], **spec}}

    volume = pod(volumes=[{"name": "s", "secret": {"secretName": "ai-platform-iap"}}])
    projected = pod(volumes=[{"name": "s", "projected": {"sources": [{"secret": {"name": "ai-platform-iap"}}]}}])
    env = pod(containers=[{"name": "c", "image": "x", "env": [
        {"name": "K", "valueFrom": {"secretKeyRef": {"name": "ai-platform-iap", "key": "key"}}}]}])
    env_from = pod(initContainers=[{"name": "i", "image": "x", "envFrom": [{"secretRef": {"name": "ai-platform-iap"}}]}])
    scraper = pod(serviceAccountName="ai-platform-metrics-scraper", automountServiceAccountToken=True)
    alias = pod(serviceAccount="ai-platform-metrics-scraper")
    for attempt in (volume, projected, env, env_from, scraper, alias):
        assert denials(secrets, Request(attempt, username=TENANT_ADMIN)), attempt["spec"]
    deployment = {"kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"template": {"metadata": {}, "spec": volume["spec"]}}}
    assert denials(secrets, Request(deployment, username=TENANT_ADMIN))
    assert not denials(secrets, Request(pod(volumes=[{"name": "s", "secret": {"secretName": "mine"}}]),
                                        username=TENANT_ADMIN))


def test_routers_reach_the_api_server_and_nothing_else_new(fixture_run):
    run = fixture_run("prod")
    policies = {p["metadata"]["name"]: p["spec"] for p in objects(run, "CiliumClusterwideNetworkPolicy")}
    baseline, router = policies["tenant-gamma-baseline"], policies["tenant-gamma-router"]
    app = {"k8s:io.kubernetes.pod.namespace": "gamma"}
    epp = {**app, "k8s:ai-platform/router": "true"}
    assert cilium_denies_egress(baseline, app, {"entity": "kube-apiserver", "port": 443})
    assert not cilium_denies_egress(baseline, epp, {"entity": "kube-apiserver", "port": 443}), "not its policy"
    assert not cilium_denies_egress(router, epp, {"entity": "kube-apiserver", "port": 443})
    assert router["egress"] == [{"toEntities": ["kube-apiserver"],
                                 "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]
    for denied in ({"entity": "remote-node", "port": 10250}, {"ip": "169.254.169.253", "port": 80}):
        assert cilium_denies_egress(router, epp, denied)
    alpha = {"k8s:io.kubernetes.pod.namespace": "alpha", "k8s:io.cilium.k8s.namespace.labels.ai-platform/tenant": "alpha"}
    assert cilium_denies_egress(router, epp, {"labels": alpha, "port": 8000})


# --- mistakes: one line each ------------------------------------------------------------------


def test_a_hostname_outside_the_zone(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["entry"].update(domain="ai.example.org"))
    assert load_error(config_tree) == (
        "config/environments/prod.yaml: entry.domain: 'ai.example.org' is outside the DNS zone 'ai.example.com.' "
        "(entry.dns): use a name under ai.example.com")


def test_a_missing_dns_zone(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["entry"].pop("dns"))
    assert load_error(config_tree).startswith("config/environments/prod.yaml: entry.dns: ")


def test_an_unknown_gateway_class(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["entry"].update(gateway_class="gke-l7-global-external-managed"))
    message = load_error(config_tree)
    assert message.startswith("config/environments/prod.yaml: entry.gateway_class: ")
    assert "gke-l7-regional-external-managed" in message


def test_an_exposed_endpoint_with_no_model(config_tree):
    edit_yaml(config_tree / "config/tenants/alpha.yaml", lambda d: d.update(expose=["chatt"]))
    assert load_error(config_tree) == (
        "config/tenants/alpha.yaml: expose[0]: 'chatt' is not an inference endpoint of this tenant "
        "(did you mean 'chat'? endpoints: chat)")


def test_exposing_where_there_is_no_gateway(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d.pop("entry"))
    assert load_error(config_tree) == (
        "config/tenants/alpha.yaml: expose: stack prod has no platform entry: add an `entry` section to "
        "config/environments/prod.yaml (docs/entry.md); expose nothing here")


def test_iap_without_its_secret(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["data"]["secrets"].update(
        external=[s for s in d["data"]["secrets"]["external"] if s["name"] != "iap-oauth-client"]))
    assert load_error(config_tree).startswith(
        "config/environments/prod.yaml: entry.iap.client_secret: 'iap-oauth-client' is not a data.secrets.external "
        "entry")


def test_inference_gateway_needs_a_recent_channel(config_tree):
    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: d["gke"].update(release_channel="STABLE"))
    assert load_error(config_tree).startswith(
        "config/environments/prod.yaml: entry.inference_gateway: True needs GKE 1.34.0-gke.1626000 or later")


def pool_order_problems(records) -> list[str]:
    """Routes and backend policies aimed at an InferencePool that could be created before the Helm release that
    creates the pool, and releases that do not wait for GKE's InferencePool CRD."""
    graph = Graph(records)
    crds = {r.key for r in records if r.read and r.inputs["id"] == "inferencepools.inference.networking.k8s.io"}
    releases = {(r.inputs["namespace"], r.inputs["name"]): r.key for r in records
                if r.type == "kubernetes:helm.sh/v3:Release" and r.name.startswith("routing-")}
    problems = [f"{key} does not wait for the InferencePool CRD" for key in releases.values()
                if not crds & graph.waits_for(key)]
    for record in records:
        spec = record.inputs.get("spec")
        if not isinstance(spec, dict):
            continue
        namespace = record.inputs["metadata"].get("namespace")
        targets = [spec.get("targetRef", {})] + [b for rule in spec.get("rules", []) for b in rule.get("backendRefs", [])]
        for target in targets:
            if target.get("kind") == "InferencePool":
                release = releases.get((namespace, target["name"]))
                if release is None or release not in graph.waits_for(record.key):
                    problems.append(f"{record.key} may target {namespace}/{target['name']} before it exists")
    return problems


def test_inference_pools_exist_before_what_targets_them(run):
    pools = [r for r in run.records if r.type == "kubernetes:helm.sh/v3:Release" and r.name.startswith("routing-")]
    assert bool(pools) == bool(run.spec.env.entry and run.spec.env.entry.inference_gateway)
    assert pool_order_problems(run.records) == []


def test_the_pool_order_check_fails_without_the_edges(fixture_run):
    run = fixture_run("prod")
    sites = [r.key for r in run.records if r.type == "ai-platform:entry:TenantEntry"]
    releases = [r.key for r in run.records if r.type == "kubernetes:helm.sh/v3:Release" and r.name.startswith("routing-")]
    routings = [r.key for r in run.records if r.type == "ai-platform:entry:InferenceRouting"]
    cut = {*sites, *releases, *routings}
    records = [dataclasses.replace(r, dependencies=[d for d in r.dependencies if not d.startswith(
        ("ai-platform:entry:InferenceRouting", "kubernetes:helm.sh/v3:Release::routing-",
         "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"))])
               if r.key in cut else r for r in run.records]
    problems = pool_order_problems(records)
    assert any("does not wait for the InferencePool CRD" in p for p in problems)
    assert any("before it exists" in p for p in problems)
