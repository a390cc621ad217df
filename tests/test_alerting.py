"""Alerting in the cluster: the rules managed Prometheus evaluates and the managed Alertmanager's routing.

Checked with the real tools: promtool parses every rule group and runs unit tests that make each alert
fire and stay quiet; amtool checks the Alertmanager configuration and tests its routes; every PromQL
string the program renders (rules, dashboards, Cloud Monitoring conditions, KEDA triggers) is parsed
with promql-parser and may name only metrics in config/catalog/metrics.yaml.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import promql_parser
import pytest
import yaml

from plan import Plan, alertmanager, alerts, dashboards
from tests.admission import Request, denials
from tests.helpers import objects
from tests.vacuity import examined

RULE_KINDS = ("Rules", "ClusterRules")
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


def tool(name: str) -> str:
    """promtool and amtool come from Debian's prometheus and prometheus-alertmanager (.ci/run installs them)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: apt-get install prometheus prometheus-alertmanager (.ci/run does)"
    return path


def run_tool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120, cwd=cwd)


def rule_objects(run) -> list[dict]:
    return [m for kind in RULE_KINDS for m in objects(run, kind)]


def metric_names(expr: str) -> set[str]:
    """Every series name a PromQL expression selects (parsing it: a syntax error fails)."""
    names: set[str] = set()

    def visit(node, *_):
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or next(m.value for m in node.matchers.matchers if m.name == "__name__"))

    promql_parser.walk(promql_parser.parse(expr), visit, None)
    return names


def recorded(groups: list[dict]) -> set[str]:
    return {r["record"] for g in groups for r in g["rules"] if "record" in r}


# --- the rules as rendered --------------------------------------------------------------------------

def test_promtool_accepts_every_rules_object(run, tmp_path):
    promtool = tool("promtool")
    for rules in examined(rule_objects(run), "Rules objects"):
        path = tmp_path / f"{rules['kind']}-{rules['metadata'].get('namespace', 'cluster')}.yaml"
        path.write_text(yaml.safe_dump({"groups": rules["spec"]["groups"]}))
        result = run_tool(promtool, "check", "rules", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_promql_names_only_catalogued_metrics(run):
    """Exporters rename metrics between versions (vLLM dropped gpu_cache_usage_perc): a name outside the
    catalog is a rule that never fires, a chart that stays empty or an autoscaler that never scales."""
    known = run.spec.catalog.metrics.promql_names()
    expressions: list[str] = []
    for rules in rule_objects(run):
        groups = rules["spec"]["groups"]
        known_here = known | recorded(groups) | {alerts.HEARTBEAT}
        for expr in alerts.expressions(groups):
            assert metric_names(expr) <= known_here, expr
            expressions.append(expr)
    for board in run.by_type("gcp:monitoring/dashboard:Dashboard"):
        for query in dashboards.queries(board.inputs["dashboardJson"]):
            assert metric_names(query) <= known, query
            expressions.append(query)
    for policy in run.by_type(POLICY):
        for condition in policy.inputs["conditions"]:
            if "conditionPrometheusQueryLanguage" in condition:
                query = condition["conditionPrometheusQueryLanguage"]["query"]
                assert metric_names(query) <= known, query
                expressions.append(query)
    for scaled in objects(run, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] == "prometheus":
                assert metric_names(trigger["metadata"]["query"]) <= known, trigger
                expressions.append(trigger["metadata"]["query"])
    examined(expressions, "PromQL expressions")


def test_a_misspelt_metric_is_caught():
    assert metric_names('sum(rate(vllm:request_success_total{job="x"}[5m])) / vllm:gpu_cache_usage_perc') == {
        "vllm:request_success_total", "vllm:gpu_cache_usage_perc"}
    with pytest.raises(Exception):  # noqa: B017 - promql-parser raises its own error type
        metric_names("sum(rate(vllm:request_success_total[5m]")


def test_cloud_filters_name_catalogued_metric_types(run):
    cloud = set(run.spec.catalog.metrics.cloud.metrics)
    filters = []
    for policy in run.by_type(POLICY):
        for condition in policy.inputs["conditions"]:
            for kind in ("conditionThreshold", "conditionAbsent"):
                if kind in condition and "metric.type=" in condition[kind]["filter"]:
                    filters.append(condition[kind]["filter"])
    for slo in run.by_type("gcp:monitoring/slo:Slo"):
        filters.append(slo.inputs["requestBasedSli"]["goodTotalRatio"]["totalServiceFilter"])
    for text in examined(filters, "Cloud Monitoring filters"):
        metric = text.split('metric.type="', 1)[1].split('"', 1)[0]
        assert metric in cloud, metric


def test_rules_live_where_their_series_are(run):
    """A tenant's endpoints are alerted on by a Rules object in its namespace (the evaluator scopes it there:
    it cannot read another tenant's series); the platform's by ClusterRules."""
    plans = Plan.of(run.spec).endpoint_plans()
    by_namespace = {r["metadata"].get("namespace"): r for r in objects(run, "Rules")}
    for key, serving in examined(sorted(plans.items()), "endpoints"):
        namespace = key.split("/")[0]
        groups = {g["name"] for g in by_namespace[namespace]["spec"]["groups"]}
        assert {f"{serving.name}-slo", f"{serving.name}-serving"} <= groups, key
    (cluster,) = objects(run, "ClusterRules")
    assert alerts.HEARTBEAT in recorded(cluster["spec"]["groups"])
    for rules in objects(run, "Rules"):
        namespace = rules["metadata"]["namespace"]
        scope = "platform" if namespace == run.spec.env.inference.namespace else "tenant"
        for group in rules["spec"]["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["labels"]["scope"] == scope, (namespace, rule["alert"])


# --- the rules behave: promtool test rules ----------------------------------------------------------

def unit_test(groups: list[dict], tmp_path: Path, series: list[dict], cases: list[dict], hours: int = 2) -> str:
    """Run promtool's unit tests of ``groups`` over ``series``; the output ('' when they pass)."""
    rules = [r for g in groups for r in g["rules"] if "alert" in r]
    for case in cases:  # the annotations are the rules' own (no templates): those of the rule the labels name
        for alert in case["exp_alerts"]:
            (rule,) = [r for r in rules if r["alert"] == case["alertname"]
                       and r["labels"].items() <= alert["exp_labels"].items()]
            alert["exp_annotations"] = rule["annotations"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yaml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": cases}]}))
    result = run_tool(tool("promtool"), "test", "rules", "test.yaml", cwd=tmp_path)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def serving(fixture_spec):
    spec = fixture_spec("prod")
    plans = Plan.of(spec).endpoint_plans()
    key = next(k for k, p in sorted(plans.items()) if p.min_replicas >= 1 and not k.startswith("inference/"))
    tenant = spec.tenant(key.split("/")[0])
    return spec, plans[key], tenant


def histogram(metric: str, job: str, target: float, slow: bool) -> list[dict]:
    """Ten requests a minute, all under half the target (quiet) or all between it and twice it (fires)."""
    fast = "0+0x60" if slow else "0+10x60"
    return [{"series": f'{metric}_bucket{{job="{job}",le="{target / 2:g}"}}', "values": fast},
            {"series": f'{metric}_bucket{{job="{job}",le="{target * 2:g}"}}', "values": "0+10x60"},
            {"series": f'{metric}_bucket{{job="{job}",le="+Inf"}}', "values": "0+10x60"}]


def endpoint_cases(plan, slo) -> dict[str, tuple]:
    """Alert -> (series that fire it, series that keep it quiet, labels its result keeps from the series)."""
    job = f'job="{plan.name}"'

    def gauge(metric: str, bad: float, good: float) -> tuple[list, list, dict]:
        return ([{"series": f'{metric}{{{job},instance="r0"}}', "values": f"{bad}x60"}],
                [{"series": f'{metric}{{{job},instance="r0"}}', "values": f"{good}x60"}], {})

    return {
        "InferenceTimeToFirstTokenHigh": (
            histogram("vllm:time_to_first_token_seconds", plan.name, slo.ttft_p95_seconds, True),
            histogram("vllm:time_to_first_token_seconds", plan.name, slo.ttft_p95_seconds, False), {}),
        "InferenceLatencyHigh": (
            histogram("vllm:e2e_request_latency_seconds", plan.name, slo.latency_p95_seconds, True),
            histogram("vllm:e2e_request_latency_seconds", plan.name, slo.latency_p95_seconds, False), {}),
        "InferenceQueueBacklog": gauge("vllm:num_requests_waiting", plan.queue_target + 5, 0),
        "InferenceKvCacheSaturated": gauge("vllm:kv_cache_usage_perc", 0.97, 0.5),
        "InferencePreempting": (
            [{"series": f'vllm:num_preemptions_total{{{job}}}', "values": "0+3x60"}],
            [{"series": f'vllm:num_preemptions_total{{{job}}}', "values": "0+0x60"}], {}),
        "InferenceReplicasBelowMinimum": (
            [{"series": f'up{{{job},instance="r0"}}', "values": "0x60"}],
            [{"series": f'up{{{job},instance="r{i}"}}', "values": "1x60"} for i in range(plan.min_replicas)], {}),
        "InferenceErrorRatioHigh": (
            [{"series": f'vllm:request_success_total{{{job},finished_reason="stop"}}', "values": "0+66x60"},
             {"series": f'vllm:request_success_total{{{job},finished_reason="abort"}}', "values": "0+34x60"}],
            [{"series": f'vllm:request_success_total{{{job},finished_reason="stop"}}', "values": "0+100x60"},
             {"series": f'vllm:request_success_total{{{job},finished_reason="abort"}}', "values": "0+0x60"}], {}),
    }


def platform_cases(tenant: str) -> dict[str, tuple]:
    node = 'Hostname="n1",gpu="0"'
    waiting = 'kube_pod_container_status_waiting_reason{{namespace="{ns}",pod="p",reason="{reason}"}}'
    return {
        "GpuMemoryExhausted": (
            [{"series": f"DCGM_FI_DEV_FB_USED{{{node}}}", "values": "23900x60"},
             {"series": f"DCGM_FI_DEV_FB_FREE{{{node}}}", "values": "100x60"}],
            [{"series": f"DCGM_FI_DEV_FB_USED{{{node}}}", "values": "20000x60"},
             {"series": f"DCGM_FI_DEV_FB_FREE{{{node}}}", "values": "4000x60"}], {"Hostname": "n1", "gpu": "0"}),
        "GpuTemperatureHigh": ([{"series": f"DCGM_FI_DEV_GPU_TEMP{{{node}}}", "values": "91x60"}],
                               [{"series": f"DCGM_FI_DEV_GPU_TEMP{{{node}}}", "values": "70x60"}],
                               {"Hostname": "n1", "gpu": "0"}),
        "PodsUnschedulable": ([{"series": 'kube_pod_status_unschedulable{namespace="x",pod="p"}', "values": "1x60"}],
                              [{"series": 'kube_pod_status_unschedulable{namespace="x",pod="p"}', "values": "0x60"}], {}),
        "PodsCrashLooping": (
            [{"series": waiting.format(ns=tenant, reason="CrashLoopBackOff"), "values": "1x60"}],
            [{"series": waiting.format(ns=tenant, reason="CrashLoopBackOff"), "values": "0x60"}],
            {"namespace": tenant, "pod": "p"}),
        "PodsStuckStarting": (
            [{"series": waiting.format(ns=tenant, reason="ContainerCreating"), "values": "1x60"}],
            [{"series": waiting.format(ns=tenant, reason="ContainerCreating"), "values": "0x60"}],
            {"namespace": tenant, "pod": "p"}),
        "VolumeFilling": (
            [{"series": f'kubelet_volume_stats_used_bytes{{namespace="{tenant}",persistentvolumeclaim="d"}}',
              "values": "90x60"},
             {"series": f'kubelet_volume_stats_capacity_bytes{{namespace="{tenant}",persistentvolumeclaim="d"}}',
              "values": "100x60"}],
            [{"series": f'kubelet_volume_stats_used_bytes{{namespace="{tenant}",persistentvolumeclaim="d"}}',
              "values": "50x60"},
             {"series": f'kubelet_volume_stats_capacity_bytes{{namespace="{tenant}",persistentvolumeclaim="d"}}',
              "values": "100x60"}], {"namespace": tenant, "persistentvolumeclaim": "d"}),
        "KedaScalerErrors": (
            [{"series": 'keda_scaler_detail_errors_total{namespace="inference",scaledObject="embed"}', "values": "0+1x60"}],
            [{"series": 'keda_scaler_detail_errors_total{namespace="inference",scaledObject="embed"}', "values": "0+0x60"}],
            {"namespace": "inference", "scaledObject": "embed"}),
        "KedaScaledObjectErrors": (
            [{"series": 'keda_scaled_object_errors_total{namespace="inference",scaledObject="embed"}', "values": "0+1x60"}],
            [{"series": 'keda_scaled_object_errors_total{namespace="inference",scaledObject="embed"}',
              "values": "0+0x60"}], {"namespace": "inference", "scaledObject": "embed"}),
        "InferencePoolWithoutReadyPods": ([{"series": 'inference_pool_ready_pods{name="chat"}', "values": "0x60"}],
                                          [{"series": 'inference_pool_ready_pods{name="chat"}', "values": "2x60"}],
                                          {"name": "chat"}),
    }


def fires_and_quiets(groups: list[dict], cases: dict[str, tuple], tmp_path: Path, at: str = "45m") -> None:
    """Each alert of ``groups`` fires on its bad series (with its own labels and those its query keeps) and
    stays quiet on the good ones; an alert without a case fails."""
    rules = [r for g in groups for r in g["rules"] if "alert" in r]
    assert {r["alert"] for r in rules} <= set(cases), "every alert needs a case here"
    for name in sorted({r["alert"] for r in rules}):
        bad, good, kept = cases[name]
        variants = [r for r in rules if r["alert"] == name]
        # an alert split by namespace (tenants' vs the platform's): the cases use a tenant's namespace
        rule = variants[0] if len(variants) == 1 else next(r for r in variants if r["labels"]["scope"] == "tenant")
        expected = [{"exp_labels": {**rule["labels"], **kept}}]
        out = unit_test(groups, tmp_path, bad, [{"eval_time": at, "alertname": name, "exp_alerts": expected}])
        assert out == "", f"{name} did not fire as expected:\n{out}"
        assert unit_test(groups, tmp_path, good, [{"eval_time": at, "alertname": name, "exp_alerts": []}]) == "", name


def test_every_endpoint_alert_fires_on_trouble_and_stays_quiet_otherwise(fixture_spec, tmp_path):
    spec, plan, tenant = serving(fixture_spec)
    slo = spec.catalog.tiers.tiers[tenant.tier].slo
    groups = alerts.endpoint_groups(plan, slo, tenant.sla, "tenant")
    fires_and_quiets([g for g in groups if g["name"].endswith("-serving")], endpoint_cases(plan, slo), tmp_path)


def test_every_platform_alert_fires_on_trouble_and_stays_quiet_otherwise(fixture_spec, tmp_path):
    spec = fixture_spec("prod")
    tenant = spec.tenants[0].name
    fires_and_quiets(alerts.platform_groups(spec), platform_cases(tenant), tmp_path)


def test_genbis_vector_store_alert(tmp_path):
    series = 'rest_responses{kind}_total{{job="bi-qdrant",instance="q0"}}'
    fires_and_quiets([alerts.genbi_group()], {"GenBiVectorStoreErrors": (
        [{"series": series.format(kind=""), "values": "0+100x60"},
         {"series": series.format(kind="_fail"), "values": "0+20x60"}],
        [{"series": series.format(kind=""), "values": "0+100x60"},
         {"series": series.format(kind="_fail"), "values": "0+1x60"}], {"job": "bi-qdrant"})}, tmp_path)


def test_every_rendered_alert_has_a_case(run):
    """A new alert without fire and quiet cases above fails here, on whichever stack renders it."""
    covered = {"InferenceErrorBudgetBurn", "TenantGpuSpendOverBudget", "GenBiVectorStoreErrors", *platform_cases("t"),
               *endpoint_cases(type("P", (), {"name": "e", "queue_target": 1, "min_replicas": 1})(),
                               type("S", (), {"ttft_p95_seconds": 1, "latency_p95_seconds": 1})())}
    names = {r["alert"] for rules in rule_objects(run) for g in rules["spec"]["groups"] for r in g["rules"]
             if "alert" in r}
    assert examined(sorted(names), "alerts")
    assert names <= covered, names - covered


def test_a_failing_endpoint_burns_its_budget_in_every_window(fixture_spec, tmp_path):
    spec, plan, tenant = serving(fixture_spec)
    groups = alerts.endpoint_groups(plan, spec.catalog.tiers.tiers[tenant.tier].slo, tenant.sla, "tenant")
    job = f'job="{plan.name}"'
    up = [{"series": f'up{{{job},instance="r{i}"}}', "values": "1+0x180"} for i in range(plan.min_replicas)]
    # 100 requests a minute, a third aborted: each window fires once its `for` has passed
    failing = [{"series": f'vllm:request_success_total{{{job},finished_reason="stop"}}', "values": "0+66x180"},
               {"series": f'vllm:request_success_total{{{job},finished_reason="abort"}}', "values": "0+34x180"}]
    burning = [{"exp_labels": {"severity": severity, "scope": "tenant", "impact": "availability",
                               "endpoint": plan.name, "window": long}}
               for long, _, _, severity in alerts.BURN_WINDOWS]
    out = unit_test(groups, tmp_path, up + failing, [
        {"eval_time": "90m", "alertname": "InferenceErrorBudgetBurn", "exp_alerts": burning}])
    assert out == "", out
    healthy = [{"series": f'vllm:request_success_total{{{job},finished_reason="stop"}}', "values": "0+100x180"},
               {"series": f'vllm:request_success_total{{{job},finished_reason="abort"}}', "values": "0+0x180"}]
    assert unit_test(groups, tmp_path, up + healthy, [
        {"eval_time": "90m", "alertname": "InferenceErrorBudgetBurn", "exp_alerts": []}]) == ""


def test_gpu_spend_over_budget_reaches_the_tenant(fixture_spec, tmp_path):
    spec = fixture_spec("prod")
    plans = Plan.of(spec).endpoint_plans()
    tenant = next(t for t in spec.tenants if t.budget and any(k.startswith(f"{t.name}/") for k in plans))
    own = [p for k, p in sorted(plans.items()) if k.startswith(f"{tenant.name}/")]
    group = alerts.spend_group(spec, own, tenant.budget.monthly)
    # enough replicas of its first endpoint to pass the budget
    hourly = float(group["rules"][0]["expr"].split(" * ")[1].split(" ")[0])
    replicas = int(tenant.budget.monthly / (hourly * spec.catalog.prices.hours_per_month)) + 1
    series = [{"series": f'up{{job="{own[0].name}",instance="r{i}"}}', "values": "1x500"} for i in range(replicas)]
    assert unit_test([group], tmp_path, series, [{"eval_time": "7h", "alertname": "TenantGpuSpendOverBudget",
                                                  "exp_alerts": [{"exp_labels": {
        "severity": "ticket", "scope": "tenant", "impact": "cost"}}]}]) == ""
    under = [{"series": f'up{{job="{own[0].name}",instance="r0"}}', "values": "1x500"}] if replicas > 1 else []
    assert unit_test([group], tmp_path, under, [{"eval_time": "7h", "alertname": "TenantGpuSpendOverBudget",
                                                 "exp_alerts": []}]) == ""


# --- Alertmanager ---------------------------------------------------------------------------------

VALUES = {"alert-slack-webhook": "https://hooks.slack.com/services/T0/B0/platform",
          "alert-smtp-password": "smtp-password"}


def rendered(spec, tmp_path: Path, values: dict[str, str | None]) -> Path:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(alertmanager.render(spec, values))
    return path


def test_amtool_accepts_the_configuration(run, tmp_path):
    values = {name: f"https://hooks.example.com/{name}" for name in alertmanager.secrets_needed(run.spec)}
    result = run_tool(tool("amtool"), "check-config", str(rendered(run.spec, tmp_path, {**values, **VALUES})))
    assert result.returncode == 0, result.stdout + result.stderr


def receiver_for(config: Path, **labels: str) -> str:
    result = run_tool(tool("amtool"), "config", "routes", "test", f"--config.file={config}",
                      *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_each_tenants_alerts_reach_its_receivers_only(run, tmp_path):
    """A tenant's alert goes to its own receiver, never another tenant's; the platform's rules' alerts about
    a tenant's namespace (scope platform) and everything else go to the platform's on-call."""
    spec = run.spec
    values = {name: f"https://hooks.example.com/{name}" for name in alertmanager.secrets_needed(spec)}
    config = rendered(spec, tmp_path, {**values, **VALUES})
    for tenant in examined(spec.tenants, "tenants"):
        expected = alertmanager.receiver_name(tenant.name)
        assert receiver_for(config, namespace=tenant.name, scope="tenant", alertname="X") == expected
        assert receiver_for(config, namespace=tenant.name, alertname="TheirOwnRule") == expected
        assert receiver_for(config, namespace=tenant.name, scope="platform", alertname="Y") == alertmanager.PLATFORM
    assert receiver_for(config, namespace=spec.env.inference.namespace, scope="platform") == alertmanager.PLATFORM
    assert receiver_for(config, alertname="GpuTemperatureHigh", scope="platform") == alertmanager.PLATFORM


def test_a_webhook_not_yet_set_leaves_its_tenant_with_the_platform(fixture_spec, tmp_path):
    spec = fixture_spec("prod")
    hooked = [t for t in spec.tenants if t.alerts.webhook and not t.alerts.emails]
    assert hooked, "the fixtures have a tenant whose only receiver is a webhook"
    config = rendered(spec, tmp_path, VALUES)  # tenants' webhook URLs not set
    for tenant in hooked:
        assert receiver_for(config, namespace=tenant.name, scope="tenant") == alertmanager.PLATFORM


def test_capacity_alerts_of_tenants_wait_while_the_platform_is_short(fixture_spec):
    (inhibit,) = alertmanager.config(fixture_spec("prod"), VALUES)["inhibit_rules"]
    assert 'impact="capacity"' in inhibit["source_matchers"] and 'scope="platform"' in inhibit["source_matchers"]
    assert inhibit["target_matchers"] == ['scope="tenant"', 'impact="capacity"']


def test_the_alertmanager_secret_is_a_pulumi_secret(run):
    (secret,) = [s for s in objects(run, "Secret", "gmp-public") if s["metadata"]["name"] == "alertmanager"]
    assert secret["stringData"] == "[secret]"  # the whole map: its receivers' URLs and the mail password


# --- tenants may write rules, not page the platform -------------------------------------------------

def test_tenant_rules_cannot_claim_the_platforms_scope(fixture_run):
    run = fixture_run("prod")
    (policy,) = [p for p in objects(run, "ValidatingAdmissionPolicy") if p["metadata"]["name"] == "ai-platform-tenant-rules"]

    def rules(labels: dict) -> dict:
        return {"apiVersion": "monitoring.googleapis.com/v1", "kind": "Rules", "metadata": {"name": "mine"},
                "spec": {"groups": [{"name": "g", "interval": "60s", "rules": [
                    {"alert": "Mine", "expr": "up == 0", "labels": labels}]}]}}

    assert denials(policy, Request(rules({"scope": "platform", "severity": "page"})))
    assert not denials(policy, Request(rules({"severity": "page"})))
    assert not denials(policy, Request(rules({"scope": "tenant"})))
    (role,) = [r for r in objects(run, "ClusterRole") if r["metadata"]["name"] == "ai-platform-tenant-admin"]
    assert any("rules" in rule["resources"] and "create" in rule["verbs"] for rule in role["rules"]
               if rule["apiGroups"] == ["monitoring.googleapis.com"])


def test_heartbeat_is_what_cloud_monitoring_watches(fixture_run):
    run = fixture_run("prod")
    (policy,) = [p for p in run.by_type(POLICY) if p.name == "cloud-alerting-rule-evaluator-silent"]
    text = json.dumps(policy.inputs)
    assert f"prometheus.googleapis.com/{alerts.HEARTBEAT}/gauge" in text
