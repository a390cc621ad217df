"""The review's "Monitoring" section: what pages whom, read off the recorded run (docs/operations.md)."""

from __future__ import annotations

from review.harness import StackRun, manifests
from review.markdown import table

POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


def _alerts(run: StackRun, kind: str, namespace: str | None = None) -> list[dict]:
    return [rule for m in manifests(run) if m["kind"] == kind and m["metadata"].get("namespace") == namespace
            for group in m["spec"]["groups"] for rule in group["rules"] if "alert" in rule]


def _receivers(tenant) -> str:
    alerts, parts = tenant.alerts, []
    if alerts.emails:
        parts.append(", ".join(alerts.emails))
    if alerts.webhook:
        parts.append(f"{alerts.webhook.kind} webhook (secret config `{alerts.webhook.config_key}`)")
    return "; ".join(parts)


def _budget(run: StackRun, tenant, serving: int) -> str:
    if not (tenant.budget and run.spec.env.tenancy.billing_account):
        return "no budget" if not tenant.budget else "no billing account on this stack"
    gpu = f"; GPU serving: spend alert over {serving} endpoint(s)" if serving else ""
    return f"{tenant.budget.monthly:g}/month on resources labelled `tenant={tenant.name}` (bucket, secrets){gpu}"


def monitoring_section(run: StackRun) -> str:
    spec = run.spec
    slos = {r.name for r in run.by_type("gcp:monitoring/slo:Slo")}
    checks = {r.name for r in run.by_type("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig")}
    boards = {r.name for r in run.by_type("gcp:monitoring/dashboard:Dashboard")}
    views = {r.name for r in run.by_type("gcp:logging/projectBucketConfig:ProjectBucketConfig")}
    rows = []
    for tenant in spec.tenants:
        own = _alerts(run, "Rules", tenant.name)
        endpoints = {r["labels"]["endpoint"] for r in own if "endpoint" in r["labels"]}
        slo = spec.catalog.tiers.tiers[tenant.tier].slo
        sites = [s for s in slos if s.startswith(f"service-levels-{tenant.name}-")]
        uptime = [c for c in checks if c.startswith(f"service-levels-{tenant.name}-")]
        rows.append([
            f"`{tenant.name}`", f"{len(own)} over {len(endpoints)} endpoint(s)",
            f"{tenant.sla:g} % available; p95 TTFT ≤ {slo.ttft_p95_seconds:g} s, request ≤ "
            f"{slo.latency_p95_seconds:g} s; errors ≤ {slo.error_ratio:.0%}",
            f"{len(sites)} SLO(s), {len(uptime)} uptime check(s)", _receivers(tenant),
            "yes" if f"dashboards-{tenant.name}" in boards else "no",
            "yes" if f"logs-{tenant.name}-bucket" in views else "no", _budget(run, tenant, len(endpoints))])
    cluster = _alerts(run, "ClusterRules") + _alerts(run, "Rules", spec.env.inference.namespace)
    platform = sorted({(r["alert"], "cluster (managed Prometheus)", r["labels"]["severity"], r["labels"]["scope"])
                       for r in cluster})
    outside = sorted({(r.inputs["displayName"].split(": ", 1)[-1], "Cloud Monitoring", r.inputs["severity"].lower(),
                       "platform") for r in run.by_type(POLICY) if r.name.startswith("cloud-alerting-")})
    return ("## Monitoring\n\nEach tenant's alerts reach its own receivers (managed Alertmanager routes by namespace); "
            "its sites' SLO, uptime and certificate alerts reach it and the platform's on-call "
            "(docs/operations.md).\n\n"
            + table(["tenant", "alert rules", "targets", "at the gateway", "receivers", "dashboard", "log view",
                     "budget covers"], rows)
            + "\nThe platform's alerts (a `scope: tenant` alert about a tenant's pods goes to that tenant):\n\n"
            + table(["alert", "evaluated by", "severity", "scope"], [list(p) for p in platform + outside]))
