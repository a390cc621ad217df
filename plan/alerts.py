"""Alert rules as data: what pages whom, generated from each endpoint's plan, its tier's SLO and its SLA.

Managed Prometheus evaluates them (docs/operations.md, ADR 0010). A tenant's rules are a namespaced
``Rules`` object: they see only that namespace's series, the tenant boundary. The platform's are
``ClusterRules`` (GPUs, nodes, pods, volumes, KEDA) and a ``Rules`` object in the shared inference
namespace. Every alert carries ``scope`` (tenant or platform: Alertmanager routes on it and on
``namespace``), ``severity`` (page or ticket) and ``impact`` (capacity alerts from tenants are inhibited
while the platform's capacity alert fires).
"""

from __future__ import annotations

from collections.abc import Iterator

from config.operations import Slo
from config.spec import PlatformSpec
from plan.capacity import replica_hourly
from plan.endpoints import EndpointPlan

# Multi-window, multi-burn-rate alerts on the error budget (Google SRE workbook, "Alerting on SLOs"):
# (long window, short window, burn rate, severity). 14.4 burns 2 % of a 30-day budget in an hour.
BURN_WINDOWS = (("1h", "5m", 14.4, "page"), ("6h", "30m", 6.0, "page"), ("1d", "2h", 3.0, "ticket"),
                ("3d", "6h", 1.0, "ticket"))
FAILED = 'finished_reason="abort"'  # vLLM's aborted requests: timed out, cancelled or failed mid-stream
GPU_MEMORY_CEILING = 0.97  # vLLM claims --gpu-memory-utilization (0.9) of a GPU: more is another process or a leak
GPU_TEMPERATURE_CEILING = 85  # degrees C: L4 and A100 throttle around 87-88
KV_CACHE_CEILING = 0.9
# Recorded every minute by the ClusterRules: Cloud Monitoring alerts when it stops (the rule evaluator is down,
# so no in-cluster alert can fire). components/operations/cloud_alerting.py watches it.
HEARTBEAT = "ai_platform:rule_evaluator_heartbeat"
VOLUME_CEILING = 0.85  # the seeds' disk threshold


def _alert(name: str, expr: str, for_: str, severity: str, scope: str, impact: str, summary: str,
           description: str, **labels: str) -> dict:
    return {"alert": name, "expr": expr, "for": for_,
            "labels": {"severity": severity, "scope": scope, "impact": impact, **labels},
            "annotations": {"summary": summary, "description": description}}


def _window_ratio(job: str, window: str) -> str:
    return (f"sum(rate(vllm:request_success_total{{job=\"{job}\",{FAILED}}}[{window}])) / "
            f"sum(rate(vllm:request_success_total{{job=\"{job}\"}}[{window}]))")


def endpoint_groups(plan: EndpointPlan, slo: Slo, sla: float, scope: str) -> list[dict]:
    """The rule groups of one endpoint (its PodMonitoring's job is the endpoint's name): the SLO's recording
    rules and burn-rate alerts, then latency, capacity and replica alerts."""
    job, tag = plan.name, {"endpoint": plan.name}
    budget = round(1 - sla / 100, 6)
    windows = sorted({w for long, short, _, _ in BURN_WINDOWS for w in (long, short)},
                     key=lambda w: int(w[:-1]) * {"m": 1, "h": 60, "d": 1440}[w[-1]])
    records = [{"record": f"endpoint:vllm_request_failures:ratio_rate{w}", "expr": _window_ratio(job, w),
                "labels": tag} for w in windows]
    burn = [_alert(
        "InferenceErrorBudgetBurn",
        f"endpoint:vllm_request_failures:ratio_rate{long}{{endpoint=\"{job}\"}} > {rate * budget:.6g} and "
        f"endpoint:vllm_request_failures:ratio_rate{short}{{endpoint=\"{job}\"}} > {rate * budget:.6g}",
        "2m" if severity == "page" else "15m", severity, scope, "availability",
        f"{job}: burning its error budget {rate:g}x over {long}",
        f"Failed requests over {long} and {short} use the {sla:g} % SLA's budget {rate:g} times as fast as "
        f"allowed. Check the endpoint's pods, its GPUs and the model server's log.", window=long, **tag)
        for long, short, rate, severity in BURN_WINDOWS]
    quantile = "histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{job=\"{job}\"}}[5m])))"
    alerts = [
        _alert("InferenceTimeToFirstTokenHigh", f"{quantile.format(metric='vllm:time_to_first_token_seconds', job=job)}"
               f" > {slo.ttft_p95_seconds:g}", "10m", "ticket", scope, "latency",
               f"{job}: p95 time to first token above {slo.ttft_p95_seconds:g} s",
               "Requests wait before their first token: a full batch, a long queue or preemption. Compare the "
               "queue and KV-cache alerts; raise max_replicas or peak_concurrency.", **tag),
        _alert("InferenceLatencyHigh", f"{quantile.format(metric='vllm:e2e_request_latency_seconds', job=job)}"
               f" > {slo.latency_p95_seconds:g}", "10m", "ticket", scope, "latency",
               f"{job}: p95 request latency above {slo.latency_p95_seconds:g} s",
               "Whole requests take longer than the tier's target.", **tag),
        _alert("InferenceErrorRatioHigh", f"{_window_ratio(job, '10m')} > {slo.error_ratio:g}", "10m", "page", scope,
               "errors", f"{job}: more than {slo.error_ratio:.0%} of requests fail",
               "Requests are aborted (timeouts, cancellations, failures mid-stream).", **tag),
        _alert("InferenceQueueBacklog", f"sum(vllm:num_requests_waiting{{job=\"{job}\"}}) > {plan.queue_target}",
               "15m", "ticket", scope, "capacity", f"{job}: requests queue for 15 minutes",
               f"More than {plan.queue_target} requests wait although the autoscaler scales on the queue: the "
               f"endpoint is at its maximum ({plan.max_replicas}) or its pool has no room.", **tag),
        _alert("InferenceKvCacheSaturated", f"max(vllm:kv_cache_usage_perc{{job=\"{job}\"}}) > {KV_CACHE_CEILING:g}",
               "15m", "ticket", scope, "capacity", f"{job}: KV cache over {KV_CACHE_CEILING:.0%} for 15 minutes",
               "Long contexts or many sequences fill the KV cache: preemptions follow.", **tag),
        _alert("InferencePreempting", f"sum(rate(vllm:num_preemptions_total{{job=\"{job}\"}}[5m])) > 0", "15m",
               "ticket", scope, "capacity", f"{job}: preempting sequences for 15 minutes",
               "The server evicts running sequences to make room: latency rises for everyone.", **tag),
    ]
    if plan.min_replicas:
        alerts.append(_alert(
            "InferenceReplicasBelowMinimum", f"(count(up{{job=\"{job}\"}} == 1) or vector(0)) < {plan.min_replicas}",
            "10m", "page", scope, "capacity", f"{job}: fewer than {plan.min_replicas} serving replicas",
            "The SLA's minimum is not met: pods pending (GPUs), crash-looping or failing their probes.", **tag))
    return [{"name": f"{job}-slo", "interval": "60s", "rules": records + burn},
            {"name": f"{job}-serving", "interval": "60s", "rules": alerts}]


def tenant_groups(spec: PlatformSpec, plans: dict[str, EndpointPlan], tenant_name: str) -> list[dict]:
    """A tenant's Rules: every one of its own endpoints, on its tier's SLO and its SLA (shared endpoints it
    uses are the platform's), then its GPU spend against its budget."""
    tenant = spec.tenant(tenant_name)
    slo = spec.catalog.tiers.tiers[tenant.tier].slo
    own = {key: serving for key, serving in sorted(plans.items()) if key.startswith(f"{tenant.name}/")}
    groups = [group for serving in own.values() for group in endpoint_groups(serving, slo, tenant.sla, "tenant")]
    if tenant.genbi:
        groups.append(genbi_group())
    if own and tenant.budget:
        groups.append(spend_group(spec, list(own.values()), tenant.budget.monthly))
    return groups


VECTOR_STORE_ERROR_CEILING = 0.05  # the seeds' error-rate threshold


def genbi_group() -> dict:
    """GenBI's vector store (WrenAI's own services export no metrics: the uptime check and the pod alerts cover
    them): Qdrant failing requests. Its PodMonitoring's job is ``<workload>-qdrant``."""
    ratio = ('sum by (job) (rate(rest_responses_fail_total{job=~".+-qdrant"}[10m])) / '
             'sum by (job) (rate(rest_responses_total{job=~".+-qdrant"}[10m]))')
    return {"name": "genbi", "interval": "60s", "rules": [_alert(
        "GenBiVectorStoreErrors", f"{ratio} > {VECTOR_STORE_ERROR_CEILING:g}", "15m", "ticket", "tenant", "errors",
        f"GenBI's vector store fails more than {VECTOR_STORE_ERROR_CEILING:.0%} of requests",
        "Qdrant answers with errors: questions lose their schema context. Check its pod, its volume and its log.")]}


SPEND = "tenant:gpu_spend:dollars_per_hour"


def spend_group(spec: PlatformSpec, serving: list[EndpointPlan], monthly_budget: float) -> dict:
    """The tenant's serving replicas priced by the hour (each its share of its pool's node), and an alert when
    that rate, held for a month, would pass the tenant's budget. Billing budgets see only labelled resources
    (buckets, secrets, the database), not a shared cluster's nodes: this is the GPU side (ADR 0010)."""
    hours = spec.catalog.prices.hours_per_month
    terms = [f'(count(up{{job="{p.name}"}} == 1) or vector(0)) * '
             f"{replica_hourly(spec, p.pool, p.tensor_parallel):.4f}" for p in serving]
    return {"name": "gpu-spend", "interval": "300s", "rules": [
        {"record": SPEND, "expr": " + ".join(terms)},
        _alert("TenantGpuSpendOverBudget", f"{SPEND} * {hours:g} > {monthly_budget:g}", "6h", "ticket", "tenant",
               "cost", f"GPU serving would pass the monthly budget of {monthly_budget:g}",
               f"The endpoints' running replicas, held for a month ({hours:g} h) at the pools' prices, cost more "
               "than the tenant's budget. Lower max_replicas or peak_concurrency, or raise the budget.")]}


def shared_groups(spec: PlatformSpec, plans: dict[str, EndpointPlan]) -> list[dict]:
    """The shared endpoints' Rules (the inference namespace): the platform's, on the strictest tier's SLO."""
    namespace = spec.env.inference.namespace
    slo = min((t.slo for t in spec.catalog.tiers.tiers.values()), key=lambda s: s.ttft_p95_seconds)
    return [group for key, serving in sorted(plans.items()) if key.startswith(f"{namespace}/")
            for group in endpoint_groups(serving, slo, spec.env.inference.sla, "platform")]


def platform_groups(spec: PlatformSpec) -> list[dict]:
    """ClusterRules: GPUs, pods, volumes and the autoscaler, across the cluster. Pods in a tenant's namespace
    alert the tenant (scope tenant); everywhere else, the platform."""
    tenants = "|".join(sorted(t.name for t in spec.tenants)) or "^$"
    gpus = [
        _alert("GpuMemoryExhausted", f"max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + "
               f"DCGM_FI_DEV_FB_FREE)) > {GPU_MEMORY_CEILING:g}", "15m", "ticket", "platform", "capacity",
               "A GPU's memory is full beyond what its model server claims",
               "Another process, or a leak, holds GPU memory: the next replica on it will not start."),
        _alert("GpuTemperatureHigh", f"max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > {GPU_TEMPERATURE_CEILING}",
               "10m", "ticket", "platform", "hardware", f"A GPU runs above {GPU_TEMPERATURE_CEILING} °C",
               "It will throttle; if it persists, cordon the node so GKE replaces it."),
    ]
    pods = [
        _alert("PodsUnschedulable", "sum(kube_pod_status_unschedulable) > 0", "15m", "page", "platform", "capacity",
               "Pods have waited 15 minutes for a node",
               "GPU stockout, quota or a pool at its maximum (see the node-pool alert in Cloud Monitoring). "
               "Tenants' capacity alerts are held back while this fires."),
        *(_alert("PodsCrashLooping", f"sum by (namespace, pod) (kube_pod_container_status_waiting_reason{{"
                 f"reason=\"CrashLoopBackOff\",namespace{op}\"{tenants}\"}}) > 0", "15m", severity, scope,
                 "availability", "A pod keeps crashing", "kubectl -n <namespace> logs <pod> --previous")
          for op, scope, severity in (("=~", "tenant", "ticket"), ("!~", "platform", "page"))),
        *(_alert("PodsStuckStarting", f"sum by (namespace, pod) (kube_pod_container_status_waiting_reason{{"
                 f"reason=\"ContainerCreating\",namespace{op}\"{tenants}\"}}) > 0", "15m", "ticket", scope,
                 "availability", "A pod has not started in 15 minutes",
                 "Usually a volume that does not mount: a Secret Manager secret the pod may not read, a model "
                 "folder without weights. kubectl -n <namespace> describe pod <pod>")
          for op, scope in (("=~", "tenant"), ("!~", "platform"))),
        _alert("VolumeFilling", "max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes / "
               f"kubelet_volume_stats_capacity_bytes) > {VOLUME_CEILING:g}", "15m", "ticket", "platform", "capacity",
               f"A volume is over {VOLUME_CEILING:.0%} full", "Expand the claim (the classes allow expansion)."),
    ]
    autoscaling = [
        _alert("KedaScalerErrors", "sum by (namespace, scaledObject) (rate(keda_scaler_detail_errors_total[5m])) > 0",
               "15m", "page", "platform", "capacity", "KEDA cannot read an endpoint's queue",
               "The endpoint no longer scales: check the operator's Monitoring grant and its log."),
        _alert("KedaScaledObjectErrors", "sum by (namespace, scaledObject) (rate(keda_scaled_object_errors_total[5m])) "
               "> 0", "15m", "ticket", "platform", "capacity", "A ScaledObject keeps failing",
               "kubectl -n <namespace> describe scaledobject <name>"),
    ]
    groups = [{"name": "heartbeat", "interval": "60s", "rules": [{"record": HEARTBEAT, "expr": "vector(1)"}]},
              {"name": "gpus", "interval": "60s", "rules": gpus},
              {"name": "pods-and-volumes", "interval": "60s", "rules": pods},
              {"name": "autoscaling", "interval": "60s", "rules": autoscaling}]
    if spec.env.entry and spec.env.entry.inference_gateway:
        groups.append({"name": "inference-gateway", "interval": "60s", "rules": [_alert(
            "InferencePoolWithoutReadyPods", "min by (name) (inference_pool_ready_pods) < 1", "5m", "page", "platform",
            "availability", "An InferencePool has no ready model server",
            "The endpoint picker routes nowhere: the exposed endpoint answers 503.")]})
    return groups


def expressions(groups: list[dict]) -> Iterator[str]:
    for group in groups:
        for rule in group["rules"]:
            yield rule["expr"]
