"""Cloud Monitoring dashboards as data: the platform's overview and one view per tenant (PromQL charts).

Cloud Monitoring grants access per project, not per namespace: these dashboards are the platform
team's (a tenant's own view filters to its namespace but is not a boundary). Tenants see their alerts
and their logs (ADR 0010).
"""

from __future__ import annotations

import json

from config.spec import PlatformSpec
from plan.endpoints import EndpointPlan

COLUMNS, HEIGHT = 48, 16


def chart(title: str, queries: dict[str, str], unit: str = "") -> dict:
    """An XY chart of PromQL queries (legend name -> query)."""
    return {"title": title, "xyChart": {
        "dataSets": [{"timeSeriesQuery": {"prometheusQuery": query, "unitOverride": unit},
                      "plotType": "LINE", "legendTemplate": legend, "minAlignmentPeriod": "60s"}
                     for legend, query in queries.items()],
        "yAxis": {"scale": "LINEAR"}}}


def layout(title: str, widgets: list[dict]) -> str:
    """A mosaic of two charts per row, as the dashboard_json Cloud Monitoring takes."""
    width = COLUMNS // 2
    tiles = [{"xPos": (i % 2) * width, "yPos": (i // 2) * HEIGHT, "width": width, "height": HEIGHT, "widget": w}
             for i, w in enumerate(widgets)]
    return json.dumps({"displayName": title, "mosaicLayout": {"columns": COLUMNS, "tiles": tiles}}, sort_keys=True)


def _gpu_cost_rate(spec: PlatformSpec) -> dict[str, str]:
    """Per accelerator: GPUs reporting DCGM metrics times their on-demand price (with the machine's share)."""
    prices, out = spec.catalog.prices.regions[spec.region], {}
    for pool in spec.env.gpu_pools:
        gpu = spec.catalog.accelerators.accelerators[pool.accelerator]
        hourly = prices.machines[pool.machine_type].on_demand / pool.gpus_per_node + prices.gpus[pool.accelerator].on_demand
        out.setdefault(gpu.display_name, f'count(DCGM_FI_DEV_GPU_UTIL{{modelName="{gpu.display_name}"}}) * {hourly:.4f}')
    return out


def platform_dashboard(spec: PlatformSpec, cluster: str, plans: dict[str, EndpointPlan]) -> str:
    at = f'cluster="{cluster}"'
    jobs = "|".join(sorted({p.name for p in plans.values()})) or "^$"
    widgets = [
        chart("GPU utilisation by accelerator", {"${labels.modelName}": f"avg by (modelName) (DCGM_FI_DEV_GPU_UTIL{{{at}}})"}, "%"),
        chart("GPU memory used by accelerator", {"${labels.modelName}": (
            f"avg by (modelName) (DCGM_FI_DEV_FB_USED{{{at}}} / (DCGM_FI_DEV_FB_USED{{{at}}} + DCGM_FI_DEV_FB_FREE{{{at}}}))")},
            "10^2.%"),
        chart("Hottest GPU by accelerator", {"${labels.modelName}": f"max by (modelName) (DCGM_FI_DEV_GPU_TEMP{{{at}}})"}, "Cel"),
        chart("GPU cost rate (on-demand, $/h)", _gpu_cost_rate(spec) or {"none": "vector(0)"}),
        chart("Serving replicas by namespace", {"${labels.namespace}/${labels.job}": (
            f'count by (namespace, job) (up{{{at},job=~"{jobs}"}} == 1)')}),
        chart("Pods waiting for a node", {"unschedulable": f"sum(kube_pod_status_unschedulable{{{at}}})"}),
        chart("Requests waiting, by endpoint", {"${labels.namespace}/${labels.job}": (
            f"sum by (namespace, job) (vllm:num_requests_waiting{{{at}}})")}),
        chart("KEDA scaler errors", {"${labels.namespace}/${labels.scaledObject}": (
            f"sum by (namespace, scaledObject) (rate(keda_scaler_detail_errors_total{{{at}}}[5m]))")}),
    ]
    return layout(f"{spec.env.prefix}-{spec.environment} platform", widgets)


def tenant_dashboard(spec: PlatformSpec, cluster: str, tenant: str, plans: dict[str, EndpointPlan]) -> str:
    ns = f'cluster="{cluster}",namespace="{tenant}"'
    widgets = []
    for key, serving in sorted(plans.items()):
        if not key.startswith(f"{tenant}/"):
            continue
        job = f'{ns},job="{serving.name}"'
        quantile = "histogram_quantile({q}, sum by (le) (rate({m}_bucket{{" + job + "}}[5m])))"
        widgets += [
            chart(f"{serving.name}: requests per second by outcome", {"${labels.finished_reason}": (
                f"sum by (finished_reason) (rate(vllm:request_success_total{{{job}}}[5m]))")}),
            chart(f"{serving.name}: time to first token", {
                f"p{int(q * 100)}": quantile.format(q=q, m="vllm:time_to_first_token_seconds") for q in (0.5, 0.95)}, "s"),
            chart(f"{serving.name}: request latency", {
                f"p{int(q * 100)}": quantile.format(q=q, m="vllm:e2e_request_latency_seconds") for q in (0.5, 0.95)}, "s"),
            chart(f"{serving.name}: queue, KV cache, replicas", {
                "waiting": f"sum(vllm:num_requests_waiting{{{job}}})",
                "KV cache": f"max(vllm:kv_cache_usage_perc{{{job}}})",
                "replicas": f"count(up{{{job}}} == 1)"}),
        ]
    if any(True for t in spec.tenants if t.name == tenant and t.genbi):
        widgets.append(chart("GenBI: Qdrant requests by outcome", {
            "all": f"sum(rate(rest_responses_total{{{ns}}}[5m]))",
            "failed": f"sum(rate(rest_responses_fail_total{{{ns}}}[5m]))"}))
    widgets.append(chart("Pods not running", {"${labels.reason}": (
        f"sum by (reason) (kube_pod_container_status_waiting_reason{{{ns}}})")}))
    return layout(f"{spec.env.prefix}-{spec.environment} tenant {tenant}", widgets)


def queries(dashboard_json: str) -> list[str]:
    """Every PromQL query of a dashboard (for the tests: each parses and names catalogued metrics only)."""
    tiles = json.loads(dashboard_json)["mosaicLayout"]["tiles"]
    return [d["timeSeriesQuery"]["prometheusQuery"] for t in tiles for d in t["widget"]["xyChart"]["dataSets"]]
