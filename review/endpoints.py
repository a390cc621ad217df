"""The review's inference endpoints: what sizing chose and what it costs, then how fast a new replica serves
(plan/coldstart.py, docs/cold-start.md): term by term with its figures' sources, which pools preload the serving
image, and the warm spare nodes that keep a start off a new node."""

from __future__ import annotations

from plan.capacity import pools
from plan.coldstart import preload
from review.harness import StackRun
from review.markdown import duration, money, table


def _seconds(seconds: float) -> str:
    return f"{seconds:.0f} s"


def endpoints_section(run: StackRun) -> str:
    spec = run.spec
    served = spec.inference_endpoints()
    if not served:
        return "## Inference endpoints\n\nThis stack serves no model.\n"
    hours = spec.catalog.prices.hours_per_month
    rows, rejected = [], []
    for namespace, endpoint, sla in served:
        sizing = run.plan.sizing(endpoint, sla)
        chosen, unit = sizing.chosen, sizing.chosen.unit
        name = f"`{namespace}/{endpoint.name}`"
        units_min, units_max = chosen.tp * sizing.min_replicas, chosen.tp * sizing.max_replicas
        rows.append([
            name, f"`{endpoint.model}`", endpoint.dtype, f"`{unit.pool}`: {unit.describe}", chosen.tp,
            f"{sizing.min_replicas}–{sizing.max_replicas}", f"{chosen.sequences} × {endpoint.max_model_len:,}",
            f"{units_min * hours:,.0f} → {units_max * hours:,.0f}",
            f"{money(unit.hourly * units_min * hours)} → {money(unit.hourly * units_max * hours)}",
            duration(run.plan.new_replica_seconds(f"{namespace}/{endpoint.name}"))])
        rejected += [[name, f"`{o.unit.pool}`: {o.unit.describe}", o.tp, money(o.unit.hourly * o.tp * hours), o.reason]
                     for o in sizing.rejected]
    out = ("## Inference endpoints\n\n"
           + table(["endpoint", "model", "dtype", "shape", "TP", "replicas", "sequences × tokens per replica",
                    "GPU-hours / month (min → max)", "monthly (min → max)", "new replica"], rows)
           + "\nSized by `config/sizing.py`: weights + KV cache of `max_model_len` for each concurrent sequence + "
             "runtime overhead within GPU memory × utilisation × TP; the cheapest pool and TP for the peak. "
             "Minimum replicas follow the SLA (dev: zero where the pool scales to zero, running in working hours); "
             "KEDA scales on queue depth between them. These GPU hours run on the pools above and are part of their "
             "maximum cost, not of the pools' minimum. *New replica*: what the next replica takes now, on a free "
             "node where its pool keeps one at rest, else with a new node (below).\n\n")
    out += cold_start_section(run) + preload_section(run) + warm_spares_section(run)
    if rejected:
        out += ("\n### Cheaper shapes rejected\n\n"
                + table(["endpoint", "shape", "TP", "per replica / month", "why not"], rejected))
    return out


def cold_start_section(run: StackRun) -> str:
    spec, plan = run.spec, run.plan
    starts, plans, free = plan.cold_starts(), plan.endpoint_plans(), plan.free_nodes()
    rows = []
    for namespace, endpoint, _ in spec.inference_endpoints():
        key = f"{namespace}/{endpoint.name}"
        start, served = starts[key], plans[key]
        asked = endpoint.wake_up_seconds
        rows.append([
            f"`{key}`", _seconds(start.node.seconds),
            *(f"{_seconds(t.seconds)} ({t.how})" if t.name in ("image", "weights") else _seconds(t.seconds)
              for t in start.terms),
            f"**{_seconds(start.warm_seconds)}**", f"**{duration(start.new_node_seconds)}**",
            "warm node" if free[served.pool] else "new node", _seconds(asked) if asked else "-",
            f"{start.probe_budget} s"])
    figures = spec.catalog.serving
    keys = [*dict.fromkeys(k for s in starts.values() for k in s.figures), "compile_seconds"]
    sources = "\n".join(f"- `{k}` = {getattr(figures, k).value:g}: {getattr(figures, k).source}" for k in keys)
    return ("### Cold start of one replica\n\n"
            + table(["endpoint", "new node", "pod", "image", "weights", "engine", "on a warm node",
                     "with a new node", "now", "wake-up asked", "startup probe budget"], rows)
            + "\nA new node (the autoscaler's reaction, then a GPU node) only when the pool has no free node; then the "
              "pod (sidecar, weights marker, compile cache restore), the image, the weights and the engine (process, "
              "cached compile, CUDA graphs, the warm-up request the startup probe sends before the pod is ready). "
              "*Now*: whether the pool keeps a free node at rest (warm spares or nodes its minimum keeps). The startup "
              "probe allows twice the weights, engine and a first compile (the first replica of a vLLM version, model, "
              f"GPU and flags compiles: {figures.compile_seconds.value:g} s), at least 5 minutes. Where every node is "
              f"new (a region failover, a replaced pool), serving is back after **{duration(plan.recovery_seconds())}** "
              "(the slowest endpoint; `Plan.recovery_seconds`, the DR runbook's RTO). Figures "
              "(`config/catalog/serving.yaml`, docs/cold-start.md):\n\n" + sources + "\n")


def preload_section(run: StackRun) -> str:
    spec, plans = run.spec, run.plan.endpoint_plans()
    rows = []
    for pool in spec.env.gpu_pools:
        served = [f"`{key}`" for key, p in plans.items() if p.pool == pool.name]
        found = preload(spec, pool)
        rows.append([f"`{pool.name}`", ", ".join(served) or "-",
                     f"preloaded: `{found.disk_image}` ({found.why})" if found.disk_image else f"pulled whole: {found.why}"])
    return ("\n### Serving image on the nodes\n\n" + table(["GPU pool", "serves", "vLLM image"], rows)
            + "\nA preloading pool's nodes get a secondary boot disk (CONTAINER_IMAGE_CACHE) cloned from the disk image, "
              "built from the pinned tag by gke-disk-image-builder in this project (`python -m review.preload "
              f"{run.stack}`); the pool waits for the disk image, and a new disk image replaces the pool. A pool that "
              "pulls downloads the whole image on every new node (the image caches are CMEK-encrypted, which image "
              "streaming does not serve). Not verifiable offline: that the preloaded layers serve an image pulled "
              "through those CMEK caches; the kubelet's `Pulled` event on the first node says (docs/cold-start.md).\n")


def warm_spares_section(run: StackRun) -> str:
    spec, plan = run.spec, run.plan
    free = plan.free_nodes()
    capacity = {p.name: p for p in pools(spec, plan.rest_nodes())}
    asked = {}
    for key, served in plan.endpoint_plans().items():
        endpoint = next(e for ns, e, _ in spec.inference_endpoints() if f"{ns}/{e.name}" == key)
        if endpoint.wake_up_seconds:
            asked.setdefault(served.pool, []).append(f"`{key}` ({endpoint.wake_up_seconds} s)")
    rows = [[f"`{pool.name}`", pool.warm_spares, free[pool.name],
             money(capacity[pool.name].node_hourly * pool.warm_spares * spec.catalog.prices.hours_per_month),
             ", ".join(asked.get(pool.name, [])) or "-"] for pool in spec.env.gpu_pools]
    return ("\n### Warm spare nodes\n\n" + table(["GPU pool", "warm spares", "free nodes at rest", "spares per month",
                                                  "wake-ups asked"], rows)
            + "\nA warm spare is a node held by a low-priority placeholder pod (`gpu-placeholder`, ADR 0019) that a new "
              "replica preempts; the autoscaler then adds a node for the placeholder. Spares are counted in the pools' "
              "nodes at rest above, in the quota at rest and in the README's costs.\n")
