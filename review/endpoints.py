"""The review's inference endpoints table: what sizing chose, what it costs and how fast a replica starts."""

from __future__ import annotations

from plan.coldstart import cold_start
from review.harness import StackRun
from review.markdown import money, table


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def endpoints_section(run: StackRun) -> str:
    spec = run.spec
    served = spec.inference_endpoints()
    if not served:
        return "## Inference endpoints\n\nThis stack serves no model.\n"
    hours = spec.catalog.prices.hours_per_month
    rows, starts, rejected = [], [], []
    for namespace, endpoint, sla in served:
        sizing = run.plan.sizing(endpoint, sla)
        chosen, unit = sizing.chosen, sizing.chosen.unit
        start = cold_start(spec, endpoint, sizing)
        name = f"`{namespace}/{endpoint.name}`"
        units_min, units_max = chosen.tp * sizing.min_replicas, chosen.tp * sizing.max_replicas
        rows.append([
            name, f"`{endpoint.model}`", endpoint.dtype, f"`{unit.pool}`: {unit.describe}", chosen.tp,
            f"{sizing.min_replicas}–{sizing.max_replicas}", f"{chosen.sequences} × {endpoint.max_model_len:,}",
            f"{units_min * hours:,.0f} → {units_max * hours:,.0f}",
            f"{money(unit.hourly * units_min * hours)} → {money(unit.hourly * units_max * hours)}",
            _minutes(start.total)])
        starts.append([name, _minutes(start.node), f"{_minutes(start.image)} ({start.image_path})",
                       f"{sizing.weights_gib:.1f} GiB: {_minutes(start.weights)}", _minutes(start.warmup),
                       f"{start.probe_budget} s"])
        rejected += [[name, f"`{o.unit.pool}`: {o.unit.describe}", o.tp, money(o.unit.hourly * o.tp * hours), o.reason]
                     for o in sizing.rejected]
    figures = spec.catalog.serving
    sources = "\n".join(f"- {label}: {figure.value:g} — {figure.source}" for label, figure in (
        ("vLLM image, GB compressed", figures.image_gb), ("whole-image pull, MB/s", figures.image_pull_mb_s),
        ("preloaded image (secondary boot disk), s", figures.image_preloaded_seconds),
        ("GCS FUSE weights, GB/s per node", figures.weights_gb_s), ("engine warm-up, s", figures.warmup_seconds),
        ("warm-up per 10 B parameters, s", figures.warmup_seconds_per_10b),
        ("GPU node scale-up, s", figures.node_seconds)))
    out = ("## Inference endpoints\n\n"
           + table(["endpoint", "model", "dtype", "shape", "TP", "replicas", "sequences × tokens per replica",
                    "GPU-hours / month (min → max)", "monthly (min → max)", "cold start"], rows)
           + "\nSized by `config/sizing.py`: weights + KV cache of `max_model_len` for each concurrent sequence + "
             "runtime overhead within GPU memory × utilisation × TP; the cheapest pool and TP for the peak. "
             "Minimum replicas follow the SLA (dev: zero where the pool scales to zero, running in working hours); "
             "KEDA scales on queue depth between them. These GPU hours run on the pools above and are part of their "
             "maximum cost, not of the pools' minimum.\n\n"
           + "### Cold start of one replica\n\n"
           + table(["endpoint", "node", "image", "weights (GCS FUSE)", "warm-up", "startup probe budget"], starts)
           + "\nThe image caches are CMEK-encrypted, which GKE's image streaming does not serve: images are pulled "
             "whole unless the pool preloads them on a secondary boot disk. The startup probe allows twice the "
             "weights and warm-up time (at least 5 minutes). Figures used:\n\n" + sources + "\n")
    if rejected:
        out += ("\n### Cheaper shapes rejected\n\n"
                + table(["endpoint", "shape", "TP", "per replica / month", "why not"], rejected))
    return out
