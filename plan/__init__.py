"""What a stack's spec implies: every derived fact, computed once per spec.

``config/`` holds what users write (schemas, the loader, the checks); this package computes what
follows from it: endpoint sizing (``sizing``, ``endpoints``), node-pool capacity and cost
(``capacity``), the Compute Engine quota a stack needs (``project_quota``), tenants' namespace
quotas (``tenant_quota``), cold start (``coldstart``), the GenBI wiring (``genbi``) and the roles
the deployer needs for the resource types a run registers (``deployer``). ``Plan``
gathers the per-spec facts the checks, the program and the review share.
"""

from __future__ import annotations

from config.spec import PlatformSpec
from config.tenancy import EndpointSpec, GenBiWorkload, InferenceWorkload, TenantSpec
from plan.capacity import PoolCapacity, allocatable, compute_totals, gpu_units_per_node, packed_nodes, pools
from plan.coldstart import ColdStart, cold_start
from plan.endpoints import EndpointPlan, WeightCopy, endpoint_needs, endpoint_plan, size_endpoint
from plan.entry import Exposure, exposures
from plan.genbi import MIN_SCHEMA_TOKENS, context_budget, pod_requests, total_requests
from plan.sizing import Sizing
from plan.tenant_quota import Needs, Quota, derive_quota


class Plan:
    """The derived facts of one ``PlatformSpec``; ``Plan.of(spec)`` computes each once and keeps it."""

    def __init__(self, spec: PlatformSpec) -> None:
        self.spec = spec
        self._sizings: dict[tuple[int, float], Sizing] = {}
        self._plans: dict[str, EndpointPlan] | None = None
        self._starts: dict[str, ColdStart] | None = None

    @classmethod
    def of(cls, spec: PlatformSpec) -> Plan:
        """The spec's plan, made on first use and kept with the spec."""
        return spec._derived.setdefault("plan", cls(spec))

    def sizing(self, endpoint: EndpointSpec, sla: float) -> Sizing:
        """How this stack serves ``endpoint`` (plan/sizing.py); SizingError on a mistake."""
        key = (id(endpoint), sla)
        if key not in self._sizings:
            self._sizings[key] = size_endpoint(self.spec, endpoint, sla)
        return self._sizings[key]

    def shared_sizing(self, endpoint: EndpointSpec) -> Sizing:
        return self.sizing(endpoint, self.spec.env.inference.sla)

    def needs(self, tenant: TenantSpec) -> Needs:
        """What the tenant's workloads need at maximum scale; inference from its sizing."""
        return sum((endpoint_needs(self.sizing(w, tenant.sla)) if isinstance(w, InferenceWorkload)
                    else self.genbi_needs(w) for w in tenant.workloads), Needs())

    def genbi_needs(self, workload: GenBiWorkload) -> Needs:
        cpu, memory, pods = total_requests(self.spec.environment == "prod")
        return Needs(cpu, memory, workload.storage_gi, pods)

    def shared_needs(self) -> Needs:
        """What the shared inference endpoints hold at maximum scale, outside every tenant quota."""
        return sum((endpoint_needs(self.shared_sizing(e)) for e in self.spec.env.inference.endpoints), Needs())

    def quota(self, tenant: TenantSpec) -> Quota:
        return derive_quota(tenant, self.spec.catalog.tiers, self.needs(tenant))

    def endpoint_plans(self) -> dict[str, EndpointPlan]:
        """``<namespace>/<endpoint>`` -> how each endpoint of the stack is served (its startup probe's
        budget from its cold start), shared endpoints first."""
        if self._plans is None:
            spec, queue, starts = self.spec, self.spec.env.inference.queue_target, self.cold_starts()
            self._plans = {}
            for namespace, endpoint, sla in spec.inference_endpoints():
                key = f"{namespace}/{endpoint.name}"
                self._plans[key] = endpoint_plan(spec, namespace, endpoint, self.sizing(endpoint, sla), queue,
                                                 starts[key].probe_budget)
        return self._plans

    def cold_starts(self, *, pulled: bool = False) -> dict[str, ColdStart]:
        """``<namespace>/<endpoint>`` -> what a new replica of it takes, term by term (plan/coldstart.py); ``pulled``:
        with every image pulled, as if no pool preloaded it."""
        if pulled:
            return {f"{ns}/{e.name}": cold_start(self.spec, e, self.sizing(e, sla), pulled=True)
                    for ns, e, sla in self.spec.inference_endpoints()}
        if self._starts is None:
            self._starts = {f"{ns}/{e.name}": cold_start(self.spec, e, self.sizing(e, sla))
                            for ns, e, sla in self.spec.inference_endpoints()}
        return self._starts

    def _min_replicas(self) -> dict[str, list[int]]:
        """GPU pool -> the TP size of every minimum replica its endpoints keep."""
        out: dict[str, list[int]] = {}
        for _, endpoint, sla in self.spec.inference_endpoints():
            sizing = self.sizing(endpoint, sla)
            out.setdefault(sizing.chosen.unit.pool, []).extend([sizing.chosen.tp] * sizing.min_replicas)
        return out

    def rest_nodes(self) -> dict[str, int]:
        """Pool -> nodes its always-on pods need at minimum scale: every endpoint's minimum replicas on its pool
        (a replica takes TP whole units of one node) and the pool's warm spares (a placeholder holds a whole
        node each), and on the tenant CPU pool the GenBI parts at their minimum replicas (packed by GKE's
        allocatable CPU and memory). The larger of this and a pool's own minimum is what it runs at rest
        (``plan.capacity.pools``)."""
        spec, out, replicas = self.spec, {}, self._min_replicas()
        for pool in spec.env.gpu_pools:
            out[pool.name] = packed_nodes(replicas.get(pool.name, []), gpu_units_per_node(pool)) + pool.warm_spares
        tenant_pool = spec.env.tenant_pool
        genbis = [w for t in spec.tenants for w in t.genbi]
        if tenant_pool is not None and genbis:
            pods = pod_requests(spec.environment == "prod", at_max=False) * len(genbis)
            cores, gib = allocatable(*spec.machine_shapes[tenant_pool.machine_type])
            out[tenant_pool.name] = max(packed_nodes([cpu for cpu, _ in pods], cores),
                                        packed_nodes([memory for _, memory in pods], gib))
        return out

    def free_nodes(self) -> dict[str, int]:
        """GPU pool -> whole nodes free at rest for a new replica: its warm spares, and the nodes its minimum keeps
        beyond what the minimum replicas fill. Zero: a new replica waits for a new node."""
        replicas, rest = self._min_replicas(), self.rest_nodes()
        return {pool.name: max(pool.min_nodes, rest[pool.name])
                - packed_nodes(replicas.get(pool.name, []), gpu_units_per_node(pool)) for pool in self.spec.env.gpu_pools}

    def new_replica_seconds(self, key: str) -> float:
        """What a new replica of endpoint ``key`` takes now: on a free node if its pool keeps one at rest, else with
        a new node."""
        start, pool = self.cold_starts()[key], self.endpoint_plans()[key].pool
        return start.warm_seconds if self.free_nodes()[pool] else start.new_node_seconds

    def recovery_seconds(self) -> float:
        """The slowest endpoint's start on new nodes: how long serving takes to come back where every node is new
        (a region failover, a replaced pool). The DR runbook's RTO uses it."""
        return max((s.new_node_seconds for s in self.cold_starts().values()), default=0.0)

    def pool_capacity(self) -> list[PoolCapacity]:
        """Every node pool with its nodes at rest (``rest_nodes``), maximum and cost."""
        return pools(self.spec, self.rest_nodes())

    def compute_totals(self) -> tuple[float, float]:
        """Monthly compute cost (min, max) with the pools at rest and at their maximum, cluster fee included."""
        return compute_totals(self.spec, self.rest_nodes())

    def model_paths(self) -> tuple[str, ...]:
        """The models bucket folders the stack serves from (each endpoint's variant's), sorted."""
        return tuple(sorted({p.model_path for p in self.endpoint_plans().values()}))

    def cache_paths(self) -> tuple[str, ...]:
        """Every endpoint's compile cache folder in the models bucket, sorted."""
        return tuple(sorted(p.cache_folder for p in self.endpoint_plans().values()))

    def weight_copies(self) -> tuple[WeightCopy, ...]:
        """One loader copy per Hugging Face revision the stack serves (endpoints sharing one share it),
        by bucket path; weights with a ``path`` source are uploaded by hand."""
        models, copies = self.spec.catalog.models.models, {}
        for _, endpoint, _ in self.spec.inference_endpoints():
            model = models[endpoint.model]
            source = model.variants[endpoint.dtype]
            if source.repo:
                copies[source.cache_path] = WeightCopy(
                    repo=source.repo, revision=source.revision, cache_path=source.cache_path,
                    disk_gib=source.disk_gib, gated=model.gated, format=source.format)
        return tuple(copies[path] for path in sorted(copies))

    def exposures(self, tenant: TenantSpec) -> tuple[Exposure, ...]:
        """What the gateway serves for ``tenant``: its exposed endpoints, then its GenBI UIs."""
        return exposures(self.spec, self.endpoint_plans(), tenant)

    def genbi_endpoints(self, tenant: TenantSpec, workload: GenBiWorkload) -> tuple[
            tuple[str, EndpointSpec] | None, tuple[str, EndpointSpec] | None]:
        """(namespace, endpoint) of the GenBI's LLM and embedder: named, or the tenant's own first, then
        the first shared endpoint it uses, of the right kind, an LLM with enough context before one
        without (None where there is none)."""
        spec = self.spec
        models = spec.catalog.models.models
        own = [(tenant.name, w) for w in tenant.workloads if isinstance(w, InferenceWorkload)]
        shared = [(spec.env.inference.namespace, e) for e in spec.env.inference.endpoints if e.name in tenant.uses]

        def find(name: str | None, kind: str):
            candidates = [(ns, e) for ns, e in own + shared if e.model in models and models[e.model].kind == kind]
            if kind == "generation":  # one with room for WrenAI's prompts first (config/checks/genbi.py)
                candidates.sort(key=lambda c: context_budget(c[1].max_model_len)[0] < MIN_SCHEMA_TOKENS)
            if name is None:
                return candidates[0] if candidates else None
            named = [(ns, e) for ns, e in own + shared if e.name == name]
            return named[0] if named else None

        return find(workload.llm, "generation"), find(workload.embedder, "embedding")
