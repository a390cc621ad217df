"""Tenancy: isolation, quotas, identity and data of every tenant, per stack."""

from __future__ import annotations

import dataclasses
import ipaddress

from components.conventions import NAMESPACE_NAME, RESERVED_SECRET_PREFIX
from tests.helpers import objects
from tests.vacuity import examined

PLATFORM_NAMESPACES = {"kube-system", "gateway-system", "gmp-system", "monitoring", "inference"}




def test_a_namespace_for_each_tenant_hosted_by_the_stack(run):
    hosted = {t.name for t in run.spec.all_tenants if run.stack in t.stacks}
    assert {t.name for t in run.spec.tenants} == hosted
    assert {m["metadata"]["name"] for m in objects(run, "Namespace")
            if "ai-platform/tenant" in m["metadata"]["labels"]} == hosted


def test_tenants_only_on_their_stacks(fixture_run):
    assert {s: sorted(t.name for t in fixture_run(s).spec.tenants) for s in ("dev", "staging", "prod")} == {
        "dev": ["alpha", "beta", "delta"], "staging": ["alpha", "beta"], "prod": ["alpha", "beta", "delta", "gamma"]}


def test_namespaces_enforce_pod_security_restricted(run):
    """Every namespace the platform creates, tenants' and its own (inference, keda)."""
    for ns in objects(run, "Namespace"):
        labels = ns["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        if ns["metadata"]["name"] in {t.name for t in run.spec.tenants}:
            assert labels["ai-platform/tenant"] == ns["metadata"]["name"]


NOT_FOR_TENANTS = ("standard", "standard-rwo", "premium-rwo", "standard-rwx", "premium-rwx", "enterprise-rwx",
                   "enterprise-multishare-rwx", "zonal-rwx", "filestore")


def test_quota_of_a_known_tenant(fixture_run):
    """alpha (premium) in dev: chat is sized to 2 replicas on pool l4-full (g2-standard-8), each requesting
    3/4 of the node: 6 CPU / 24 Gi, and 0.05 CPU / 0.125 Gi for its compile cache saver; with GenBI's 3.1 CPU /
    7.25 Gi (config/genbi.py PARTS, one replica each outside prod) that is 15.2 CPU / 55.5 Gi, +25 % = 19 / 70 Gi
    (rounded up);
    storage, pods, services and PVCs from the tier; 2 L4 from tier and chat alike; no limits."""
    quotas = {q["metadata"]["name"]: q["spec"] for q in objects(fixture_run("dev"), "ResourceQuota", "alpha")}
    hard = quotas["tenant-quota"]["hard"]
    assert {k: v for k, v in hard.items() if ".storageclass." not in k} == {
        "requests.cpu": "19", "requests.memory": "70Gi", "requests.nvidia.com/gpu": "2",
        "requests.storage": "50Gi", "persistentvolumeclaims": "20", "pods": "40", "services": "20",
        "services.loadbalancers": "0", "services.nodeports": "0", "count/ingresses.networking.k8s.io": "0"}
    assert quotas["gpu-nvidia-l4"] == {"hard": {"requests.nvidia.com/gpu": "2"}, "scopeSelector": {"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In", "values": ["gpu-nvidia-l4"]}]}}


def test_quota_covers_compute_gpu_storage_and_objects(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        quotas = {q["metadata"]["name"]: q["spec"] for q in objects(run, "ResourceQuota", tenant.name)}
        hard = quotas["tenant-quota"]["hard"]
        assert {"requests.cpu", "requests.memory", "requests.nvidia.com/gpu", "requests.storage",
                "persistentvolumeclaims", "pods", "services"} <= set(hard)
        assert not [k for k in hard if k.startswith("limits.")], "a limits quota makes containers declare limits"
        assert hard["services.loadbalancers"] == hard["services.nodeports"] == "0"
        assert hard["count/ingresses.networking.k8s.io"] == "0"
        for storage_class in NOT_FOR_TENANTS:
            assert hard[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] == "0"
        gpus = run.plan.quota(tenant).gpus
        assert hard["requests.nvidia.com/gpu"] == str(sum(gpus.values()))
        # the same numbers as the capacity check, per accelerator type
        assert {name.removeprefix("gpu-"): spec["hard"]["requests.nvidia.com/gpu"]
                for name, spec in quotas.items() if name.startswith("gpu-")} == {k: str(v) for k, v in gpus.items()}
        (limits,) = objects(run, "LimitRange", tenant.name)
        container = next(item for item in limits["spec"]["limits"] if item["type"] == "Container")
        assert "default" not in container and container["defaultRequest"]


def test_default_deny_in_both_directions(run):
    for tenant in examined(run.spec.tenants, "tenants"):
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
    for tenant in examined(run.spec.tenants, "tenants"):
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


def test_explicit_allows(fixture_run):
    run = fixture_run("prod")
    names = {p["metadata"]["name"]: p for p in objects(run, "NetworkPolicy", "alpha")}
    assert set(names) == {"default-deny", "allow-dns", "allow-same-namespace", "allow-from-gateway",
                          "allow-metrics-scrape", "allow-google-apis", "allow-database", "allow-shared-endpoints",
                          *(f"bi-{part}" for part in ("ui", "ai", "engine", "ibis", "qdrant")),  # alpha's GenBI
                          "bi-to-chat"}  # ... which calls alpha's own chat endpoint
    database = names["allow-database"]["spec"]["egress"][0]
    assert database == {"to": [{"ipBlock": {"cidr": run.spec.env.network.private_service_access_range}}],
                        "ports": [{"port": 3307, "protocol": "TCP"}]}  # the Cloud SQL Auth Proxy's server side
    gateway = names["allow-from-gateway"]["spec"]
    assert gateway["podSelector"] == {"matchLabels": {"ai-platform/expose": "true"}}
    shared = names["allow-shared-endpoints"]["spec"]["egress"]
    assert shared == [{"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: "monitoring"}}}],
                       "ports": [{"port": 4317, "protocol": "TCP"}]},
                      {"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: "inference"}}}],
                       "ports": [{"protocol": "TCP", "port": 8000}]}]  # the shared embedder its GenBI uses
    # a tenant that uses no shared endpoint gets no such policy
    assert "allow-shared-endpoints" not in {p["metadata"]["name"] for p in objects(run, "NetworkPolicy", "delta")}


def test_groups_bound_to_admin_and_view_in_their_namespace(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        bindings = {b["roleRef"]["name"]: b for b in objects(run, "RoleBinding", tenant.name)
                    if not b["roleRef"]["name"].startswith(RESERVED_SECRET_PREFIX + "metrics")
                    and not b["roleRef"]["name"].endswith("-qdrant-metrics-reader")}  # the collector's: test_isolation
        assert "admin" not in bindings, "the built-in admin role lets a tenant undo its isolation"
        assert [s["name"] for s in bindings["ai-platform-tenant-admin"]["subjects"]] == tenant.owners
        assert bindings["ai-platform-tenant-admin"]["roleRef"]["kind"] == "ClusterRole"
        assert all(s["kind"] == "Group" for b in bindings.values() for s in b["subjects"])
        assert ("view" in bindings) is bool(tenant.viewers)
        # cluster-wide, a tenant's only binding is its metrics scraper's (GET /metrics; pods cannot run as it)
        for binding in objects(run, "ClusterRoleBinding"):
            if binding["metadata"].get("labels", {}).get("ai-platform/tenant") == tenant.name:
                assert binding["roleRef"]["name"] == "ai-platform-metrics-reader"
                assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ai-platform-metrics-scraper",
                                                "namespace": tenant.name}]


def test_workload_identity_per_workload(run):
    """GenBI's service account acts as the tenant's Google account; a serving endpoint's never does (it
    faces the internet: its own identity reads its model and nothing of the tenant's data)."""
    for tenant in examined(run.spec.tenants, "tenants"):
        gsa = f"aip-{run.spec.environment}-{tenant.name}@{run.spec.project}.iam.gserviceaccount.com"
        ksas = {k["metadata"]["name"]: k for k in objects(run, "ServiceAccount", tenant.name)}
        query = {f"{w.name}-query" for w in tenant.genbi}  # GenBI's engine and ibis: no Google account
        serving = {w.name for w in tenant.workloads if w.kind == "inference"}
        pickers = [m for m in objects(run, "PodMonitoring", tenant.name) if m["metadata"]["name"] == "endpoint-pickers"]
        scraper = {"ai-platform-metrics-scraper"} if pickers else set()  # no Google account either
        assert set(ksas) == {w.name for w in tenant.workloads} | query | scraper
        for name, ksa in ksas.items():
            if name in scraper:
                assert ksa["automountServiceAccountToken"] is False and "annotations" not in ksa["metadata"]
                continue
            assert ksa["automountServiceAccountToken"] is False
            if name in query or name in serving:
                assert "iam.gke.io/gcp-service-account" not in (ksa["metadata"].get("annotations") or {}), name
            else:
                assert ksa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": gsa}
        bindings = [r.inputs for r in run.by_type("gcp:serviceaccount/iAMMember:IAMMember")
                    if r.parent == f"ai-platform:tenancy:Tenant::tenant-{tenant.name}"]
        assert {b["member"] for b in bindings} == {
            f"serviceAccount:{run.spec.project}.svc.id.goog[{tenant.name}/{w.name}]"
            for w in tenant.workloads if w.name not in serving}
        assert {b["role"] for b in bindings} <= {"roles/iam.workloadIdentityUser"}


FOLDER_GRANT = "gcp:storage/managedFolderIamMember:ManagedFolderIamMember"


def models_buckets(run) -> list[str]:
    """The models bucket, and its DR twin where the stack has one (read by the DR region after a failover)."""
    dr = run.spec.env.dr
    return [f"{run.spec.project}-models"] + ([f"{run.spec.project}-{dr.secondary_region}-models"] if dr.active else [])


def model_readers(run, models: str | None = None) -> dict[str, set[tuple[str, str]]]:
    """Who may use a models bucket: member -> (managed folder, or "*" for the whole bucket; role)."""
    models = models or f"{run.spec.project}-models"
    out: dict[str, set[tuple[str, str]]] = {}
    for record in run.records:
        i = record.inputs
        if i.get("bucket") != models or "member" not in i:
            continue
        where = i["managedFolder"] if record.type == FOLDER_GRANT else "*"
        out.setdefault(i["member"], set()).add((where, i["role"]))
    return out


def foreign_weights(run, records=None) -> list[str]:
    """Grants on the models bucket beyond the loader's and, for each endpoint's identity, reading its own model's
    folder and writing its own compile cache folder (a cache is code its replicas run: no one else may write it)."""
    run = dataclasses.replace(run, records=records) if records is not None else run
    plans = run.plan.endpoint_plans()
    served = {key: {(p.model_path + "/", "roles/storage.objectViewer"), (p.cache_folder + "/", "roles/storage.objectUser")}
              for key, p in plans.items()}
    loader = f"{run.spec.env.inference.namespace}/model-loader"
    # Storage Transfer's service agent copies the bucket to its DR twin (tenants cannot create transfer jobs)
    replication = "serviceAccount:project-123456789012@storage-transfer-service.iam.gserviceaccount.com"
    problems = []
    for bucket in models_buckets(run):
        for member, grants in model_readers(run, bucket).items():
            identity = "/".join(member.split("/subject/ns/")[-1].split("/sa/")) if "/subject/ns/" in member else member
            if identity in (loader, replication):
                continue
            if identity not in served or grants != served[identity]:
                problems.append(f"{identity} holds {sorted(grants)} on {bucket}")
    return problems


def test_each_serving_identity_reads_its_model_and_writes_its_compile_cache_only(run):
    """Tenants never read each other's weights nor write each other's compile caches: the only user of the whole
    models bucket is the loader (which writes it); every other grant is one endpoint's Kubernetes identity reading
    its model's folder and writing its own compile cache folder."""
    assert run.spec.inference_endpoints()
    assert foreign_weights(run) == []


def test_the_weights_check_finds_a_tenant_reading_another_tenants_model(fixture_run):
    run = fixture_run("prod")
    alpha = next(r for r in run.by_type(FOLDER_GRANT) if r.inputs["member"].endswith("/ns/alpha/sa/chat")
                 and r.inputs["role"] == "roles/storage.objectViewer")
    gamma = next(r for r in run.by_type(FOLDER_GRANT) if r.inputs["member"].endswith("/ns/gamma/sa/llama-70b")
                 and r.inputs["role"] == "roles/storage.objectViewer")
    stolen = dataclasses.replace(alpha, name="stolen", inputs={**alpha.inputs,
                                                               "managedFolder": gamma.inputs["managedFolder"]})
    (problem,) = foreign_weights(run, [*run.records, stolen])
    assert problem.startswith("alpha/chat holds") and gamma.inputs["managedFolder"] in problem


def test_the_weights_check_finds_a_tenant_writing_another_tenants_compile_cache(fixture_run):
    run = fixture_run("prod")
    alpha = next(r for r in run.by_type(FOLDER_GRANT) if r.inputs["member"].endswith("/ns/alpha/sa/chat")
                 and r.inputs["role"] == "roles/storage.objectUser")
    gamma = run.plan.endpoint_plans()["gamma/llama-70b"].cache_folder + "/"
    poisoned = dataclasses.replace(alpha, name="poisoned", inputs={**alpha.inputs, "managedFolder": gamma})
    (problem,) = foreign_weights(run, [*run.records, poisoned])
    assert problem.startswith("alpha/chat holds") and gamma in problem


def test_the_weights_check_finds_a_serving_identity_writing_its_weights(fixture_run):
    run = fixture_run("prod")
    alpha = next(r for r in run.by_type(FOLDER_GRANT) if r.inputs["member"].endswith("/ns/alpha/sa/chat")
                 and r.inputs["role"] == "roles/storage.objectViewer")
    writer = dataclasses.replace(alpha, inputs={**alpha.inputs, "role": "roles/storage.objectUser"})
    (problem,) = foreign_weights(run, [writer if r is alpha else r for r in run.records])
    assert problem.startswith("alpha/chat holds")


def test_tenant_google_account_reaches_only_its_own_data(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        member = f"serviceAccount:aip-{run.spec.environment}-{tenant.name}@{run.spec.project}.iam.gserviceaccount.com"
        env, project = run.spec.environment, run.spec.project
        grants = [r for r in run.records if r.inputs.get("member") == member]
        where = {(r.type.split(":")[-1], r.inputs.get("bucket") or r.inputs.get("secretId") or r.inputs.get("project"),
                  r.inputs["role"]) for r in grants}
        shared = {("SecretIamMember", f"aip-{env}-{s.name}", "roles/secretmanager.secretAccessor")
                  for s in run.spec.shared_secrets(tenant)}
        # GenBI's generated secrets (encryption password and salt, Qdrant's API key)
        genbi = {("SecretIamMember", f"aip-{env}-{tenant.name}-{w.name}-{thing}", "roles/secretmanager.secretAccessor")
                 for w in tenant.genbi for thing in ("encryption-password", "encryption-salt", "qdrant-api-key", "qdrant-read-key")}
        own = {("BucketIAMMember", f"{project}-t-{tenant.name}", "roles/storage.objectUser"), *genbi,
               ("SecretIamMember", f"aip-{env}-{tenant.name}-db-password", "roles/secretmanager.secretAccessor"), *shared}
        dr = run.spec.env.dr
        # with a DR region, exactly the twins of its own bucket and secrets too (read after a failover)
        twins = {(kind, thing.replace(f"{project}-", f"{project}-{dr.secondary_region}-", 1) if kind == "BucketIAMMember"
                  else thing.replace(f"aip-{env}-", f"aip-{env}-{dr.secondary_region}-", 1), role)
                 for kind, thing, role in own} if dr.active else set()
        assert where == {*own, *twins, ("IAMMember", project, "roles/cloudsql.client")}
        (sql,) = [r for r in grants if r.type == "gcp:projects/iAMMember:IAMMember"]
        instance = run.by_type("gcp:sql/databaseInstance:DatabaseInstance")[0].inputs["name"]
        assert sql.inputs["condition"]["expression"] == (
            f"resource.name == 'projects/{project}/instances/{instance}' && "
            "resource.type == 'sqladmin.googleapis.com/Instance'")


def test_tenant_bucket_database_and_secret_mount(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        bucket = run.get("gcp:storage/bucket:Bucket", f"tenant-{tenant.name}-bucket")
        assert bucket.inputs["labels"]["tenant"] == tenant.name
        database = run.get("gcp:sql/database:Database", f"tenant-{tenant.name}-db")
        assert database.inputs["name"] == tenant.name.replace("-", "_")
        (spc,) = [s for s in objects(run, "SecretProviderClass", tenant.name) if s["metadata"]["name"] == "database"]
        assert spc["spec"]["provider"] == "gke"
        secret = f"projects/{run.spec.project}/secrets/aip-{run.spec.environment}-{tenant.name}-db-password"
        assert f"resourceName: {secret}/versions/latest" in spc["spec"]["parameters"]["secrets"]


def test_budgets_where_a_billing_account_is_configured(fixture_run):
    assert not fixture_run("dev").by_type("gcp:billing/budget:Budget")
    budgets = {r.name: r.inputs for r in fixture_run("prod").by_type("gcp:billing/budget:Budget")}
    assert set(budgets) == {"tenant-alpha-budget", "tenant-beta-budget", "tenant-gamma-budget"}  # delta has none
    alpha = budgets["tenant-alpha-budget"]
    assert alpha["budgetFilter"]["labels"] == {"tenant": "alpha"}
    assert alpha["budgetFilter"]["projects"] == ["projects/123456789012"]
    assert alpha["amount"] == {"specifiedAmount": {"currencyCode": "USD", "units": "4000"}}
    assert [r["thresholdPercent"] for r in alpha["thresholdRules"]] == [0.5, 0.9, 1.0]


def test_a_budget_for_each_tenant_that_asks_where_billing_is_set(run):
    budgets = {r.inputs["budgetFilter"]["labels"]["tenant"]: r.inputs for r in run.by_type("gcp:billing/budget:Budget")}
    billing = run.spec.env.tenancy.billing_account
    assert set(budgets) == ({t.name for t in run.spec.tenants if t.budget} if billing else set())
    for tenant in examined(run.spec.tenants, "tenants"):
        if tenant.name in budgets:
            assert budgets[tenant.name]["amount"]["specifiedAmount"]["units"] == str(int(tenant.budget.monthly))
