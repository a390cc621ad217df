"""Cold start (docs/cold-start.md, ADRs 0018 and 0019): the estimate meets its targets, computed by hand from the
catalog's figures; the startup probe follows it; every serving pool preloads the pinned image from a disk image it
waits for; weights come the way ADR 0018 decided, the compile cache is restored and saved, the warm-up request
gates readiness; warm spares are placeholders that serving pods preempt, costed and counted; mistakes are one line."""

from __future__ import annotations

import dataclasses
import math

import pytest

from plan import Plan, project_quota
from plan.capacity import compute_totals, gpu_units_per_node
from plan.coldstart import GCSFUSE, STREAMER, preload
from tests.conftest import edit_yaml
from tests.graph import Graph
from tests.helpers import load_error, named, objects
from tests.vacuity import examined

POOL = "gcp:container/nodePool:NodePool"
IMAGE = "gcp:compute/image:Image"
FOLDER = "gcp:storage/managedFolder:ManagedFolder"
FOLDER_GRANT = "gcp:storage/managedFolderIamMember:ManagedFolderIamMember"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PRIORITY = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
# The targets, seconds: (on a warm node, with a new node) per (model size class, accelerator).
TARGETS = {("8b", "nvidia-l4"): (90, 6 * 60), ("70b", "nvidia-a100-80gb"): (3 * 60, 8 * 60)}
# GCS FUSE CSI driver volume attributes (gcs-fuse-csi-driver pkg/csi_driver/utils.go "GCS Fuse Volume
# Attributes", and the webhook's gcsfuseMetadataPrefetchOnMount): anything else is ignored or refused.
FUSE_ATTRIBUTES = {"bucketName", "mountOptions", "fileCacheCapacity", "fileCacheForRangeRead", "metadataStatCacheCapacity",
                   "metadataTypeCacheCapacity", "metadataCacheTTLSeconds", "gcsfuseLoggingSeverity",
                   "skipCSIBucketAccessCheck", "gcsfuseMetadataPrefetchOnMount"}


def size_class(params_b: float) -> str | None:
    return "8b" if 7 <= params_b <= 9 else "70b" if 65 <= params_b <= 75 else None


def hand_computed(spec, namespace: str, name: str) -> tuple[float, float]:
    """(warm, new node) seconds for a streamed-safetensors endpoint on a preloading pool, from serving.yaml by hand."""
    endpoint = next(e for ns, e, _ in spec.inference_endpoints() if (ns, e.name) == (namespace, name))
    sla = next(s for ns, e, s in spec.inference_endpoints() if (ns, e.name) == (namespace, name))
    sizing = Plan.of(spec).sizing(endpoint, sla)
    pool = next(p for p in spec.env.gpu_pools if p.name == sizing.chosen.unit.pool)
    model = spec.catalog.models.models[endpoint.model]
    nic = spec.catalog.accelerators.accelerators[pool.accelerator].machines[pool.machine_type].network_gbps
    f = spec.catalog.serving
    weights = model.variants[endpoint.dtype].disk_gb / (f.streamer_nic_share.value * nic / 8)
    warm = (f.pod_start_seconds.value + f.image_preloaded_seconds.value + weights
            + f.engine_seconds.value + f.engine_seconds_per_10b.value * model.params_b / 10)
    return warm, warm + f.autoscaler_seconds.value + f.node_seconds.value


@pytest.mark.parametrize(("stack", "key", "target"), [
    ("prod", "alpha/chat", ("8b", "nvidia-l4")), ("dev", "alpha/chat", ("8b", "nvidia-l4")),
    ("prod", "gamma/llama-70b", ("70b", "nvidia-a100-80gb"))])
def test_the_estimate_is_the_hand_computed_one_and_meets_the_targets(fixture_spec, stack, key, target):
    spec = fixture_spec(stack)
    start = Plan.of(spec).cold_starts()[key]
    warm, new = hand_computed(spec, *key.split("/"))
    assert start.warm_seconds == pytest.approx(warm) and start.new_node_seconds == pytest.approx(new)
    assert Plan.of(spec).endpoint_plans()[key].accelerator == target[1]
    assert warm <= TARGETS[target][0] and new <= TARGETS[target][1]


def test_every_catalog_model_of_the_target_sizes_meets_them(run):
    """Whatever a stack serves of the targets' sizes on their GPUs, warm and with a new node."""
    models, plans, starts = run.spec.catalog.models.models, run.plan.endpoint_plans(), run.plan.cold_starts()
    targeted = [(k, p) for k, p in plans.items()
                if (size_class(models[p.served_model_name].params_b), p.accelerator) in TARGETS]
    for key, served in examined(targeted, "endpoints of the targets' sizes"):
        warm, new = TARGETS[(size_class(models[served.served_model_name].params_b), served.accelerator)]
        assert starts[key].warm_seconds <= warm, key
        assert starts[key].new_node_seconds <= new, key


def test_every_term_names_figures_with_sources(run):
    figures = run.spec.catalog.serving
    for key, start in examined(run.plan.cold_starts().items(), "cold starts"):
        assert [t.name for t in start.terms] == ["pod", "image", "weights", "engine"], key
        for name in start.figures:
            assert getattr(figures, name).source.strip(), name


def test_the_startup_probe_budget_follows_the_estimate(run):
    plans, starts = run.plan.endpoint_plans(), run.plan.cold_starts()
    for namespace, endpoint, _ in examined(run.spec.inference_endpoints(), "inference endpoints"):
        key, start = f"{namespace}/{endpoint.name}", run.plan.cold_starts()[f"{namespace}/{endpoint.name}"]
        probe = next(c for c in named(run, "Deployment", namespace, endpoint.name)["spec"]["template"]["spec"]
                     ["containers"] if c["name"] == "vllm")["startupProbe"]
        allowed = probe["periodSeconds"] * probe["failureThreshold"]
        first = start.term("weights").seconds + start.term("engine").seconds + start.compile_seconds
        assert allowed >= plans[key].startup_seconds == starts[key].probe_budget >= max(300, 2 * first)


def test_recovery_is_the_slowest_start_on_new_nodes(fixture_spec):
    """The DR runbook's RTO reads it (issue 19)."""
    plan = Plan.of(fixture_spec("prod"))
    assert plan.recovery_seconds() == max(s.new_node_seconds for s in plan.cold_starts().values())
    assert plan.recovery_seconds() == plan.cold_starts()["gamma/llama-70b"].new_node_seconds


# --- the serving image on a secondary boot disk --------------------------------------------------------------

def pool_name(pool, record) -> str:
    return pool.name


def disk_image_problems(run, records=None) -> list[str]:
    """GPU pools that serve without preloading the pinned image, or that could be created before their disk image."""
    records = records if records is not None else run.records
    graph, spec = Graph(records), run.spec
    images: dict[str, set[str]] = {}  # each cluster's pools read the disk image themselves
    for r in records:
        if r.type == IMAGE and r.read:
            images.setdefault(r.inputs["id"], set()).add(r.key)
    name = spec.catalog.versions.images["vllm"].preload.disk_image
    problems = []
    for pool, record in ((p, r) for p in spec.env.gpu_pools  # a warm standby's pools too
                         for r in records if r.type == POOL and r.inputs["name"] == pool_name(p, r)):
        disks = record.inputs["nodeConfig"].get("secondaryBootDisks", [])
        if preload(spec, pool).disk_image is None:
            problems += [f"{pool.name} preloads although it should pull"] if disks else []
            continue
        expected = f"projects/{spec.project}/global/images/{name}"
        if disks != [{"diskImage": expected, "mode": "CONTAINER_IMAGE_CACHE"}]:
            problems.append(f"{pool.name} does not preload {expected}")
        elif record.inputs["nodeConfig"].get("gcfsConfig") != {"enabled": True}:
            problems.append(f"{pool.name} preloads without image streaming")
        elif not images.get(expected, set()) & set(graph.waits_for(record.key)):
            problems.append(f"{pool.name} does not wait for {expected}")
    return problems


def test_every_gpu_pool_preloads_the_pinned_image_and_waits_for_its_disk_image(run):
    assert examined(run.spec.env.gpu_pools, "GPU pools")
    assert disk_image_problems(run) == []


def test_the_disk_image_check_finds_a_pool_that_does_not_wait(fixture_run):
    run = fixture_run("prod")
    cut = [dataclasses.replace(r, dependencies=[d for d in r.dependencies if not d.startswith(IMAGE)])
           if r.type == POOL else r for r in run.records]
    assert disk_image_problems(run, cut) and all("does not wait" in p for p in disk_image_problems(run, cut))


def test_a_pool_may_pull_and_the_review_says_why(config_tree):
    from review.harness import run_stack
    from review.summary import render_summary

    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["gpu_pools"][1].update(preload_image=False))
    run = run_stack("prod", config_tree)
    assert disk_image_problems(run) == []
    (pool,) = [r for r in run.by_type(POOL) if r.inputs["name"] == "l4-spot" and r.name == "gpu-l4-spot"]
    assert "secondaryBootDisks" not in pool.inputs["nodeConfig"]
    row = next(line for line in render_summary(run).splitlines() if line.startswith("| `l4-spot`") and "pull" in line)
    assert "pulled whole: preload_image: false in config/environments/prod.yaml" in row


def test_a_new_vllm_tag_without_its_disk_image_is_refused(config_tree):
    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: d["images"]["vllm"].update(tag="v0.32.0-cu129"))
    assert load_error(config_tree) == (
        "config/catalog/versions.yaml: images.vllm.preload.built_from: 'v0.31.0-cu129' is not the pinned tag "
        "'v0.32.0-cu129': disk image 'vllm-openai-v0-31-0-cu129' holds another image (build one from v0.32.0-cu129: "
        "`python -m review.preload prod` prints the command; then set preload.disk_image and preload.built_from; "
        "docs/cold-start.md)")


def test_the_preload_command_builds_the_pinned_tag_through_the_cache(config_tree, capsys):
    from review import preload as preload_cli

    edit_yaml(config_tree / "config/catalog/versions.yaml", lambda d: d["images"]["vllm"].update(tag="v0.32.0-cu129"))
    assert preload_cli.main(["prod", "--root", str(config_tree)]) == 0
    out = capsys.readouterr().out
    assert ("--container-image=us-central1-docker.pkg.dev/fixture-ai-prod/dockerhub/vllm/vllm-openai:v0.32.0-cu129"
            in out and "--image-name=vllm-openai-v0-32-0-cu129" in out and "--project-name=fixture-ai-prod" in out)
    assert "preload: {disk_image: vllm-openai-v0-32-0-cu129, built_from: v0.32.0-cu129" in out


# --- weights, compile cache, warm-up --------------------------------------------------------------------------

def vllm_pods(run):
    return [(d, d["spec"]["template"]["spec"]) for d in objects(run, "Deployment")
            if d["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]


def test_weights_come_the_way_adr_0018_decided(run):
    bucket = f"{run.spec.project}-models"
    plans = run.plan.endpoint_plans()
    for deployment, pod in examined(vllm_pods(run), "vLLM Deployments"):
        served = plans[f"{deployment['metadata']['namespace']}/{deployment['metadata']['name']}"]
        model = run.spec.catalog.models.models[served.served_model_name]
        vllm = next(c for c in pod["containers"] if c["name"] == "vllm")
        args, env = vllm["args"], {e["name"]: e.get("value") for e in vllm["env"]}
        mounts = {m["mountPath"] for m in vllm["volumeMounts"]}
        memory = int(vllm["resources"]["limits"]["memory"].removesuffix("Gi")) * 2**30
        if next(v for v in model.variants.values() if v.cache_path == served.model_path).format == "safetensors":
            assert served.weights_path == STREAMER
            assert args[0] == f"gs://{bucket}/{served.model_path}" and "/models" not in mounts
            assert args[args.index("--load-format") + 1] == "runai_streamer"
            assert ("--model-loader-extra-config" in args) == (served.tensor_parallel > 1)
            assert 4 * 2**30 <= int(env["RUNAI_STREAMER_MEMORY_LIMIT"]) <= memory / 2, "a buffer the pod can hold"
            assert int(env["RUNAI_STREAMER_CONCURRENCY"]) >= 16
        else:
            assert served.weights_path == GCSFUSE
            assert args[0] == "/models" and "/models" in mounts and "--load-format" not in args


def test_gcsfuse_volumes_use_documented_attributes_and_a_cache_that_holds_the_weights(run):
    plans = run.plan.endpoint_plans()
    for deployment, pod in examined(vllm_pods(run), "vLLM Deployments"):
        served = plans[f"{deployment['metadata']['namespace']}/{deployment['metadata']['name']}"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for name in ("models", "compile-cache"):
            assert set(volumes[name]["csi"]["volumeAttributes"]) <= FUSE_ATTRIBUTES, name
        models = volumes["models"]["csi"]["volumeAttributes"]
        cache = volumes["compile-cache"]["csi"]
        assert f"only-dir={served.cache_folder}," in cache["volumeAttributes"]["mountOptions"] and not cache["readOnly"]
        if served.weights_path == GCSFUSE:
            assert "file-cache:enable-parallel-downloads:true" in models["mountOptions"]
            assert int(models["fileCacheCapacity"].removesuffix("Gi")) * 2**30 >= served.disk_gib * 2**30
            assert volumes["gke-gcsfuse-cache"]["emptyDir"]["sizeLimit"] > models["fileCacheCapacity"]
        else:
            assert "fileCacheCapacity" not in models and "gke-gcsfuse-cache" not in volumes


def run_script(script: str, **replace: str) -> dict:
    for old, new in replace.items():
        script = script.replace(old, new)
    scope: dict = {}
    exec(script, scope)  # noqa: S102 (the rendered script, pointed at a temporary directory)
    return scope


class StopError(Exception):
    """Ends a script's last loop (it keeps running once its work is done)."""


def test_the_compile_cache_is_saved_once_and_restored(fixture_run, tmp_path, monkeypatch):
    import time
    import urllib.request

    run = fixture_run("prod")
    (deployment, pod), *_ = vllm_pods(run)
    scripts = {c["name"]: c["command"][2] for c in [*pod["initContainers"], *pod["containers"]] if "command" in c}
    saved, first, second = tmp_path / "bucket", tmp_path / "first", tmp_path / "second"
    (first / "vllm/torch_compile_cache/abc/rank_0_0").mkdir(parents=True)
    (first / "vllm/torch_compile_cache/abc/rank_0_0/graph.py").write_text("compiled")
    (first / "triton/kernel").mkdir(parents=True)
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: type("R", (), {"status": 200})())
    monkeypatch.setattr(time, "sleep", lambda _: (_ for _ in ()).throw(StopError()))
    monkeypatch.setenv("POD_NAME", "vllm-abc")
    restore = scripts["restore-compile-cache"]
    run_script(restore, **{"'/compile-cache'": repr(str(saved)), "'/cache'": repr(str(second))})
    assert not second.exists(), "nothing saved yet: this replica compiles"
    with pytest.raises(StopError):  # it keeps running once saved
        run_script(scripts["save-compile-cache"], **{"'/compile-cache'": repr(str(saved)), "'/cache'": repr(str(first))})
    key = saved / run.plan.endpoint_plans()[f"{deployment['metadata']['namespace']}/{deployment['metadata']['name']}"].cache_key
    assert (key / ".complete").read_text() == "vllm-abc\n"
    (first / "vllm/torch_compile_cache/abc/rank_0_0/graph.py").write_text("another replica's")
    monkeypatch.setenv("POD_NAME", "vllm-def")
    with pytest.raises(StopError):  # a second replica finds it saved and writes nothing
        run_script(scripts["save-compile-cache"], **{"'/compile-cache'": repr(str(saved)), "'/cache'": repr(str(first))})
    assert (key / ".complete").read_text() == "vllm-abc\n" and not (key / "vllm-def").exists()
    run_script(restore, **{"'/compile-cache'": repr(str(saved)), "'/cache'": repr(str(second))})
    assert (second / "vllm/torch_compile_cache/abc/rank_0_0/graph.py").read_text() == "compiled"
    assert (second / "triton/kernel").is_dir()


def test_the_startup_probe_sends_a_request_the_way_clients_do(run, monkeypatch):
    import json
    import urllib.request

    sent: list = []

    class Answer:
        def read(self) -> bytes:
            return b""

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: sent.append((request, timeout)) or Answer())
    for _, pod in examined(vllm_pods(run), "vLLM Deployments"):
        vllm = next(c for c in pod["containers"] if c["name"] == "vllm")
        model = vllm["args"][vllm["args"].index("--served-model-name") + 1]
        sent.clear()
        run_script(vllm["startupProbe"]["exec"]["command"][2])
        (request, timeout), = sent
        body = json.loads(request.data)
        assert body["model"] == model and timeout <= vllm["startupProbe"]["timeoutSeconds"]
        embedding = "--runner" in vllm["args"]
        assert request.full_url.endswith("/v1/embeddings" if embedding else "/v1/completions")
        assert embedding or body["max_tokens"] == 1


def test_serving_pods_wait_for_their_compile_cache_folder_and_grant(run):
    assert cache_order_problems(run) == []


def cache_order_problems(run, records=None) -> list[str]:
    records = records if records is not None else run.records
    graph = Graph(records)
    problems = []
    for key, served in examined(run.plan.endpoint_plans().items(), "endpoints"):
        namespace, name = key.split("/")
        # the serving region's models bucket (its DR twin has the same folders, for after a failover)
        folder_record = next(r for r in records if r.type == FOLDER and r.inputs["name"] == served.cache_folder + "/"
                             and not r.name.startswith("buckets-"))
        folder, bucket = folder_record.key, folder_record.inputs["bucket"]
        grants = {r.key for r in records if r.type == FOLDER_GRANT and r.inputs["bucket"] == bucket
                  and r.inputs["member"].endswith(f"/ns/{namespace}/sa/{name}")}
        (deployment,) = [r.key for r in records if r.type == DEPLOYMENT and r.inputs["metadata"]["name"] == name
                         and r.inputs["metadata"].get("namespace") == namespace]
        if not ({folder} | grants) <= graph.waits_for(deployment):
            problems.append(key)
    return problems


def test_the_cache_order_check_finds_a_deployment_that_does_not_wait(fixture_run):
    run = fixture_run("dev")
    cut = [dataclasses.replace(r, dependencies=[]) if r.type == DEPLOYMENT else r for r in run.records]
    cut = [dataclasses.replace(r, parent="") if r.type == DEPLOYMENT else r for r in cut]
    assert cache_order_problems(run, cut)


# --- warm spare nodes -----------------------------------------------------------------------------------------

def placeholder_problems(run) -> list[str]:
    """Pools whose warm spares are not placeholders that hold a whole node and that serving pods preempt."""
    classes = {r.inputs["metadata"]["name"]: r for r in run.by_type(PRIORITY)}
    graph, problems = Graph(run.records), []
    for pool in [p for p in run.spec.env.gpu_pools if p.warm_spares]:
        placeholder = named(run, "Deployment", run.spec.env.inference.namespace, f"warm-{pool.name}")
        pod = placeholder["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        low = classes[pod["priorityClassName"]].inputs
        serving = classes[f"gpu-{pool.accelerator}"]
        checks = {
            "one per spare": placeholder["spec"]["replicas"] == pool.warm_spares,
            "a whole node": container["resources"]["requests"]["nvidia.com/gpu"] == str(gpu_units_per_node(pool)),
            "on its pool": pod["nodeSelector"]["ai-platform/node-pool"] == pool.name,
            "gone at once": pod["terminationGracePeriodSeconds"] == 0,
            "preemptible, above the autoscaler's cutoff": -10 <= low["value"] < serving.inputs["value"],
            "serving preempts": serving.inputs["preemptionPolicy"] == "PreemptLowerPriority",
            "the class is replaced, not updated": {"preemptionPolicy", "value"} <= set(serving.replace_on_changes)
            and serving.delete_before_replace,
            "a free node at rest": run.plan.free_nodes()[pool.name] >= 1,
            "made after its class (a pod naming a missing class is refused)":
                classes[pod["priorityClassName"]].key in graph.waits_for(next(
                    r.key for r in run.by_type(DEPLOYMENT) if r.inputs["metadata"]["name"] == f"warm-{pool.name}"))}
        problems += [f"{pool.name}: {what}" for what, ok in checks.items() if not ok]
    return problems


def test_warm_spares_are_placeholders_that_serving_pods_preempt(run):
    assert placeholder_problems(run) == []


def test_the_fixture_keeps_a_warm_spare_and_the_check_sees_a_class_that_cannot_preempt(fixture_run):
    run = fixture_run("dev")
    assert [p.name for p in run.spec.env.gpu_pools if p.warm_spares] == ["l4"]
    never = [dataclasses.replace(r, inputs={**r.inputs, "preemptionPolicy": "Never"})
             if r.type == PRIORITY and r.inputs["metadata"]["name"] == "gpu-nvidia-l4" else r for r in run.records]
    assert placeholder_problems(dataclasses.replace(run, records=never)) == ["l4: serving preempts"]


def test_warm_spares_are_costed_and_counted_in_the_quota(fixture_spec, config_tree):
    from config import loader

    spec = fixture_spec("dev")
    (pool,) = [p for p in spec.env.gpu_pools if p.warm_spares]
    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: (
        d["gpu_pools"][0].pop("warm_spares"), d["inference"]["endpoints"][1].pop("wake_up_seconds")))
    bare = loader.load("dev", loader.stack_config_from_file("dev", config_tree), config_tree)
    capacity = next(p for p in Plan.of(spec).pool_capacity() if p.name == pool.name)
    low, _ = Plan.of(spec).compute_totals()
    bare_low, _ = compute_totals(bare, Plan.of(bare).rest_nodes())
    assert low - bare_low == pytest.approx(capacity.node_hourly * pool.warm_spares * spec.catalog.prices.hours_per_month)

    def at_rest(s):
        return {n.metric: n.at_rest for n in project_quota.quota_needs(s, Plan.of(s).rest_nodes())}
    metric = f"PREEMPTIBLE_{spec.catalog.accelerators.accelerators[pool.accelerator].quota_metric}"
    grown = {k: v - at_rest(bare).get(k, 0) for k, v in at_rest(spec).items()}
    assert grown.get(metric, grown.get(metric.removeprefix("PREEMPTIBLE_"))) == pool.gpus_per_node * pool.warm_spares


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["gpu_pools"][0].update(warm_spares=3),
     "config/environments/dev.yaml: gpu_pools[0].warm_spares: 3 is more than max_nodes (2)"),
    (lambda d: d["gpu_pools"][0].update(warm_spares=2, min_nodes=0) or d["inference"]["endpoints"][1].update(
        min_replicas=1), "config/environments/dev.yaml: gpu_pools[0].warm_spares: 2 does not fit pool 'l4': its "
                         "minimum replicas hold 1 of its 2 nodes (raise max_nodes to 3 or lower warm_spares)"),
    (lambda d: d["gpu_pools"][0].pop("warm_spares"),
     "config/environments/dev.yaml: inference.endpoints[1].wake_up_seconds: 120 is shorter than a new replica's start "
     "with a new node ("),
    (lambda d: d["inference"]["endpoints"][1].update(wake_up_seconds=40),
     "config/environments/dev.yaml: inference.endpoints[1].wake_up_seconds: 40 is shorter than a new replica's start "
     "even on a warm node ("),
    (lambda d: d["gpu_pools"][1].update(flex_start=True, spot=False, warm_spares=1),
     "config/environments/dev.yaml: gpu_pools[1].warm_spares: 1 cannot be used with flex_start"),
])
def test_warm_capacity_mistakes_are_one_line(config_tree, change, expected):
    edit_yaml(config_tree / "config/environments/dev.yaml", change)
    assert load_error(config_tree, "dev").startswith(expected)


def test_a_wake_up_without_a_free_node_names_the_spare_to_add(config_tree):
    from config import loader

    edit_yaml(config_tree / "config/environments/dev.yaml", lambda d: d["gpu_pools"][0].pop("warm_spares"))
    unchecked = loader.load("dev", loader.stack_config_from_file("dev", config_tree), config_tree, checks=False)
    new = math.ceil(Plan.of(unchecked).cold_starts()["inference/sql"].new_node_seconds)
    assert load_error(config_tree, "dev") == (
        f"config/environments/dev.yaml: inference.endpoints[1].wake_up_seconds: 120 is shorter than a new replica's "
        f"start with a new node ({new} s), and pool 'l4' keeps no free node at rest (set gpu_pools[0].warm_spares: 1 "
        f"in config/environments/dev.yaml, or ask for at least {new})")


@pytest.mark.parametrize(("stack", "key", "row"), [
    ("dev", "alpha/chat", "Llama 3.1 8B bf16 on one L4, `g2-standard-8` (16 Gbps)"),
    ("prod", "alpha/chat", "the same on `g2-standard-24` (32 Gbps)"),
    ("prod", "gamma/llama-70b", "Llama 3.3 70B FP8 on two A100 80GB, `a2-ultragpu-2g` (32 Gbps)")])
def test_the_figures_in_the_docs_are_the_estimates(fixture_spec, stack, key, row):
    from config.loader import ROOT

    start = Plan.of(fixture_spec(stack)).cold_starts()[key]
    (line,) = [line for line in (ROOT / "docs/cold-start.md").read_text().splitlines() if line.startswith(f"| {row} |")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1].startswith(f"{start.warm_seconds:.0f} s") and cells[2].startswith(f"{start.new_node_seconds / 60:.1f} min")


def test_the_new_objects_validate_strictly_on_the_fixture(fixture_run):
    """tests/test_manifests.py validates the real stacks, which keep no warm spare: the fixture's placeholders,
    their class and the serving pods with their cache containers validate here, against Kubernetes 1.33."""
    from review.harness import manifests
    from tests.test_manifests import validate

    run = fixture_run("dev")
    new = [m for m in manifests(run) if m["kind"] == "PriorityClass"
           or (m["kind"] == "Deployment" and m["metadata"]["name"].startswith(("warm-", "chat", "sql", "embed")))]
    assert {m["metadata"]["name"] for m in new} >= {"gpu-placeholder", "warm-l4", "sql"}
    for manifest in new:
        validate(manifest)
