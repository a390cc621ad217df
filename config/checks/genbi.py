"""Checks of GenBI workloads: each has a generation and an embedding endpoint it may use, of the right kind."""

from __future__ import annotations

from config.checks.common import fail, tenant_file
from config.errors import ConfigError
from config.spec import PlatformSpec
from config.tenancy import GenBiWorkload
from plan import Plan
from plan.genbi import MAX_TOKENS, MIN_SCHEMA_TOKENS, PROMPT_OVERHEAD, context_budget

ARTICLE = {"generation": "a", "embedding": "an"}


def genbi(spec: PlatformSpec) -> None:
    models = spec.catalog.models.models
    for tenant in spec.tenants:
        for i, workload in enumerate(tenant.workloads):
            if not isinstance(workload, GenBiWorkload):
                continue
            llm, embedder = Plan.of(spec).genbi_endpoints(tenant, workload)
            own = [w.name for w in tenant.workloads if w.kind == "inference"]
            usable = own + [e.name for e in spec.env.inference.endpoints if e.name in tenant.uses]
            shared = [e.name for e in spec.env.inference.endpoints]
            for field, found, kind in (("llm", llm, "generation"), ("embedder", embedder, "embedding")):
                named = getattr(workload, field)
                available = (f"in stack {spec.stack} (its own or shared ones in `uses`: {', '.join(usable) or 'none'}; "
                             f"shared here: {', '.join(shared) or 'none'})")
                if found is None and named is None:
                    raise ConfigError(tenant_file(tenant.name), f"workloads[{i}]",
                                      f"GenBI needs {ARTICLE[kind]} {kind} endpoint and this tenant may use none "
                                      f"{available}: add one to `uses` or name one in `{field}`")
                if found is None:
                    raise fail(tenant_file(tenant.name), ("workloads", i, field), named,
                               f"is no endpoint this tenant may use {available}")
                model = models[found[1].model]
                if kind == "generation" and context_budget(found[1].max_model_len)[0] < MIN_SCHEMA_TOKENS:
                    raise fail(tenant_file(tenant.name), ("workloads", i, field), named or found[1].name,
                               f"serves {found[1].max_model_len} tokens of context: WrenAI needs room for its "
                               f"prompt, the schema and the answer; give that endpoint max_model_len "
                               f"{MIN_SCHEMA_TOKENS + PROMPT_OVERHEAD + MAX_TOKENS} or more (16384 recommended)")
                if model.kind != kind:
                    raise fail(tenant_file(tenant.name), ("workloads", i, field), named,
                               f"serves {found[1].model}, {ARTICLE[model.kind]} {model.kind} model: GenBI needs "
                               f"{ARTICLE[kind]} {kind} model here")
