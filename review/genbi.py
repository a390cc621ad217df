"""The review's GenBI table: per tenant, which models WrenAI runs on, where it keeps its state, where
it is reached and what it costs."""

from __future__ import annotations

from config.naming import sql_name
from plan.genbi import total_requests
from review.harness import StackRun
from review.markdown import money, table


def monthly_share(run: StackRun, pool_machine: str, prod: bool) -> float:
    """What one GenBI's requests at minimum scale take of the tenant pool's nodes, at the on-demand price:
    the larger of its CPU and memory shares of the shape (the pool's cost, not added to it)."""
    spec = run.spec
    vcpus, memory = spec.machine_shapes[pool_machine]
    cpu, mem, _ = total_requests(prod, at_max=False)
    prices = spec.catalog.prices
    hourly = prices.regions[spec.region].machines[pool_machine].on_demand
    return max(cpu / vcpus, mem / memory) * hourly * prices.hours_per_month


def genbi_section(run: StackRun) -> str:
    spec = run.spec
    rows = []
    pool = spec.env.tenant_pool or spec.env.cpu_pools[0]
    prices = spec.catalog.prices.regions[spec.region]
    instance = next(r.inputs["name"] for r in run.by_type("gcp:sql/databaseInstance:DatabaseInstance"))
    models = spec.catalog.models.models
    for tenant in spec.tenants:
        for w in tenant.genbi:
            (llm_ns, llm), (embed_ns, embedder) = run.plan.genbi_endpoints(tenant, w)
            url = (run.exports.get("public_urls") or {}).get(f"{tenant.name}/{w.name}", "in-cluster only (no entry)")
            compute = monthly_share(run, pool.machine_type, spec.environment == "prod")
            volume = w.storage_gi * prices.pd_balanced_gb_month
            rows.append([
                f"`{tenant.name}/{w.name}`", f"`{llm_ns}/{llm.name}`: {llm.model}",
                f"`{embed_ns}/{embedder.name}`: {embedder.model} ({models[embedder.model].embedding_dim} dims)",
                f"`{instance}` / `{sql_name(tenant.name)}` (Auth Proxy)",
                f"{w.storage_gi} GiB `balanced-cmek`", url,
                ", ".join(f"{d.name} {d.host}:{d.port}" for d in w.data_sources) or "none yet",
                f"{money(compute)} of pool `{pool.name}` + {money(volume)} volume"])
    if not rows:
        return "## GenBI\n\nNo tenant runs GenBI on this stack.\n"
    return ("## GenBI\n\n" + table(["GenBI", "LLM", "embedder", "metadata database", "Qdrant volume", "URL",
                                    "data sources", "monthly"], rows)
            + "\nWrenAI (UI, AI service, engine, ibis server, Qdrant) per tenant, on the endpoints above, "
              "exposed behind IAP (docs/genbi.md). Monthly: its requests at minimum scale as a share of the "
              "tenant pool's on-demand price (already part of the pool's cost) plus the Qdrant disk; the model "
              "endpoints are priced in their own table.\n")
