"""summary.md: what a stack builds, for a pull-request comment. Sections are plain functions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from plan import capacity, project_quota
from review.deployer import deployer_section
from review.endpoints import endpoints_section
from review.entry import entry_section
from review.genbi import genbi_section
from review.harness import StackRun
from review.markdown import money, table
from review.monitoring import monitoring_section
from review.policy import policy_section
from review.recovery import recovery_section


def owners(run: StackRun) -> dict[str, str]:
    """Record key -> key of the top-level component that (transitively) owns it."""
    return {record.key: (run.ancestors(record) or [record])[0].key for record in run.records}


def _settings(run: StackRun) -> str:
    spec, net = run.spec, run.spec.env.network
    rows = [
        ["project / region", f"`{spec.project}` / `{spec.region}`"],
        ["zones", ", ".join(spec.env.zones)],
        ["regional (HA) control plane", "yes" if spec.regional else "no (zonal)"],
        ["stateful resources protected", "yes" if spec.env.protect else "no"],
        ["nodes / pods / services", f"{net.primary_range} / {net.pods_range} / {net.services_range}"],
        ["control plane / proxy-only / private service access",
         f"{net.control_plane_range} / {net.proxy_only_range} / {net.private_service_access_range}"],
        ["IAP SSH to nodes", "allowed" if net.iap_tcp_forwarding else "closed"],
        ["VPC flow logs", f"{net.flow_logs.interval}, sampling {net.flow_logs.sampling}" if net.flow_logs else "off"],
    ]
    return "## Settings\n\n" + table(["setting", "value"], rows)


def _components(run: StackRun) -> str:
    owner = owners(run)
    counts: Counter[str] = Counter(owner[r.key] for r in run.records if r.custom)
    tops = [r for r in run.records if not r.parent and not r.custom]
    rows = [[f"`{r.name}`", r.type, counts[r.key]] for r in sorted(tops, key=lambda r: r.name)]
    return "## Components\n\n" + table(["component", "type", "resources"], rows)


def _types(run: StackRun) -> str:
    counts = Counter(r.type for r in run.records if r.custom)
    return "## Resources by type\n\n" + table(["type", "count"], [[f"`{t}`", n] for t, n in sorted(counts.items())])


def _protected(run: StackRun) -> str:
    rows = [[f"`{r.type}`", f"`{r.name}`"] for r in run.records if r.protect]
    if not rows:
        why = "" if run.spec.env.protect else " (this environment does not protect stateful resources)"
        return f"## Protected resources\n\nNone{why}.\n"
    return "## Protected resources\n\n" + table(["type", "name"], rows)


def _diagram(run: StackRun) -> str:
    owner = owners(run)
    edges: set[tuple[str, str]] = set()
    for record in run.records:
        for dep in record.dependencies:
            a, b = owner.get(dep), owner[record.key]
            if a and a != b:
                edges.add((a, b))
    tops = sorted({owner[r.key] for r in run.records})
    ids = {key: f"c{i}" for i, key in enumerate(tops)}
    lines = ["```mermaid", "graph LR"]
    lines += [f'  {ids[k]}["{k.split("::")[1]} ({k.split("::")[0].split(":")[-1]})"]' for k in tops]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in sorted(edges)]
    return "## Diagram\n\n" + "\n".join(lines) + "\n```\n"


def _compute_cost(run: StackRun) -> str:
    spec = run.spec
    rows = []
    for pool in run.plan.pool_capacity():
        rows.append([
            f"`{pool.name}`", pool.machine_type + (" (spot)" if pool.spot else ""),
            f"{pool.gpus_per_node} × {pool.accelerator}" if pool.accelerator else "-",
            f"{pool.min_nodes}–{pool.max_nodes}", pool.created_nodes,
            pool.rest_nodes if pool.rest_nodes == pool.min_nodes else f"**{pool.rest_nodes}**",
            pool.gpus_at_max if pool.accelerator else "-", money(pool.monthly_min), money(pool.monthly_max)])
    fee = capacity.cluster_fee_monthly(spec)
    rows.append(["GKE cluster fee", "-", "-", "-", "-", "-", "-", money(fee), money(fee)])
    low, high = run.plan.compute_totals()
    rows.append(["**total**", "", "", "", "", "", "", f"**{money(low)}**", f"**{money(high)}**"])
    prices = spec.catalog.prices
    return ("## Compute capacity and monthly cost\n\n"
            + table(["pool", "machine", "GPUs per node", "nodes min–max", "created with", "nodes at rest",
                     "GPUs at max", "monthly at rest", "monthly at max"], rows)
            + f"\n{prices.currency} list prices for {spec.region} from `config/catalog/prices.yaml` "
              f"(as of {prices.as_of}), {prices.hours_per_month} h/month; spot pools at spot prices. **At rest** a "
              "pool runs the larger of its minimum and what its always-on pods need (bold where that is more): "
              "every endpoint's minimum replicas, each on TP whole GPU units of one node, a GPU pool's warm spare "
              "nodes (held by placeholders: docs/cold-start.md), and the GenBI parts on the tenant pool, packed by "
              "GKE's allocatable CPU and memory. GPU pools without a reservation are "
              "**created empty**: GKE's create waits for its initial nodes and a GPU stockout would halt the apply "
              "half way, so the autoscaler adds them once the minimum replicas ask (a stockout then shows as "
              "pending pods, not a failed `pulumi up`).\n")


def data_items(run: StackRun) -> list[capacity.DataCost]:
    """Data services of the stack and their monthly cost (keys and secrets counted in the run)."""
    return capacity.data_costs(run.spec) + capacity.service_costs(
        run.spec, keys=len(run.by_type("gcp:kms/cryptoKey:CryptoKey")),
        secrets=len(run.by_type("gcp:secretmanager/secret:Secret")))


def _data_cost(run: StackRun) -> str:
    items = data_items(run)
    rows = [[item.item, item.sizing, money(item.monthly)] for item in items]
    data_total = sum(item.monthly for item in items)
    rows.append(["**data total**", "", f"**{money(data_total)}**"])
    low, high = run.plan.compute_totals()
    return ("## Data services and monthly cost\n\n" + table(["item", "sizing", "monthly"], rows)
            + f"\n**Stack total per month: {money(low + data_total)} at minimum scale, "
              f"{money(high + data_total)} at maximum scale** (compute + data; network egress not included).\n")


def _data(run: StackRun) -> str:
    spec, data = run.spec, run.spec.env.data
    rows = []
    for record in run.by_type("gcp:storage/bucket:Bucket"):
        i = record.inputs
        retention = i.get("retentionPolicy")
        rows.append([f"bucket `{i['name']}`", i["location"], i["storageClass"],
                     "WORM {}d{}".format(retention["retentionPeriod"] // 86400, ", locked" if retention["isLocked"] else "")
                     if retention else f"versioned, {data.storage.noncurrent_versions} old versions",
                     "CMEK", "yes" if record.protect else "no"])
    for record in run.by_type("gcp:filestore/instance:Instance"):
        i = record.inputs
        rows.append([f"Filestore `{i['name']}`", i["location"], i["tier"],
                     f"{i['fileShares']['capacityGb']} GiB", "CMEK" if "kmsKeyName" in i else "Google-managed",
                     "yes" if record.protect else "no"])
    for record in run.by_type("gcp:sql/databaseInstance:DatabaseInstance"):
        i, settings = record.inputs, record.inputs["settings"]
        rows.append([f"Cloud SQL `{i['name']}`", i["region"], f"{i['databaseVersion']} {settings['tier']}",
                     f"{settings['availabilityType']}, private IP only, PITR {data.database.pitr_days}d",
                     "CMEK", "yes" if record.protect else "no"])
    for record in run.by_type("gcp:secretmanager/secret:Secret"):
        versions = [r for r in run.by_type("gcp:secretmanager/secretVersion:SecretVersion")
                    if f"gcp:secretmanager/secret:Secret::{record.name}" in r.dependencies]
        rows.append([f"secret `{record.inputs['secretId']}`", spec.region, "Secret Manager",
                     "has a version" if versions else "empty: add a version", "CMEK",
                     "yes" if record.protect else "no"])
    return ("## Data\n\nNames and settings only; secret values never appear in this bundle.\n\n"
            + table(["resource", "location", "class / tier", "settings", "encryption", "protected"], rows))


def _tenants(run: StackRun) -> str:
    spec = run.spec
    if not spec.tenants:
        return "## Tenants\n\nNo tenant is hosted by this stack.\n"
    rows = []
    for tenant in spec.tenants:
        q = run.plan.quota(tenant)
        src = {k: v[0] for k, v in q.sources.items()}  # t(ier), w(orkloads), o(verride)
        gpus = ", ".join(f"{n} {k}" for k, n in sorted(q.gpus.items())) or "-"
        rows.append([f"`{tenant.name}`", tenant.tier, ", ".join(tenant.stacks), f"{q.cpu:g} ({src['cpu']})",
                     f"{q.memory_gi:g} Gi ({src['memory_gi']})", f"{gpus} ({src['gpus']})",
                     f"{q.storage_gi} Gi ({src['storage_gi']})", len(tenant.workloads),
                     money(capacity.tenant_monthly(spec, q))])
    tiers = spec.catalog.tiers
    return ("## Tenants\n\n" + table(["tenant", "tier", "stacks", "CPU", "memory", "GPUs", "storage", "workloads",
                                        "monthly estimate"], rows)
            + f"\nWhere each number came from: t = tier, w = declared workloads at max replicas "
              f"+ {tiers.headroom:.0%} headroom (GPUs exact), o = the tenant file's `quota` override. Quotas cap "
              "requests (GPUs also per accelerator type); containers choose their own limits. The monthly estimate "
              "prices the quota at the cheapest pool per GPU and per vCPU, plus storage.\n")


def _capacity(run: StackRun) -> str:
    spec = run.spec
    cap = capacity.tenant_capacity(spec)
    quotas = [run.plan.quota(t) for t in spec.tenants]
    shared = run.plan.shared_needs()
    tenancy = spec.env.tenancy
    rows = []
    for kind in sorted(set(cap.gpus) | {k for q in quotas for k in q.gpus} | set(shared.gpus)):
        used = sum(q.gpus.get(kind, 0) for q in quotas) + shared.gpus.get(kind, 0)
        available = cap.gpus.get(kind, 0)
        rows.append([f"GPU {kind}", used, f"{available:g}", f"{used / available:.0%}" if available else "-",
                     f"{cap.explain.get(kind, 'no pool')} × {tenancy.gpu_overcommit:g}"])
    for label, key, available, knob in (("CPU", "cpu", cap.cpu, tenancy.cpu_overcommit),
                                        ("memory (GiB)", "memory_gi", cap.memory_gi, tenancy.memory_overcommit)):
        used = sum(getattr(q, key) for q in quotas) + getattr(shared, key)
        rows.append([label, f"{used:g}", f"{available:g}", f"{used / available:.0%}" if available else "-",
                     f"tenant-serving and GPU pools at max_nodes × {knob:g}"])
    return ("## Tenant capacity\n\n" + table(["resource", "tenant quotas", "capacity", "used", "capacity from"], rows)
            + "\nTenant quotas include the shared inference endpoints at maximum scale. Checked before anything is "
              "registered: quotas over capacity stop the program with this table.\n")


def _quota(run: StackRun) -> str:
    rows = [[need.scope, f"`{need.metric}`", f"{need.first_apply:,}", f"{need.at_rest:,}", f"{need.at_max:,}",
             ", ".join(need.pools)]
            for need in project_quota.quota_needs(run.spec, run.plan.rest_nodes())]
    return ("## GCP quota needed\n\n"
            "Request these in the project before the first `pulumi up` (IAM & Admin → Quotas, or "
            "`gcloud compute regions describe REGION`); a new project has little or no GPU quota.\n\n"
            + table(["region", "quota metric", "at first apply", "at rest", "at maximum scale", "node pools"], rows)
            + "\nFirst apply: each pool's initial nodes (per zone, times its zones; none for a GPU pool without a "
              "reservation, which is created empty), plus GKE's default pool (e2-medium, one per zone) while the "
              "cluster is created. At rest: the nodes the endpoints' minimum replicas and the always-on pods need "
              "(request this before the first `pulumi up` too: the autoscaler asks for it minutes later). Maximum: "
              "every pool at max_nodes. Spot, "
              "flex-start and queued-provisioning nodes count against `PREEMPTIBLE_*` quotas where the project "
              "has them, else against the regular ones.\n")


def _exports(run: StackRun) -> str:
    return "## Stack outputs\n\n" + table(["output", "value"], [[k, f"`{v}`"] for k, v in sorted(run.exports.items())])


# Later issues add sections here (capacity, cost, tenants); each takes a StackRun.
SECTIONS: list[Callable[[StackRun], str]] = [
    _settings, policy_section, _compute_cost, _data_cost, _quota, deployer_section, _data, _tenants, _capacity, endpoints_section, entry_section, genbi_section, monitoring_section, recovery_section, _components, _types,
    _protected, _diagram, _exports]


def render_summary(run: StackRun) -> str:
    custom = sum(1 for r in run.records if r.custom)
    head = (f"# Review of stack `{run.stack}` (environment `{run.spec.environment}`)\n\n"
            f"{custom} resources in {len(run.records) - custom} components. "
            "Produced offline under Pulumi mocks by `python -m review`; no cloud API was called.\n")
    return "\n".join([head] + [section(run) for section in SECTIONS])


def stack_order(runs: list[StackRun]) -> list[StackRun]:
    known = ("dev", "staging", "prod")
    return sorted(runs, key=lambda r: (known.index(r.stack) if r.stack in known else len(known), r.stack))


def readme_costs(runs: list[StackRun]) -> str:
    """The README's monthly figures per stack: compute at rest and at maximum scale, with data, and the DR
    region at rest (its keys and secrets are in the data line already)."""
    from review.recovery import dr_monthly

    rows: dict[str, list[str]] = {"compute, at rest → maximum scale": [],
                                  "stack (compute + data), at rest → maximum": [], "DR region at rest": []}
    runs = stack_order(runs)
    for run in runs:
        low, high = run.plan.compute_totals()
        data = sum(item.monthly for item in data_items(run))
        rows["compute, at rest → maximum scale"].append(f"**{money(low)} → {money(high)}**")
        rows["stack (compute + data), at rest → maximum"].append(f"**{money(low + data)} → {money(high + data)}**")
        rows["DR region at rest"].append(money(dr_monthly(run)) if run.spec.env.dr.active else "none")
    return table(["per month", *(r.stack for r in runs)], [[label, *values] for label, values in rows.items()])


def readme_environments(runs: list[StackRun]) -> str:
    """The README's table of what each stack builds, from the specs (so it cannot drift from config/)."""
    runs = stack_order(runs)

    def pools(pools_, gpu: bool) -> str:
        out = []
        for p in pools_:
            kind = f"{p.accelerator} ×{p.gpus_per_node} " if gpu else ""
            out.append(f"{p.name}: {kind}{p.machine_type}{' spot' if p.spot else ''} {p.min_nodes}–{p.max_nodes}")
        return "; ".join(out) or "none"

    def row(label: str, value) -> list[str]:
        return [label, *(str(value(r.spec)) for r in runs)]

    return table(["", *(r.stack for r in runs)], [
        row("control plane", lambda s: "regional, " + ", ".join(s.env.zones) if s.regional else f"zonal ({s.env.zones[0]})"),
        row("CPU pools", lambda s: pools(s.env.cpu_pools, False)),
        row("GPU pools", lambda s: pools(s.env.gpu_pools, True)),
        row("Binary Authorization", lambda s: s.env.cluster.binary_authorization),
        row("KMS keys", lambda s: s.env.encryption.protection_level.lower()),
        row("`protect` + deletion protection", lambda s: "on" if s.env.protect else "off"),
        row("Cloud SQL", lambda s: f"{s.env.data.database.tier} {s.env.data.database.availability.lower()}"),
        row("Filestore", lambda s: f"{s.env.data.filestore.tier} {s.env.data.filestore.capacity_gb} GiB"
            if s.env.data.filestore else "none (weights via GCS FUSE)"),
        row("audit-log bucket", lambda s: f"{s.env.data.storage.audit_retention_days}-day retention"
            + (", locked" if s.env.data.storage.lock_audit_retention and s.env.protect else "")),
        row("DR", lambda s: s.env.dr.mode.replace("_", " ") + (f" ({s.env.dr.secondary_region})"
                                                               if s.env.dr.active else "")),
        row("tenants", lambda s: ", ".join(t.name for t in s.tenants) or "none"),
    ])
