"""How the platform runs GenBI (WrenAI): each part's requests, ports and replicas, and the AI service's
configuration generated from a tenant's endpoints (docs/genbi.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from config.genbi import GenBiCatalog, Pipeline
from config.tenancy import ENDPOINT_PORT, EndpointSpec

# Requests of each part, per replica (CPU cores, memory GiB); the Auth Proxy is the UI's sidecar.
PARTS: dict[str, tuple[float, float]] = {"ui": (0.5, 1.0), "proxy": (0.1, 0.25), "ai": (1.0, 2.0),
                                         "engine": (0.5, 2.0), "ibis": (0.5, 1.0), "qdrant": (0.5, 1.0)}
PORTS = {"ui": 3000, "ai": 5555, "engine": 8080, "ibis": 8000, "qdrant": 6333}  # each image's own
GRACE_SECONDS = 30  # requests in flight finish; the gateway drains the UI as long
# Scaled by an HPA in prod. Only the ibis server holds no state: the UI tracks asking tasks and runs
# its schedulers in process (wren-ui askingTaskTracker), the engine keeps DuckDB state, the AI
# service task results, Qdrant is a single writer; a second replica of those answers wrongly.
STATELESS = ("ibis",)
HA_REPLICAS, MAX_REPLICAS = 2, 4
# The LLM's context: WrenAI trims the schema to context_window_size, then adds its system prompt,
# samples and instructions, and asks for max_tokens: the three must fit vLLM's --max-model-len.
MAX_TOKENS, PROMPT_OVERHEAD, MIN_SCHEMA_TOKENS = 2048, 3000, 2048


def replicas(part: str, prod: bool) -> tuple[int, int]:
    """(minimum, maximum) replicas of a part: the stateless parts run two to four in prod, the rest one."""
    return (HA_REPLICAS, MAX_REPLICAS) if prod and part in STATELESS else (1, 1)


def pod_requests(prod: bool, at_max: bool = True) -> list[tuple[float, float]]:
    """(CPU, memory GiB) of each pod of one GenBI at maximum (or minimum) scale; the UI's pod holds its proxy."""
    out = []
    for part, (cpu, memory) in PARTS.items():
        if part == "proxy":
            continue
        if part == "ui":
            cpu, memory = cpu + PARTS["proxy"][0], memory + PARTS["proxy"][1]
        out += [(cpu, memory)] * replicas(part, prod)[1 if at_max else 0]
    return out


def total_requests(prod: bool, at_max: bool = True) -> tuple[float, float, int]:
    """CPU, memory GiB and pods of one GenBI at maximum (or minimum) scale."""
    pods = pod_requests(prod, at_max)
    return round(sum(c for c, _ in pods), 2), sum(m for _, m in pods), len(pods)


def context_budget(max_model_len: int) -> tuple[int, int]:
    """(context_window_size, max_tokens) for WrenAI on an endpoint of ``max_model_len`` tokens."""
    max_tokens = min(MAX_TOKENS, max_model_len // 4)
    return max_model_len - max_tokens - PROMPT_OVERHEAD, max_tokens


@dataclass(frozen=True)
class ModelEndpoint:
    """An OpenAI-compatible endpoint GenBI calls: its served model name and base URL."""

    model: str
    url: str  # http://<service>.<namespace>.svc.cluster.local:8000/v1
    max_model_len: int


@dataclass(frozen=True)
class GenBiServices:
    """In-cluster base URLs of a GenBI's own services."""

    ui: str
    ibis: str
    engine: str
    qdrant: str


def ai_service_config(catalog: GenBiCatalog, llm: ModelEndpoint, embedder: ModelEndpoint, dimension: int,
                      services: GenBiServices) -> str:
    """wren-ai-service's config.yaml: the tenant's LLM through litellm as ``openai/<served name>``, its
    embedder with the catalog's dimension, the three engines, Qdrant, every pipeline, index kept."""
    context_window, max_tokens = context_budget(llm.max_model_len)
    documents: list[dict[str, Any]] = [
        {"type": "llm", "provider": "litellm_llm", "timeout": 300, "models": [{
            "alias": "default", "model": f"openai/{llm.model}", "api_base": llm.url,
            "api_key_name": "LLM_API_KEY",  # the variable's name: vLLM takes any key, litellm needs one
            "context_window_size": context_window,
            "kwargs": {"max_tokens": max_tokens, "n": 1, "seed": 0, "temperature": 0}}]},
        {"type": "embedder", "provider": "litellm_embedder", "models": [{
            "alias": "default", "model": f"openai/{embedder.model}", "api_base": embedder.url,
            "api_key_name": "EMBEDDER_API_KEY", "timeout": 120}]},
        {"type": "engine", "provider": "wren_ui", "endpoint": services.ui},
        {"type": "engine", "provider": "wren_ibis", "endpoint": services.ibis},
        {"type": "engine", "provider": "wren_engine", "endpoint": services.engine},
        {"type": "document_store", "provider": "qdrant", "location": services.qdrant,
         "embedding_model_dim": dimension, "timeout": 120, "recreate_index": False},
        {"type": "pipeline", "pipes": [pipe(name, p) for name, p in catalog.pipelines.items()]},
        {"settings": dict(catalog.settings)},
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def pipe(name: str, pipeline: Pipeline) -> dict[str, str]:
    out = {"name": name}
    if pipeline.llm:
        out["llm"] = "litellm_llm.default"
    if pipeline.embedder:
        out["embedder"] = "litellm_embedder.default"
    if pipeline.engine:
        out["engine"] = pipeline.engine
    if pipeline.document_store:
        out["document_store"] = "qdrant"
    return out


def model_endpoint(namespace: str, endpoint: EndpointSpec) -> ModelEndpoint:
    """How GenBI reaches an inference endpoint (components/workloads/inference.py serves it on ENDPOINT_PORT)."""
    return ModelEndpoint(model=endpoint.model,
                         url=f"http://{endpoint.name}.{namespace}.svc.cluster.local:{ENDPOINT_PORT}/v1",
                         max_model_len=endpoint.max_model_len)


def service_name(workload: str, part: str) -> str:
    """The Kubernetes Service of one part of a GenBI workload (the UI's is what the gateway routes to)."""
    return f"{workload}-{part}"


def genbi_services(namespace: str, workload: str) -> GenBiServices:
    def url(part: str) -> str:
        return f"http://{service_name(workload, part)}.{namespace}.svc.cluster.local:{PORTS[part]}"

    return GenBiServices(ui=url("ui"), ibis=url("ibis"), engine=url("engine"), qdrant=url("qdrant"))


# Images of each part (keys of config/catalog/versions.yaml).
GENBI_IMAGES = {"ui": "wren-ui", "ai": "wren-ai-service", "engine": "wren-engine", "ibis": "wren-engine-ibis",
                "bootstrap": "wren-bootstrap", "qdrant": "qdrant", "proxy": "cloud-sql-proxy"}
