"""Inference endpoints as rendered: what each Deployment runs, that every pod is admissible, and order.

Record-wide on every stack (real and fixture): each endpoint the spec declares has its
Deployment, Service, disruption budget, scraping and autoscaling, with the values sizing
chose; every pod template the program renders passes its namespace's Pod Security level and,
in tenant namespaces, the platform's own admission policies.
"""

from __future__ import annotations

import pytest

from policy.pod_security import pod_spec_of, violations
from review.harness import manifests
from tests.admission import Request, denials
from tests.graph import Graph
from tests.helpers import named, objects
from tests.vacuity import examined

ENDPOINT = "ai-platform:workloads:InferenceEndpoint"
JOB = "kubernetes:batch/v1:Job"




def container(deployment, name="vllm"):
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def flag(args, name):
    return args[args.index(name) + 1]


def test_every_declared_endpoint_is_served_as_sized(run):
    spec = run.spec
    served = spec.inference_endpoints()
    assert {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in objects(run, "Deployment")
            if m["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"} == {(ns, e.name) for ns, e, _ in served}
    for namespace, endpoint, sla in served:
        sizing, model = run.plan.sizing(endpoint, sla), spec.catalog.models.models[endpoint.model]
        deployment = named(run, "Deployment", namespace, endpoint.name)
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
        vllm = container(deployment)
        args = vllm["args"]
        assert flag(args, "--served-model-name") == endpoint.model
        assert int(flag(args, "--tensor-parallel-size")) == sizing.chosen.tp
        assert int(flag(args, "--max-model-len")) == endpoint.max_model_len
        assert float(flag(args, "--gpu-memory-utilization")) == sizing.chosen.unit.utilisation
        assert int(flag(args, "--max-num-seqs")) == sizing.chosen.sequences
        assert ("--runner" in args) == (model.kind == "embedding")
        assert "--quantization" not in args, "pre-quantized checkpoints declare their method"
        gpus = str(sizing.chosen.tp)
        assert vllm["resources"]["requests"]["nvidia.com/gpu"] == vllm["resources"]["limits"]["nvidia.com/gpu"] == gpus
        assert vllm["resources"]["requests"]["memory"] == vllm["resources"]["limits"]["memory"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {"ai-platform/accelerator": sizing.chosen.unit.accelerator,
                                       "ai-platform/node-pool": sizing.chosen.unit.pool}
        assert pod["priorityClassName"] == f"gpu-{sizing.chosen.unit.accelerator}"
        scaled = named(run, "ScaledObject", namespace, endpoint.name)["spec"]
        assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == (sizing.min_replicas, sizing.max_replicas)
        assert named(run, "PodDisruptionBudget", namespace, endpoint.name)
        assert named(run, "PodMonitoring", namespace, endpoint.name)


def test_pods_are_built_to_run_a_model_server(run):
    servers = [d for d in objects(run, "Deployment") if d["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]
    for deployment in examined(servers, "vLLM Deployments"):
        pod = deployment["spec"]["template"]["spec"]
        vllm = container(deployment)
        assert vllm["image"].startswith(f"{run.spec.region}-docker.pkg.dev/{run.spec.project}/dockerhub/vllm/"), \
            "through the Artifact Registry cache"
        assert pod["enableServiceLinks"] is False and pod["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in vllm["volumeMounts"]}
        assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"  # noqa: S108
        env = {e["name"]: e["value"] for e in vllm["env"]}
        for variable in ("HOME", "HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR"):
            path = env[variable]
            assert any(path.startswith(m) and "emptyDir" in volumes[n] for m, n in mounts.items()), variable
        models = volumes["models"]["csi"]
        assert models["driver"] == "gcsfuse.csi.storage.gke.io" and models["readOnly"] is True
        assert "only-dir=models/" in models["volumeAttributes"]["mountOptions"]
        for probe in ("readinessProbe", "livenessProbe"):
            assert vllm[probe]["httpGet"]["path"] == "/health"
        startup = vllm["startupProbe"]
        assert startup["exec"]["command"][:2] == ["python3", "-c"], "ready only after a warm-up request"
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
        sleep = vllm["lifecycle"]["preStop"]["sleep"]["seconds"]
        drain = int(flag(vllm["args"], "--shutdown-timeout"))
        assert pod["terminationGracePeriodSeconds"] > sleep + drain, "in-flight requests finish before SIGKILL"
        keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        assert [c["name"] for c in pod["initContainers"]] == ["wait-for-weights", "restore-compile-cache"]


def test_services_listen_on_8000_with_a_named_metrics_port(run):
    for namespace, endpoint, _ in examined(run.spec.inference_endpoints(), "inference endpoints"):
        ports = {p["name"]: p for p in named(run, "Service", namespace, endpoint.name)["spec"]["ports"]}
        assert ports["http"]["port"] == 8000 and ports["metrics"]["targetPort"] == "http"


def test_dev_scales_to_zero_in_working_hours_only(fixture_run):
    run = fixture_run("dev")
    for namespace, endpoint, _ in examined(run.spec.inference_endpoints(), "inference endpoints"):
        scaled = named(run, "ScaledObject", namespace, endpoint.name)["spec"]
        assert scaled["minReplicaCount"] == 0, "dev pools scale to zero"
        triggers = {t["type"]: t for t in scaled["triggers"]}
        assert triggers["cron"]["metadata"]["desiredReplicas"] == "1"
        query = triggers["prometheus"]["metadata"]["query"]
        assert f'namespace="{namespace}"' in query and f'job="{endpoint.name}"' in query
        behavior = scaled["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
        assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
        assert behavior["scaleDown"]["stabilizationWindowSeconds"] >= 300


def test_prod_keeps_two_replicas_for_a_999_sla(fixture_run):
    run = fixture_run("prod")
    scaled = named(run, "ScaledObject", "alpha", "chat")["spec"]
    assert scaled["minReplicaCount"] == 2
    assert "cron" not in {t["type"] for t in scaled["triggers"]}


# --- admission: every pod the program renders is admitted where it runs -------------------------

def namespace_levels(run) -> dict[str, str]:
    return {n["metadata"]["name"]: n["metadata"]["labels"].get("pod-security.kubernetes.io/enforce", "privileged")
            for n in objects(run, "Namespace")}


def test_every_pod_template_passes_its_namespaces_pod_security_level(run):
    levels = namespace_levels(run)
    checked = 0
    for manifest in manifests(run):
        pod = pod_spec_of(manifest)
        if pod is None:
            continue
        namespace = manifest["metadata"]["namespace"]
        level = levels.get(namespace)
        assert level, f"{manifest['kind']}/{manifest['metadata']['name']}: namespace {namespace} is not the platform's"
        assert violations(pod, level) == [], f"{namespace}/{manifest['metadata']['name']}"
        checked += 1
    assert checked >= len(run.spec.inference_endpoints())


def test_platform_pods_in_tenant_namespaces_pass_the_tenant_policies(run):
    """The platform's own pods meet the rules it sets for tenants (no pool it may not use, its GPU class)."""
    spec = run.spec
    tenant_policy = next(p for p in objects(run, "ValidatingAdmissionPolicy")
                         if p["metadata"]["name"] == "ai-platform-accelerators")
    namespaces = {n["metadata"]["name"]: n for n in objects(run, "Namespace")}
    for tenant in spec.tenants:
        placed = [m for m in manifests(run) if pod_spec_of(m) is not None and m["metadata"].get("namespace") == tenant.name]
        for manifest in examined(placed, "platform pods in tenant namespaces"):
            pod = pod_spec_of(manifest)
            as_pod = {"kind": "Pod", "metadata": manifest["spec"]["template"]["metadata"], "spec": pod}
            request = Request(as_pod, username="system:serviceaccount:kube-system:replicaset-controller",
                              namespace=namespaces[tenant.name])
            assert denials(tenant_policy, request) == [], f"{tenant.name}/{manifest['metadata']['name']}"


def test_a_root_vllm_pod_would_be_refused():
    """Guards the evaluator: the image's default (root, writable root filesystem) breaks `restricted`."""
    pod = {"containers": [{"name": "vllm", "image": "vllm", "securityContext": {}}]}
    assert violations(pod, "restricted")


# --- order: what a real apply waits for ---------------------------------------------------------

def test_scaled_objects_wait_for_keda(run):
    """Each cluster's KEDA objects wait for that cluster's KEDA (a warm standby runs its own)."""
    graph = Graph(run.records)
    releases = {r.provider: r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "keda"}
    for record in run.records:
        if record.type in ("kubernetes:keda.sh/v1alpha1:ScaledObject",
                           "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication"):
            assert releases[record.provider].key in graph.waits_for(record.key), record.name


def test_loader_jobs_wait_for_their_bucket_grant(run):
    graph = Graph(run.records)
    grants = [r for r in run.by_type("gcp:storage/bucketIAMMember:BucketIAMMember") if r.name == "models-bucket-writer"]
    jobs = run.by_type("kubernetes:batch/v1:Job")
    assert jobs, "the stack serves a model from Hugging Face"
    for job in jobs:
        assert grants[0].key in graph.waits_for(job.key)
        assert job.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_hugging_face_token_only_for_gated_models(fixture_run, stack):
    run = fixture_run(stack)
    models = run.spec.catalog.models.models
    for job in examined(run.by_type("kubernetes:batch/v1:Job"), "loader Jobs"):
        repo = job.inputs["metadata"]["annotations"]["ai-platform/model"].split("@")[0]
        gated = any(v.repo == repo and m.gated for m in models.values() for v in m.variants.values())
        volumes = {v["name"] for v in job.inputs["spec"]["template"]["spec"]["volumes"]}
        assert ("hf-token" in volumes) == gated, repo


def test_tenants_reach_the_shared_endpoints_they_use(fixture_run):
    """alpha uses embed, beta embed and sql: their egress policies name the inference namespace, which admits
    them (and only them)."""
    run = fixture_run("prod")
    (egress,) = [p for p in objects(run, "NetworkPolicy", "beta") if p["metadata"]["name"] == "allow-shared-endpoints"]
    peers = [(peer["namespaceSelector"]["matchLabels"], rule["ports"][0]["port"]) for rule in egress["spec"]["egress"]
             for peer in rule["to"]]
    assert ({"kubernetes.io/metadata.name": "inference"}, 8000) in peers
    consumers = named(run, "NetworkPolicy", "inference", "allow-consumers")["spec"]["ingress"][0]
    (names,) = [e["values"] for e in consumers["from"][0]["namespaceSelector"]["matchExpressions"]]
    assert names == ["alpha", "beta"]


def test_keda_and_the_kubelet_are_not_refused_in_tenant_namespaces(fixture_run):
    """KEDA updates the platform's ScaledObjects and creates their HPAs; the kubelet deletes finished pods."""
    run = fixture_run("prod")
    managed = next(p for p in objects(run, "ValidatingAdmissionPolicy")
                   if p["metadata"]["name"] == "ai-platform-managed-objects")
    scaled = named(run, "ScaledObject", "alpha", "chat")
    finalized = {**scaled, "metadata": {**scaled["metadata"], "finalizers": ["finalizer.keda.sh"]}}
    keda = "system:serviceaccount:keda:keda-operator"
    assert not denials(managed, Request(finalized, scaled, username=keda, group="keda.sh"))
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "keda-hpa-chat", "labels": scaled["metadata"]["labels"]}}
    assert not denials(managed, Request(hpa, username=keda, group="autoscaling"))
    assert denials(managed, Request(None, named(run, "NetworkPolicy", "alpha", "default-deny"), username=keda,
                                    group="networking.k8s.io")), "KEDA may touch nothing else"
    pod = {"kind": "Pod", "metadata": named(run, "Deployment", "alpha", "chat")["spec"]["template"]["metadata"]}
    assert "ai-platform/managed" not in pod["metadata"]["labels"]
    assert not denials(managed, Request(None, pod, username="system:node:gke-aip-prod-l4-1", groups=["system:nodes"]))


def test_a_new_token_version_gives_gated_loader_jobs_a_new_name(fixture_root):
    """A gated model's loader that failed for want of a valid token never runs again: its replacement does,
    because the Job's name follows the token's Secret Manager version. Ungated loaders keep their names."""
    from config import loader
    from review.harness import run_stack

    config = {**loader.stack_config_from_file("prod", fixture_root), "ai-platform:hfToken": "hf_fixture"}
    without = {j.name: j.inputs["metadata"]["name"] for j in run_stack("prod", fixture_root).by_type(JOB)}
    with_token = run_stack("prod", fixture_root, config, ["ai-platform:hfToken"])
    gated = {j.name for j in with_token.by_type(JOB) if any(
        v["name"] == "hf-token" for v in j.inputs["spec"]["template"]["spec"]["volumes"])}
    assert gated and gated < set(without)
    for job in with_token.by_type(JOB):
        assert (job.inputs["metadata"]["name"] != without[job.name]) == (job.name in gated), job.name


def test_serving_pods_stop_waiting_for_weights_visibly(run):
    """The init container waits for the loader's marker, at most the loader's deadline and an hour; then it
    fails (the pod crash-loops, which alerts) saying which folder and which Job to look at."""
    import time as real_time

    deployment = next(d for d in objects(run, "Deployment") if d["metadata"]["labels"].get("app.kubernetes.io/name")
                      == "vllm")
    init = next(c for c in deployment["spec"]["template"]["spec"]["initContainers"] if c["name"] == "wait-for-weights")
    script = init["command"][2]
    clock = [real_time.time()]

    class FakeTime:
        @staticmethod
        def time():
            clock[0] += 3600
            return clock[0]

        @staticmethod
        def sleep(_):
            pass

    class FakePath:
        @staticmethod
        def exists(_):
            return False

    import os as real_os
    import types

    fake_os = types.SimpleNamespace(**{k: getattr(real_os, k) for k in dir(real_os) if not k.startswith("__")})
    fake_os.path = FakePath
    with pytest.raises(SystemExit) as stopped:
        exec(script.replace("import os, sys, time", "import sys"),  # noqa: S102 (the rendered script, faked clock)
             {"os": fake_os, "time": FakeTime, "print": lambda *a, **k: None})
    message = str(stopped.value)
    assert "has no weights after 7 h" in message and "get jobs -l ai-platform/weights=" in message
