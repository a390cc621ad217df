"""What operations builds outside the cluster's rules: who is paged, service levels at the gateway, each
tenant's logs, audit logging, dashboards and the trace collector; and the mistakes in its config."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from components.operations.trace_collector import TraceCollectorArgs, collector_values
from plan import Plan
from tests.conftest import edit_yaml
from tests.graph import Graph
from tests.helpers import load_error, objects
from tests.vacuity import examined

POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
SCHEMAS = Path(__file__).parent / "schemas"


def channels_of(run, owner: str) -> list:
    return [r for r in run.by_type(CHANNEL) if r.name.startswith(f"channels-{owner}-")]


def test_everyone_paged_has_channels(run):
    """The platform's on-call and each tenant get a mail channel per address (and their generic webhook)."""
    spec = run.spec
    mails = {r.inputs["labels"]["email_address"] for r in channels_of(run, "platform") if r.inputs["type"] == "email"}
    assert mails == set(spec.env.operations.alerts.emails)
    for tenant in examined(spec.tenants, "tenants"):
        own = channels_of(run, tenant.name)
        assert {r.inputs["labels"]["email_address"] for r in own if r.inputs["type"] == "email"} == set(
            tenant.alerts.emails)
        for channel in own:
            assert channel.inputs["userLabels"]["tenant"] == tenant.name


def test_every_policy_pages_someone_and_says_what_to_do(run):
    for policy in examined(run.by_type(POLICY), "alert policies"):
        assert policy.inputs["notificationChannels"], policy.name
        assert len(policy.inputs["documentation"]["content"]) > 40, policy.name
        assert policy.inputs["severity"] in ("CRITICAL", "ERROR", "WARNING"), policy.name


def test_every_exposed_site_has_an_slo_its_burn_alerts_and_an_uptime_check(run):
    spec, plan = run.spec, Plan.of(run.spec)
    slos = {r.name: r for r in run.by_type("gcp:monitoring/slo:Slo")}
    checks = {r.name: r for r in run.by_type("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig")}
    policies = {r.name: r for r in run.by_type(POLICY)}
    internal = bool(spec.env.entry and spec.env.entry.internal)
    for tenant in spec.tenants:
        for site in examined(plan.exposures(tenant), "exposed sites"):
            key = f"service-levels-{tenant.name}-{site.name}"
            slo = slos[f"{key}-availability"]
            assert slo.inputs["goal"] == pytest.approx(tenant.sla / 100)
            assert f"-{tenant.name}-{site.target}-" in slo.inputs["requestBasedSli"]["goodTotalRatio"]["totalServiceFilter"]
            for window in ("3600s", "21600s"):
                burn = policies[f"{key}-burn-{window}"]
                assert burn.inputs["conditions"][0]["conditionThreshold"]["filter"].startswith("select_slo_burn_rate(")
                # the tenant's channels first, then the platform's
                assert len(burn.inputs["notificationChannels"]) == len(channels_of(run, tenant.name)) + len(
                    channels_of(run, "platform"))
            if internal:
                assert f"{key}-uptime" not in checks
                continue
            check = checks[f"{key}-uptime"]
            assert check.inputs["monitoredResource"]["labels"]["host"] == site.hostname
            assert {c["statusValue"] for c in check.inputs["httpCheck"]["acceptedResponseStatusCodes"]} == {401, 302}
            assert len(check.inputs["selectedRegions"]) >= 3
            assert {f"{key}-uptime-failing", f"{key}-certificate"} <= set(policies)


def test_each_tenants_logs_are_its_own(run):
    """A bucket per tenant, CMEK, fed only its namespace's container logs; its groups read that bucket's view
    and nothing else (a condition on the view's name)."""
    spec = run.spec
    buckets = {r.name: r for r in run.by_type("gcp:logging/projectBucketConfig:ProjectBucketConfig")}
    sinks = {r.name: r for r in run.by_type("gcp:logging/projectSink:ProjectSink")}
    readers = [r for r in run.by_type("gcp:projects/iAMMember:IAMMember") if r.inputs["role"] == "roles/logging.viewAccessor"]
    for tenant in examined(spec.tenants, "tenants"):
        bucket = buckets[f"logs-{tenant.name}-bucket"]
        assert bucket.inputs["location"] == spec.region
        assert bucket.inputs["retentionDays"] == spec.env.operations.log_retention_days
        assert "/cryptoKeys/logs" in bucket.inputs["cmekSettings"]["kmsKeyName"]
        sink = sinks[f"logs-{tenant.name}-sink"]
        assert f'resource.labels.namespace_name="{tenant.name}"' in sink.inputs["filter"]
        assert sink.inputs["destination"].endswith(f"/buckets/{bucket.inputs['bucketId']}")
        own = [r for r in readers if r.name.startswith(f"logs-{tenant.name}-reader-")]
        assert {r.inputs["member"] for r in own} == {f"group:{g}" for g in (*tenant.owners, *tenant.viewers)}
        path = f"projects/{spec.project}/locations/{spec.region}/buckets/{bucket.inputs['bucketId']}"
        for reader in own:
            assert reader.inputs["condition"]["expression"] == f'resource.name == "{path}/views/_AllLogs"'
    assert len(readers) == sum(len(t.owners) + len(t.viewers) for t in spec.tenants)


def test_log_buckets_wait_for_their_keys_grant(run):
    graph = Graph(run.records)
    for bucket in examined(run.by_type("gcp:logging/projectBucketConfig:ProjectBucketConfig"), "log buckets"):
        grants = [k for k in graph.waits_for(bucket.key) if k.startswith("gcp:kms/cryptoKeyIAMMember:") and
                  k.endswith("-logs-gcp-sa-logging")]
        assert grants, bucket.name


def test_data_access_is_audited_and_kept(run):
    audited = {r.inputs["service"]: r for r in run.by_type("gcp:projects/iAMAuditConfig:IAMAuditConfig")}
    assert set(audited) == {"storage.googleapis.com", "secretmanager.googleapis.com", "cloudsql.googleapis.com",
                            "cloudkms.googleapis.com"}
    for config in audited.values():
        assert {c["logType"] for c in config.inputs["auditLogConfigs"]} == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
        assert not any(c.get("exemptedMembers") for c in config.inputs["auditLogConfigs"])
    (sink,) = [r for r in run.by_type("gcp:logging/projectSink:ProjectSink") if r.name == "audit-logging-sink"]
    audit_bucket = run.get("gcp:storage/bucket:Bucket", "storage-audit-logs").inputs["name"]
    assert sink.inputs["destination"] == f"storage.googleapis.com/{audit_bucket}"
    (writer,) = [r for r in run.by_type("gcp:storage/bucketIAMMember:BucketIAMMember") if r.name == "audit-logging-sink-writer"]
    assert writer.inputs["role"] == "roles/storage.objectCreator" and writer.inputs["bucket"] == audit_bucket


def test_dashboards_for_the_platform_and_each_tenant(run):
    boards = {r.name: json.loads(r.inputs["dashboardJson"]) for r in run.by_type("gcp:monitoring/dashboard:Dashboard")}
    assert set(boards) == {"dashboards-platform", *(f"dashboards-{t.name}" for t in run.spec.tenants)}
    for name, board in boards.items():
        tiles = board["mosaicLayout"]["tiles"]
        assert tiles, name
        assert all(t["xPos"] + t["width"] <= board["mosaicLayout"]["columns"] for t in tiles)


def test_rules_and_channels_wait_for_what_they_watch(run):
    graph = Graph(run.records)
    for rules in examined([r for r in run.records if r.type == "kubernetes:monitoring.googleapis.com/v1:Rules"],
                          "Rules"):
        namespace = rules.inputs["metadata"]["namespace"]
        assert any(k.startswith("kubernetes:core/v1:Namespace::") and graph_namespace(run, k) == namespace
                   for k in graph.waits_for(rules.key)), rules.name


def graph_namespace(run, key: str) -> str:
    return next(r.inputs["metadata"]["name"] for r in run.records if r.key == key)


# --- traces --------------------------------------------------------------------------------------

def collector_args(spec, senders=("alpha",)) -> TraceCollectorArgs:
    versions = spec.catalog.versions
    return TraceCollectorArgs(
        project=spec.project, project_number="1", workload_pool="p.svc.id.goog", namespace="monitoring",
        chart=versions.charts["opentelemetry-collector"], image_prefix="cache", image_tag=versions.images["otel-collector"].tag,
        port=4317, replicas=2, senders=senders, provider=None)


def coalesce(defaults: dict, values: dict) -> dict:
    """Helm's merge of a chart's values.yaml with the release's values: maps merge, a null removes the key."""
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = value
    return out


def test_collector_values_validate_against_the_charts_schema(fixture_spec):
    """Helm validates the merged values against the chart's values.schema.json (opentelemetry-collector
    0.170.0, kept in tests/schemas with its values.yaml): unknown or mistyped keys are refused."""
    spec = fixture_spec("prod")
    schema = json.loads((SCHEMAS / "opentelemetry-collector-0.170.0.values.schema.json").read_text())
    defaults = yaml.safe_load((SCHEMAS / "opentelemetry-collector-0.170.0.values.yaml").read_text())
    values = collector_values(collector_args(spec), "europe-docker.pkg.dev/p/dockerhub")
    merged = coalesce(defaults, values)
    validator = jsonschema.Draft7Validator(schema)  # the schema names no draft Helm would read otherwise
    validator.validate(merged)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**merged, "replicas": 2})
    assert not [p for p in merged["ports"].values() if p.get("enabled")][1:], "one port: OTLP over gRPC"
    assert values["image"]["repository"].startswith("europe-docker.pkg.dev/p/dockerhub/")
    pipelines = values["config"]["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["googlecloud"] and pipelines["logs"] is None


def test_only_tenants_that_use_the_collector_reach_it(fixture_run):
    run = fixture_run("prod")
    (allow,) = [p for p in objects(run, "NetworkPolicy", "monitoring") if p["metadata"]["name"] == "allow-senders"]
    (names,) = [e["values"] for e in allow["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"]]
    assert names == sorted(t.name for t in run.spec.tenants if "otel-collector" in t.uses)
    assert [p["port"] for p in allow["spec"]["ingress"][0]["ports"]] == [run.spec.shared_endpoints["otel-collector"].port]


# --- mistakes: one line each -------------------------------------------------------------------------

def test_traces_without_their_shared_endpoint(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["tenancy"]["shared_endpoints"].pop("otel-collector"))
    for tenant in (config_tree / "config/tenants").glob("*.yaml"):
        edit_yaml(tenant, lambda d: d.update(uses=[u for u in d.get("uses", []) if u != "otel-collector"]))
    assert load_error(config_tree) == (
        "config/environments/prod.yaml: operations.traces: True needs tenancy.shared_endpoints.otel-collector "
        "(namespace and OTLP gRPC port) so tenants can reach the collector: add it, or set traces: false")


def test_a_receiver_naming_an_undeclared_secret(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml",
              lambda d: d["operations"]["alerts"]["webhook"].update(secret="pager-hook"))
    assert load_error(config_tree).startswith(
        "config/environments/prod.yaml: operations.alerts.webhook.secret: 'pager-hook' is not a data.secrets.external "
        "entry")


def test_tenant_mail_without_a_relay(config_tree):
    edit_yaml(config_tree / "config/environments/prod.yaml", lambda d: d["operations"]["alerts"].pop("smtp"))
    assert load_error(config_tree).startswith("config/tenants/")
    assert "alerts.emails" in load_error(config_tree) and "need a mail relay in stack prod" in load_error(config_tree)


def test_a_tenant_without_receivers(config_tree):
    edit_yaml(config_tree / "config/tenants/alpha.yaml", lambda d: d.update(alerts={"emails": []}))
    assert load_error(config_tree) == (
        "config/tenants/alpha.yaml: alerts.emails: [] is empty and there is no webhook: name at least one receiver")


def test_a_reused_config_key(config_tree):
    edit_yaml(config_tree / "config/tenants/alpha.yaml",
              lambda d: d["alerts"].update(webhook={"kind": "slack", "config_key": "slackWebhookUrl"}))
    assert "is already the config key of data.secrets.external 'alert-slack-webhook'" in load_error(config_tree)


def test_tenant_alerts_are_required(config_tree):
    edit_yaml(config_tree / "config/tenants/alpha.yaml", lambda d: d.pop("alerts"))
    assert load_error(config_tree).startswith("config/tenants/alpha.yaml: alerts: is required but missing")


def test_the_stack_reads_the_tenants_webhook_config_key(fixture_spec):
    from config.loader import secret_config_keys

    spec = fixture_spec("prod")
    keys = secret_config_keys(spec.env, spec.tenants)
    assert keys["delta-alert-webhook"] == "ai-platform:deltaAlertWebhook"


def test_review_shows_each_tenants_monitoring(run):
    from review.monitoring import monitoring_section
    from tests.helpers import table_rows

    text = monitoring_section(run)
    tenants_table = text.split("\n\n")[2]
    rows = {row[0].strip("`"): row for row in table_rows(tenants_table)}
    for tenant in examined(run.spec.tenants, "tenants"):
        row = rows[tenant.name]
        assert f"{tenant.sla:g} % available" in row[2]
        for address in tenant.alerts.emails:
            assert address in row[4]
    assert "Cloud Monitoring" in text and "cluster (managed Prometheus)" in text
