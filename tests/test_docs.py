"""Layer 7: usage shown in the docs is executed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from config import loader
from config.loader import ROOT
from plan import Plan


def yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.S)


def test_gpu_pool_example_in_the_docs_is_valid(real_tree):
    config_tree = real_tree
    block = next(b for b in yaml_blocks(ROOT / "docs/platform.md") if "gpu_pools" in b)
    pool = yaml.safe_load(block.split("\n", 1)[1])[0]  # drop the comment line naming the file
    path = config_tree / "config/environments/prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["gpu_pools"].append(pool)
    path.write_text(yaml.safe_dump(data))
    prices = config_tree / "config/catalog/prices.yaml"
    catalog = yaml.safe_load(prices.read_text())
    catalog["regions"]["us-central1"]["machines"].setdefault(pool["machine_type"], {"on_demand": 1, "spot": 1})
    prices.write_text(yaml.safe_dump(catalog))
    spec = loader.load("prod", loader.stack_config_from_file("prod", config_tree), config_tree)
    assert pool["name"] in {p.name for p in spec.env.gpu_pools}


def test_inference_docs_example_model_and_endpoint_load_and_size(real_tree):
    """docs/inference.md: the model entry added to the catalog, the endpoint to a tenant on every stack."""
    blocks = yaml_blocks(ROOT / "docs/inference.md")
    model = next(yaml.safe_load(b) for b in blocks if "display_name" in b)
    (endpoint,) = next(yaml.safe_load(b) for b in blocks if b.startswith("- kind: inference"))
    catalog = real_tree / "config/catalog/models.yaml"
    data = yaml.safe_load(catalog.read_text())
    data["models"].update(model)
    catalog.write_text(yaml.safe_dump(data))
    tenant = real_tree / "config/tenants/globex-analytics.yaml"
    data = yaml.safe_load(tenant.read_text())
    data["workloads"].append(endpoint)
    tenant.write_text(yaml.safe_dump(data))
    for stack in ("dev", "staging", "prod"):
        spec = loader.load(stack, loader.stack_config_from_file(stack, real_tree), real_tree)
        (globex,) = [t for t in spec.tenants if t.name == "globex-analytics"]
        workload = next(w for w in globex.workloads if w.name == endpoint["name"])
        assert Plan.of(spec).sizing(workload, globex.sla).chosen.unit.accelerator == "nvidia-l4", stack


def test_inference_docs_declaration_matches_the_endpoint_fields():
    """The documented tenant declaration parses as an inference workload (comments are the optional fields)."""
    from config.tenancy import InferenceWorkload

    block = next(b for b in yaml_blocks(ROOT / "docs/inference.md") if b.startswith("workloads:"))
    (workload,) = yaml.safe_load(block)["workloads"]
    InferenceWorkload.model_validate(workload)
    optional = set(re.findall(r"^    # (\w+): \S", block, flags=re.M))
    assert optional == {"min_replicas", "max_replicas", "accelerators", "tensor_parallel", "wake_up_seconds"}
    assert optional <= set(InferenceWorkload.model_fields)


def test_entry_docs_examples_load(real_tree):
    """docs/entry.md: its `entry` section and its tenant fields, in a copy of the real tree."""
    blocks = yaml_blocks(ROOT / "docs/entry.md")
    entry = next(yaml.safe_load(b) for b in blocks if b.startswith("entry:"))["entry"]
    tenant_fields = next(yaml.safe_load(b) for b in blocks if b.startswith("expose:"))
    env = real_tree / "config/environments/prod.yaml"
    data = yaml.safe_load(env.read_text())
    data["entry"] = entry
    env.write_text(yaml.safe_dump(data))
    tenant = real_tree / "config/tenants/acme-research.yaml"
    data = yaml.safe_load(tenant.read_text())
    data.update(tenant_fields)
    tenant.write_text(yaml.safe_dump(data))
    spec = loader.load("prod", loader.stack_config_from_file("prod", real_tree), real_tree)
    acme = spec.tenant("acme-research")
    assert spec.env.entry.hostname(acme.name, acme.expose[0]) == "chat.acme-research.ai.example.com"


def diagrams() -> dict[str, str]:
    """The three places that list the components: README's diagram, __main__'s docstring, the architecture's."""
    readme = (ROOT / "README.md").read_text()
    architecture = (ROOT / "docs/architecture.md").read_text()
    main = (ROOT / "__main__.py").read_text()
    return {"README.md": readme.split("```mermaid", 1)[1].split("```", 1)[0],
            "__main__.py": main.split('"""', 2)[1],
            "docs/architecture.md": architecture.split("## 1. Layers", 1)[1].split("```", 2)[1]}


NOT_COMPONENTS = {"PlatformSpec", "Plan", "Pulumi", "N", "DR", "KEDA", "IAP", "WrenAI", "GenBI", "Filestore",
                  "StorageClasses", "Cilium", "Cloud", "Armor", "Binary", "Authorization", "Jobs", "Rules",
                  "ClusterRules", "Alertmanager", "Inference", "Gateway", "CPU", "GPU", "Secrets"}


def test_the_diagrams_list_the_components_the_code_registers(stack_run, fixture_run):
    """Every component type some stack registers is in each diagram, and each diagram names no other."""
    registered = {r.type.rsplit(":", 1)[1] for run in [*(stack_run(s) for s in ("dev", "staging", "prod")),
                                                       *(fixture_run(s) for s in ("dev", "staging", "prod"))]
                  for r in run.records if not r.custom and r.type.startswith("ai-platform:")}
    assert len(registered) > 25
    for where, text in diagrams().items():
        words = set(re.findall(r"\b[A-Z][A-Za-z]+\b", text))
        assert registered <= words, f"{where} lacks {sorted(registered - words)}"
        camel = {w for w in words if re.search(r"[a-z][A-Z]", w)}
        assert camel - registered - NOT_COMPONENTS == set(), f"{where} names {sorted(camel - registered)}"


def test_every_link_in_the_docs_resolves_inside_the_repository():
    """Nothing in the repository links outside it; every relative link names a file that exists."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            assert not re.match(r"^[a-z]+:", target), f"{page.relative_to(ROOT)} links outside: {target}"
            assert (page.parent / target).resolve().exists(), f"{page.relative_to(ROOT)}: {target} does not exist"


def test_cold_start_docs_warm_spare_example_loads_and_meets_its_wake_up(real_tree):
    """docs/cold-start.md: the warm spare and the wake-up it buys, in a copy of the real dev environment."""
    example = next(yaml.safe_load(b) for b in yaml_blocks(ROOT / "docs/cold-start.md") if "warm_spares" in b)
    env = real_tree / "config/environments/dev.yaml"
    data = yaml.safe_load(env.read_text())
    (pool,) = example["gpu_pools"]
    data["gpu_pools"] = [pool if p["name"] == pool["name"] else p for p in data["gpu_pools"]]
    (endpoint,) = example["inference"]["endpoints"]
    data["inference"]["endpoints"] = [endpoint if e["name"] == endpoint["name"] else e
                                      for e in data["inference"]["endpoints"]]
    env.write_text(yaml.safe_dump(data))
    plan = Plan.of(loader.load("dev", loader.stack_config_from_file("dev", real_tree), real_tree))
    assert plan.free_nodes()[pool["name"]] == pool["warm_spares"]
    assert plan.new_replica_seconds(f"inference/{endpoint['name']}") <= endpoint["wake_up_seconds"]


def test_cold_start_docs_versions_example_is_the_catalog(real_tree):
    """docs/cold-start.md shows the catalog's own vLLM pin and disk image."""
    block = next(yaml.safe_load(b) for b in yaml_blocks(ROOT / "docs/cold-start.md") if "preload" in b)
    catalog = yaml.safe_load((ROOT / "config/catalog/versions.yaml").read_text())
    shown = block["images"]["vllm"]
    assert {k: catalog["images"]["vllm"][k] for k in shown} == shown
