"""Tenancy: isolation, quotas, identity and data of every tenant, per stack."""

from __future__ import annotations

import ipaddress

from components.tenant import quota_hard
from components.tenant_network import NAMESPACE_NAME
from review.bundle import manifests

PLATFORM_NAMESPACES = {"kube-system", "gateway-system", "gmp-system", "monitoring"}



def objects(run, kind, namespace=None):
    return [m for m in manifests(run) if m["kind"] == kind
            and (namespace is None or m["metadata"].get("namespace") == namespace)]


def test_every_stack_hosts_two_tenants_of_different_tiers(run):
    assert len(run.spec.tenants) >= 2 and len({t.tier for t in run.spec.tenants}) >= 2
    assert {m["metadata"]["name"] for m in objects(run, "Namespace")} == {t.name for t in run.spec.tenants}


def test_tenants_only_on_their_stacks(stack_run):
    assert "initech-ml" not in {t.name for t in stack_run("dev").spec.tenants}
    assert "umbrella-labs" not in {t.name for t in stack_run("staging").spec.tenants}
    assert "initech-ml" in {t.name for t in stack_run("prod").spec.tenants}


def test_namespaces_enforce_pod_security_restricted(run):
    for ns in objects(run, "Namespace"):
        labels = ns["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels["ai-platform/tenant"] == ns["metadata"]["name"]


def test_quota_covers_compute_gpu_storage_and_objects(run):
    for tenant in run.spec.tenants:
        (quota,) = objects(run, "ResourceQuota", tenant.name)
        hard = quota["spec"]["hard"]
        assert hard == quota_hard(run.spec.quota(tenant))
        assert set(hard) == {"requests.cpu", "limits.cpu", "requests.memory", "limits.memory",
                             "requests.nvidia.com/gpu", "requests.storage", "persistentvolumeclaims", "pods",
                             "services", "services.loadbalancers", "services.nodeports"}
        assert hard["services.loadbalancers"] == hard["services.nodeports"] == "0"
        assert hard["requests.nvidia.com/gpu"] == str(sum(run.spec.quota(tenant).gpus.values()))
        (limits,) = objects(run, "LimitRange", tenant.name)
        container = next(item for item in limits["spec"]["limits"] if item["type"] == "Container")
        assert container["default"] and container["defaultRequest"]


def test_default_deny_in_both_directions(run):
    for tenant in run.spec.tenants:
        deny = [p for p in objects(run, "NetworkPolicy", tenant.name) if p["metadata"]["name"] == "default-deny"]
        assert deny and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def peers(policy):
    spec = policy["spec"]
    for rule in spec.get("ingress", []):
        yield "from", rule.get("from", [])
    for rule in spec.get("egress", []):
        yield "to", rule.get("to", [])


def test_no_policy_admits_another_tenants_namespace(run):
    tenants = {t.name for t in run.spec.tenants}
    pods = ipaddress.ip_network(run.spec.env.network.pods_range)
    for tenant in run.spec.tenants:
        for policy in objects(run, "NetworkPolicy", tenant.name):
            for direction, selected in peers(policy):
                assert selected, f"{policy['metadata']['name']}: an empty '{direction}' admits everything"
                for peer in selected:
                    if "namespaceSelector" in peer:
                        labels = peer["namespaceSelector"].get("matchLabels", {})
                        assert set(labels) == {NAMESPACE_NAME}, "namespaces are selected by name only"
                        assert labels[NAMESPACE_NAME] in PLATFORM_NAMESPACES
                        assert labels[NAMESPACE_NAME] not in tenants
                    elif "ipBlock" in peer:
                        assert not ipaddress.ip_network(peer["ipBlock"]["cidr"]).overlaps(pods)
                    else:
                        assert set(peer) == {"podSelector"}  # same namespace only


def test_explicit_allows(stack_run):
    run = stack_run("prod")
    names = {p["metadata"]["name"]: p for p in objects(run, "NetworkPolicy", "acme-research")}
    assert set(names) == {"default-deny", "allow-dns", "allow-same-namespace", "allow-from-gateway",
                          "allow-metrics-scrape", "allow-google-apis", "allow-database", "allow-shared-endpoints"}
    database = names["allow-database"]["spec"]["egress"][0]
    assert database == {"to": [{"ipBlock": {"cidr": run.spec.env.network.private_service_access_range}}],
                        "ports": [{"port": 5432, "protocol": "TCP"}]}
    gateway = names["allow-from-gateway"]["spec"]
    assert gateway["podSelector"] == {"matchLabels": {"ai-platform/expose": "true"}}
    shared = names["allow-shared-endpoints"]["spec"]["egress"]
    assert shared == [{"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: "monitoring"}}}],
                       "ports": [{"port": 4317, "protocol": "TCP"}]}]
    # a tenant that uses no shared endpoint gets no such policy
    assert "allow-shared-endpoints" not in {p["metadata"]["name"] for p in objects(run, "NetworkPolicy", "globex-analytics")}


def test_groups_bound_to_admin_and_view_in_their_namespace(run):
    for tenant in run.spec.tenants:
        bindings = {b["roleRef"]["name"]: b for b in objects(run, "RoleBinding", tenant.name)}
        assert [s["name"] for s in bindings["admin"]["subjects"]] == tenant.owners
        assert all(s["kind"] == "Group" for b in bindings.values() for s in b["subjects"])
        assert ("view" in bindings) is bool(tenant.viewers)
        assert not objects(run, "ClusterRoleBinding")


def test_workload_identity_per_workload(run):
    for tenant in run.spec.tenants:
        gsa = f"aip-{run.spec.environment}-{tenant.name}@{run.spec.project}.iam.gserviceaccount.com"
        ksas = {k["metadata"]["name"]: k for k in objects(run, "ServiceAccount", tenant.name)}
        assert set(ksas) == {w.name for w in tenant.workloads}
        for ksa in ksas.values():
            assert ksa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": gsa}
            assert ksa["automountServiceAccountToken"] is False
        bindings = [r.inputs for r in run.by_type("gcp:serviceaccount/iAMMember:IAMMember")
                    if r.parent == f"ai-platform:tenancy:Tenant::tenant-{tenant.name}"]
        assert {b["member"] for b in bindings} == {
            f"serviceAccount:{run.spec.project}.svc.id.goog[{tenant.name}/{w.name}]" for w in tenant.workloads}
        assert {b["role"] for b in bindings} <= {"roles/iam.workloadIdentityUser"}


def test_tenant_google_account_reaches_only_its_own_data(run):
    for tenant in run.spec.tenants:
        member = f"serviceAccount:aip-{run.spec.environment}-{tenant.name}@{run.spec.project}.iam.gserviceaccount.com"
        grants = [r for r in run.records if r.inputs.get("member") == member]
        where = {(r.type.split(":")[-1], r.inputs.get("bucket") or r.inputs.get("secretId"), r.inputs["role"])
                 for r in grants}
        assert where == {
            ("BucketIAMMember", f"{run.spec.project}-t-{tenant.name}", "roles/storage.objectUser"),
            ("SecretIamMember", f"aip-{run.spec.environment}-{tenant.name}-db-password",
             "roles/secretmanager.secretAccessor")}


def test_tenant_bucket_database_and_secret_mount(run):
    for tenant in run.spec.tenants:
        bucket = run.get("gcp:storage/bucket:Bucket", f"tenant-{tenant.name}-bucket")
        assert bucket.inputs["labels"]["tenant"] == tenant.name
        assert bucket.protect is (run.spec.environment != "dev")
        database = run.get("gcp:sql/database:Database", f"tenant-{tenant.name}-db")
        assert database.inputs["name"] == tenant.name.replace("-", "_")
        (spc,) = objects(run, "SecretProviderClass", tenant.name)
        assert spc["spec"]["provider"] == "gke"
        assert f"tenant-{tenant.name}-db-password-id/versions/latest" in spc["spec"]["parameters"]["secrets"]


def test_budgets_where_a_billing_account_is_configured(stack_run):
    assert not stack_run("dev").by_type("gcp:billing/budget:Budget")
    budgets = {r.name: r.inputs for r in stack_run("prod").by_type("gcp:billing/budget:Budget")}
    assert set(budgets) == {"tenant-acme-research-budget", "tenant-globex-analytics-budget",
                            "tenant-initech-ml-budget"}  # umbrella-labs declares none
    acme = budgets["tenant-acme-research-budget"]
    assert acme["budgetFilter"]["labels"] == {"tenant": "acme-research"}
    assert acme["amount"] == {"specifiedAmount": {"currencyCode": "USD", "units": "4000"}}
    assert [r["thresholdPercent"] for r in acme["thresholdRules"]] == [0.5, 0.9, 1.0]
