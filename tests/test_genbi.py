"""GenBI: WrenAI wired to the tenant's own endpoints, its parts admissible, reachable only as declared.

Record-wide on every stack: the AI service's generated configuration parses, every pipeline's
components resolve, and the LLM and embedder it names are vLLM Deployments of the record serving
that model (the embedding dimension is the catalog's). Network reachability is evaluated with the
NetworkPolicy semantics in tests/isolation.py, on the fixture tree whose beta declares data sources.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import yaml

from plan.genbi import PORTS, STATELESS
from tests.conftest import edit_yaml
from tests.helpers import load_error, named, objects
from tests.isolation import network_policies_allow
from tests.vacuity import examined

NAMESPACE_NAME = "kubernetes.io/metadata.name"
PARTS = ("ui", "ai", "engine", "ibis", "qdrant")
# The pipelines WrenAI's AI service cannot start without (wren-ai-service/src/globals.py, 0.29.x):
# a hand-kept sample that fails if the catalog loses one; the catalog itself lists all of them.
CORE_PIPELINES = {"db_schema_indexing", "historical_question_indexing", "table_description_indexing",
                  "db_schema_retrieval", "sql_generation", "sql_correction", "followup_sql_generation",
                  "sql_answer", "intent_classification", "sql_pairs_indexing", "instructions_indexing"}




def genbis(run):
    """(tenant, workload) of every GenBI in the stack."""
    return examined([(t.name, w) for t in run.spec.tenants for w in t.genbi], "GenBI workloads")


def ai_config(run, tenant, workload) -> list[dict]:
    return list(yaml.safe_load_all(named(run, "ConfigMap", tenant, f"{workload.name}-ai-config")["data"]["config.yaml"]))


def served_by(run, url: str) -> dict:
    """The vLLM Deployment behind an in-cluster base URL http://<service>.<namespace>.svc.cluster.local:<port>/v1."""
    host = urlparse(url)
    service, namespace = host.hostname.split(".")[:2]
    assert host.port in {p["port"] for p in named(run, "Service", namespace, service)["spec"]["ports"]}
    return named(run, "Deployment", namespace, service)


def arg(deployment: dict, flag: str) -> str:
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    return args[args.index(flag) + 1]


def test_every_genbi_tenant_gets_the_full_wiring(run):
    assert genbis(run), "the stack runs GenBI"
    for tenant, w in genbis(run):
        deployments = {d["metadata"]["name"] for d in objects(run, "Deployment", tenant)}
        assert {f"{w.name}-{p}" for p in ("ui", "ai", "engine", "ibis")} <= deployments
        named(run, "StatefulSet", tenant, f"{w.name}-qdrant")
        for part in PARTS:
            service = named(run, "Service", tenant, f"{w.name}-{part}")
            assert [p["port"] for p in service["spec"]["ports"]] == [PORTS[part]]
            assert service["spec"]["type"] == "ClusterIP"


def test_the_ai_service_configuration_resolves(run):
    """Every pipeline of the catalog, each reference a defined component; LLM and embedder are the
    record's own vLLM Deployments of the right kind; the dimension is the catalog's; index kept."""
    models = run.spec.catalog.models.models
    catalog = run.spec.catalog.genbi
    assert CORE_PIPELINES <= set(catalog.pipelines)
    for tenant, w in genbis(run):
        documents = ai_config(run, tenant, w)
        defined: dict[str, set[str]] = {"llm": set(), "embedder": set(), "engine": set(), "document_store": set()}
        for doc in documents:
            if doc.get("type") in ("llm", "embedder"):
                defined[doc["type"]] |= {f"{doc['provider']}.{m['alias']}" for m in doc["models"]}
            elif doc.get("type") in ("engine", "document_store"):
                defined[doc["type"]].add(doc["provider"])
        (pipeline,) = [d for d in documents if d.get("type") == "pipeline"]
        assert [p["name"] for p in pipeline["pipes"]] == list(catalog.pipelines)
        for pipe in pipeline["pipes"]:
            for component, value in pipe.items():
                if component != "name":
                    assert value in defined[component], (tenant, pipe["name"], component, value)

        (llm,) = [d for d in documents if d.get("type") == "llm"]
        (embedder,) = [d for d in documents if d.get("type") == "embedder"]
        (store,) = [d for d in documents if d.get("type") == "document_store"]
        for doc, kind in ((llm, "generation"), (embedder, "embedding")):
            (model,) = doc["models"]
            deployment = served_by(run, model["api_base"])
            served = arg(deployment, "--served-model-name")
            assert model["model"] == f"openai/{served}", "litellm's OpenAI route, vLLM's served name"
            assert models[served].kind == kind
        embedding_model = arg(served_by(run, embedder["models"][0]["api_base"]), "--served-model-name")
        assert store["embedding_model_dim"] == models[embedding_model].embedding_dim
        assert store["recreate_index"] is False, "a restart must not drop the tenant's indexed schema"
        assert urlparse(store["location"]).hostname.split(".")[0] == f"{w.name}-qdrant"
        (settings,) = [d["settings"] for d in documents if "settings" in d]
        assert settings["langfuse_enable"] is False and settings["development"] is False


def pod_spec(run, tenant, name):
    kind = "StatefulSet" if name.endswith("-qdrant") else "Deployment"
    return named(run, kind, tenant, name)["spec"]["template"]["spec"]


def env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_probes_resources_and_telemetry_off(run):
    for tenant, w in genbis(run):
        for part in PARTS:
            spec = pod_spec(run, tenant, f"{w.name}-{part}")
            for container in spec["containers"]:
                assert container["readinessProbe"] and container["livenessProbe"], (part, container["name"])
                if part == "ai":  # waits for Qdrant and builds its pipelines before it listens
                    startup = container["startupProbe"]
                    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180
                assert {"cpu", "memory"} <= set(container["resources"]["requests"])
                assert "memory" in container["resources"]["limits"]
            for sidecar in spec.get("initContainers", []):
                assert "memory" in sidecar["resources"]["limits"]
        assert env(pod_spec(run, tenant, f"{w.name}-ui")["containers"][0])["TELEMETRY_ENABLED"] == "false"
        ai = env(pod_spec(run, tenant, f"{w.name}-ai")["containers"][0])
        assert ai["HAYSTACK_TELEMETRY_ENABLED"] == ai["HAMILTON_TELEMETRY_ENABLED"] == "false"
        assert env(pod_spec(run, tenant, f"{w.name}-qdrant")["containers"][0])["QDRANT__TELEMETRY_DISABLED"] == "true"


def test_the_ui_finds_its_services_and_its_database(run):
    """The UI's endpoints name Services of its GenBI on their ports; its database through the Auth
    Proxy native sidecar, the password file from the tenant's database secret mount."""
    database = run.by_type("gcp:sql/databaseInstance:DatabaseInstance")[0].inputs["name"]
    for tenant, w in genbis(run):
        spec = pod_spec(run, tenant, f"{w.name}-ui")
        variables = env(spec["containers"][0])
        for variable, part in (("WREN_ENGINE_ENDPOINT", "engine"), ("WREN_AI_ENDPOINT", "ai"),
                               ("IBIS_SERVER_ENDPOINT", "ibis")):
            url = urlparse(variables[variable])
            assert (url.hostname, url.port) == (f"{w.name}-{part}", PORTS[part])
        (proxy,) = spec["initContainers"]
        assert proxy["restartPolicy"] == "Always", "a native sidecar: up before the UI, stopped after it"
        assert proxy["args"][-1].endswith(f":{database}") and "--private-ip" in proxy["args"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["database"]["csi"]["volumeAttributes"]["secretProviderClass"] == "database"
        assert "$(cat /var/run/secrets/database/db-password)" in spec["containers"][0]["command"][-1]


def test_generated_secrets_come_from_secret_manager(run):
    """Encryption password and salt, and Qdrant's API key: generated into Secret Manager, mounted
    through the add-on, readable by the tenant's own Google account only."""
    env_, project = run.spec.environment, run.spec.project
    for tenant, w in genbis(run):
        classes = {"encryption-password": "ui", "encryption-salt": "ui", "qdrant-api-key": "qdrant"}
        for thing, holder in classes.items():
            secret = f"projects/{project}/secrets/aip-{env_}-{tenant}-{w.name}-{thing}"
            for suffix in ("ui", "qdrant"):  # each class holds only its own
                spc = named(run, "SecretProviderClass", tenant, f"{w.name}-genbi-{suffix}")
                assert (f"resourceName: {secret}/versions/latest" in spc["spec"]["parameters"]["secrets"]) \
                    == (suffix == holder), (thing, suffix)
            readers = {r.inputs["member"] for r in run.by_type("gcp:secretmanager/secretIamMember:SecretIamMember")
                       if r.inputs["secretId"] == f"aip-{env_}-{tenant}-{w.name}-{thing}"}
            assert readers == {f"serviceAccount:aip-{env_}-{tenant}@{project}.iam.gserviceaccount.com"}
        mounted = {part: {v["csi"]["volumeAttributes"]["secretProviderClass"]
                          for v in pod_spec(run, tenant, f"{w.name}-{part}")["volumes"] if "csi" in v} for part in PARTS}
        assert mounted == {"ui": {f"{w.name}-genbi-ui", "database"}, "ai": {f"{w.name}-genbi-qdrant"},
                           "qdrant": {f"{w.name}-genbi-qdrant"}, "engine": set(), "ibis": set()}


def test_the_query_parts_have_no_google_identity(run):
    """The engine and the ibis server run users' SQL against users' connection details: their service
    account maps to no Google account, and nothing grants it anything."""
    for tenant, w in genbis(run):
        for part in ("engine", "ibis"):
            account = pod_spec(run, tenant, f"{w.name}-{part}")["serviceAccountName"]
            ksa = named(run, "ServiceAccount", tenant, account)
            assert "iam.gke.io/gcp-service-account" not in (ksa["metadata"].get("annotations") or {})
            assert not [r for r in run.records if f"/sa/{account}" in str(r.inputs.get("member", ""))
                        or f"[{tenant}/{account}]" in str(r.inputs.get("member", ""))]


def test_the_engine_heap_is_given_as_the_entrypoint_expects(run):
    """wren-engine's entrypoint prefixes -Xmx/-Xms itself: a value that carries them stops the JVM."""
    for tenant, w in genbis(run):
        variables = env(pod_spec(run, tenant, f"{w.name}-engine")["containers"][0])
        for name in ("MAX_HEAP_SIZE", "MIN_HEAP_SIZE"):
            assert re.fullmatch(r"\d+[mg]", variables[name]), (name, variables[name])


def test_prompts_fit_the_llms_context(run):
    """WrenAI's schema budget + its prompt overhead + the answer fit the served --max-model-len."""
    from plan.genbi import PROMPT_OVERHEAD

    for tenant, w in genbis(run):
        (llm,) = [d for d in ai_config(run, tenant, w) if d.get("type") == "llm"]
        (model,) = llm["models"]
        served = int(arg(served_by(run, model["api_base"]), "--max-model-len"))
        assert model["context_window_size"] + PROMPT_OVERHEAD + model["kwargs"]["max_tokens"] <= served


def test_qdrant_keeps_its_collections_on_an_encrypted_volume(run):
    classes = {c["metadata"]["name"]: c for c in objects(run, "StorageClass")}
    for tenant, w in genbis(run):
        qdrant = named(run, "StatefulSet", tenant, f"{w.name}-qdrant")["spec"]
        (claim,) = qdrant["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"] == f"{w.storage_gi}Gi"
        assert classes[claim["spec"]["storageClassName"]]["parameters"]["disk-encryption-kms-key"]
        assert qdrant["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        mounts = {m["name"]: m["mountPath"] for m in qdrant["template"]["spec"]["containers"][0]["volumeMounts"]}
        assert mounts["storage"] == "/qdrant/storage"
        assert "app.kubernetes.io/version" not in claim["metadata"]["labels"], "claim templates are immutable"


def test_stateless_parts_are_highly_available_in_prod_only(run):
    prod = run.spec.environment == "prod"
    for tenant, w in genbis(run):
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in objects(run, "HorizontalPodAutoscaler", tenant)}
        budgets = {b["metadata"]["name"] for b in objects(run, "PodDisruptionBudget", tenant)}
        assert STATELESS == ("ibis",), "the UI, engine, AI service and Qdrant hold state in process"
        for part in ("ui", "ai", "engine", "ibis"):
            deployment = named(run, "Deployment", tenant, f"{w.name}-{part}")
            if prod and part in STATELESS:
                assert (hpas[f"{w.name}-{part}"]["minReplicas"], hpas[f"{w.name}-{part}"]["maxReplicas"]) == (2, 4)
                assert "replicas" not in deployment["spec"], "the HPA owns the count"
                assert f"{w.name}-{part}" in budgets
            else:
                assert f"{w.name}-{part}" not in hpas and f"{w.name}-{part}" not in budgets
                assert deployment["spec"]["replicas"] == 1


# --- who reaches whom -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod(fixture_run):
    return fixture_run("prod")


def pod_of(run, tenant, name) -> dict:
    kind = "StatefulSet" if name.endswith("-qdrant") else "Deployment"
    labels = named(run, kind, tenant, name)["spec"]["template"]["metadata"]["labels"]
    return {"namespace": tenant, "labels": labels, "namespace_labels": namespace_labels(run, tenant)}


def namespace_labels(run, namespace) -> dict[str, str]:
    found = [n for n in objects(run, "Namespace") if n["metadata"]["name"] == namespace]
    return {NAMESPACE_NAME: namespace, **(found[0]["metadata"].get("labels", {}) if found else {})}


def reaches(run, source, destination, port) -> bool:
    return network_policies_allow(objects(run, "NetworkPolicy"), source, destination, port)


def test_the_ui_is_reached_by_the_gateway_and_the_ai_service_only(prod):
    gateway_proxy = {"ip": str(next(iter(__import__("ipaddress").ip_network(
        prod.spec.env.network.proxy_only_range).hosts())))}
    ui, ai = pod_of(prod, "alpha", "bi-ui"), pod_of(prod, "alpha", "bi-ai")
    neighbour = {"namespace": "alpha", "labels": {"app": "notebook"}, "namespace_labels": namespace_labels(prod, "alpha")}
    assert reaches(prod, gateway_proxy, ui, PORTS["ui"])
    assert reaches(prod, ai, ui, PORTS["ui"])
    assert not reaches(prod, neighbour, ui, PORTS["ui"]), "another pod of the tenant's namespace"
    assert not reaches(prod, gateway_proxy, ai, PORTS["ai"]), "only the UI is exposed"
    assert not reaches(prod, neighbour, pod_of(prod, "alpha", "bi-qdrant"), PORTS["qdrant"])


def test_the_ai_service_reaches_its_models_qdrant_and_the_ui(prod):
    ai = pod_of(prod, "alpha", "bi-ai")
    for part in ("qdrant", "ui", "engine", "ibis"):
        assert reaches(prod, ai, pod_of(prod, "alpha", f"bi-{part}"), PORTS[part]), part
    (llm,) = [d for d in ai_config(prod, "alpha", prod.spec.tenant("alpha").genbi[0]) if d.get("type") == "llm"]
    chat = served_by(prod, llm["models"][0]["api_base"])  # alpha's own chat endpoint
    chat_pod = {"namespace": "alpha", "labels": chat["spec"]["template"]["metadata"]["labels"],
                "namespace_labels": namespace_labels(prod, "alpha")}
    assert reaches(prod, ai, chat_pod, 8000)
    embed = served_by(prod, next(d for d in ai_config(prod, "alpha", prod.spec.tenant("alpha").genbi[0])
                                 if d.get("type") == "embedder")["models"][0]["api_base"])
    embed_pod = {"namespace": embed["metadata"]["namespace"], "labels": embed["spec"]["template"]["metadata"]["labels"],
                 "namespace_labels": namespace_labels(prod, embed["metadata"]["namespace"])}
    assert reaches(prod, ai, embed_pod, 8000), "the shared embedder"
    assert not reaches(prod, ai, {"ip": "10.20.0.5"}, 5432), "the AI service does not query data sources"


def test_engine_and_ibis_reach_only_the_declared_data_sources(prod):
    (bi,) = prod.spec.tenant("beta").genbi
    assert bi.data_sources, "the fixture declares some"
    for part in ("engine", "ibis"):
        pod = pod_of(prod, "beta", f"bi-{part}")
        for source in bi.data_sources:
            address = str(next(iter(__import__("ipaddress").ip_network(source.cidr))))
            assert reaches(prod, pod, {"ip": address}, source.port), (part, source.name)
            assert not reaches(prod, pod, {"ip": address}, source.port + 1), "only the declared port"
        assert not reaches(prod, pod, {"ip": "10.99.0.7"}, 5432), "an undeclared database"
        assert not reaches(prod, pod, {"ip": "8.8.8.8"}, 443), "the internet"
        assert not reaches(prod, pod, pod_of(prod, "beta", "bi-qdrant"), PORTS["qdrant"])
    # alpha declares none: its engine reaches no database at all
    assert not reaches(prod, pod_of(prod, "alpha", "bi-engine"), {"ip": "10.20.0.5"}, 5432)


# --- bad input: one line each ---------------------------------------------------------------------



def test_genbi_without_an_embedding_endpoint(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml", lambda d: d.update(uses=["sql"]))
    assert load_error(config_tree) == (
        "config/tenants/beta.yaml: workloads[0]: GenBI needs an embedding endpoint and this tenant may use none in "
        "stack prod (its own or shared ones in `uses`: sql; shared here: embed, sql): add one to `uses` or name "
        "one in `embedder`")


def test_genbi_without_a_generation_endpoint(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml", lambda d: d.update(uses=["embed"]))
    assert load_error(config_tree).startswith(
        "config/tenants/beta.yaml: workloads[0]: GenBI needs a generation endpoint and this tenant may use none")


def test_an_embedder_that_serves_a_chat_model(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml", lambda d: d["workloads"][0].update(embedder="sql"))
    assert load_error(config_tree) == (
        "config/tenants/beta.yaml: workloads[0].embedder: 'sql' serves qwen2.5-coder-7b-instruct, a generation "
        "model: GenBI needs an embedding model here")


def test_an_embedder_the_tenant_may_not_use(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml", lambda d: d["workloads"][0].update(embedder="embedd"))
    assert load_error(config_tree).startswith(
        "config/tenants/beta.yaml: workloads[0].embedder: 'embedd' is no endpoint this tenant may use in stack prod")


def test_an_llm_with_too_short_a_context(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: next(
        e for e in d["inference"]["endpoints"] if e["name"] == "sql").update(max_model_len=4096))
    assert load_error(config_tree) == (
        "config/tenants/beta.yaml: workloads[0].llm: 'sql' serves 4096 tokens of context: WrenAI needs room for its "
        "prompt, the schema and the answer; give that endpoint max_model_len 7096 or more (16384 recommended)")


def test_a_data_source_named_by_hostname(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml",
              lambda d: d["workloads"][0]["data_sources"][0].update(host="warehouse.internal"))
    message = load_error(config_tree)
    assert message.startswith("config/tenants/beta.yaml: workloads[0].data_sources[0].host:")
    assert "is not an IPv4 address or CIDR" in message


def test_a_data_source_without_a_port(config_tree):
    edit_yaml(config_tree / "config/tenants/beta.yaml", lambda d: d["workloads"][0]["data_sources"][0].pop("port"))
    assert load_error(config_tree).startswith("config/tenants/beta.yaml: workloads[0].data_sources[0].port: is required but missing")


def test_an_embedding_model_without_its_dimension(config_tree):
    def drop(d):
        (name,) = [n for n, m in d["models"].items() if m["kind"] == "embedding"][:1]
        d["models"][name].pop("embedding_dim")

    edit_yaml(config_tree / "config/catalog/models.yaml", drop)
    message = load_error(config_tree)
    assert message.startswith("config/catalog/models.yaml: models.") and "embedding_dim" in message
