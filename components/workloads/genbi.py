"""One tenant's GenBI: WrenAI (UI, AI service, engine, ibis server, Qdrant) on the platform's endpoints.

All five images default to root; each part runs as a fixed non-root user (10001; Qdrant's own
1000) with a read-only root filesystem and emptyDirs where it writes, admissible under the
tenant namespace's `restricted` level. The UI keeps its metadata in the tenant's Cloud SQL
database through a Cloud SQL Auth Proxy native sidecar (ADR 0005); its encryption password and
salt, and Qdrant's API key, are generated into Secret Manager and mounted through the Secret
Manager add-on, read into the environment by a shell wrapper (the images take them only as
variables). The AI service's configuration is generated from the tenant's endpoints
(config/genbi.py). Telemetry is off everywhere. In prod the ibis server, the one part without
state, runs two to four replicas with a disruption budget; the UI (in-process task trackers and
schedulers), the engine (DuckDB state), the AI service (task results) and Qdrant run one.
Each part mounts only the secrets it reads; the engine and the ibis server, which run
user-supplied SQL, have an identity with no Google account. Network policies:
components/workloads/genbi_network.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import (
    EXPOSE_LABEL,
    MANAGED_LABEL,
    MANAGED_PROMETHEUS_NAMESPACE,
    POOL_LABEL,
    RESERVED_SECRET_PREFIX,
    UID,
    checkov_skips,
    component_type,
    restricted_container_context,
    restricted_pod_context,
)
from components.data.secrets import SecretStore, generated_secret, grant_access, secret_provider_class
from components.workloads.genbi_network import PORTS, genbi_policies, part_selector
from config.genbi import DataSource
from plan.genbi import GRACE_SECONDS, PARTS, replicas, service_name

core, apps, meta = k8s.core.v1, k8s.apps.v1, k8s.meta.v1
QDRANT_UID = 1000  # the Qdrant image's own user owns /qdrant
SECRETS_DRIVER = "secrets-store-gke.csi.k8s.io"
SECRETS_DIR, DB_DIR, CONFIG_DIR = "/var/run/secrets/genbi", "/var/run/secrets/database", "/etc/wren-ai"
PROXY_PORT, PROXY_HEALTH = 5432, 9090
TIKTOKEN_CACHE = "/app/.venv/lib/python3.12/site-packages/litellm/litellm_core_utils/tokenizers"
QUERY_PARTS = ("engine", "ibis")  # reach the tenant's data sources, not Google
CHECKOV_SKIPS = checkov_skips("cpu-limits", "pinned-tag", "if-not-present")
QDRANT_SKIP = {"checkov.io/skip4": "CKV_K8S_40=UID 1000 is the Qdrant image's own user, which owns /qdrant"}


@dataclass(frozen=True)
class GenBiDatabase:
    connection_name: pulumi.Input[str]  # <project>:<region>:<instance>
    name: str
    user: str


@dataclass(frozen=True)
class GenBiArgs:
    tenant: str
    workload: str  # the GenBI's name: prefix of its objects, and its Kubernetes service account
    namespace: pulumi.Input[str]
    google_member: pulumi.Input[str]  # the tenant's Google account (the workload's service account maps to it)
    store: SecretStore
    database: GenBiDatabase
    images: dict[str, pulumi.Input[str]]  # ui, ai, engine, ibis, bootstrap, qdrant, proxy
    ai_config: str  # wren-ai-service's config.yaml (config/genbi.py)
    generation_model: str
    model_pods: tuple[dict[str, str], ...]  # the tenant's own endpoints it calls
    data_sources: tuple[DataSource, ...]
    prod: bool
    storage_gi: int
    storage_class: str
    labels: dict[str, str]
    provider: pulumi.ProviderResource
    node_pool: str | None = None  # the CPU pool that serves tenants (not the system pool)
    release: str = "0.29.2"  # WrenAI's release (config/catalog/genbi.yaml): the UI reports it


class GenBi(pulumi.ComponentResource):
    """Outputs: ``ui_service`` (the Service the gateway routes to), ``grace_seconds`` (its pods' termination
    grace: the gateway's draining), ``secrets`` (name -> Secret Manager id)."""

    def __init__(self, name: str, args: GenBiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "GenBi"), name, None, opts)
        self._args, self._prefix = args, name
        self._k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        w = args.workload
        secrets, values = {}, {}
        for thing in ("encryption-password", "encryption-salt", "qdrant-api-key", "qdrant-read-key"):
            values[thing], secret, twin = generated_secret(f"{name}-{thing}", args.store, f"{args.tenant}-{w}-{thing}", component="genbi",
                                         parent=self, tenant=args.tenant)
            grant_access(f"{name}-{thing}-reader", project=secret.project, secret_id=secret.secret_id,
                         member=args.google_member, parent=self, twin=twin)
            secrets[thing] = args.store.served(secret, twin)
        # each part mounts only what it reads: the UI its encryption pair, the AI service and Qdrant the key
        ui_spc = secret_provider_class(
            f"{name}-spc", name=f"{w}-genbi-ui", namespace=args.namespace, labels_=args.labels, opts=self._k8s_opts,
            files={k: v for k, v in secrets.items() if k.startswith("encryption-")})
        key_spc = secret_provider_class(
            f"{name}-qdrant-spc", name=f"{w}-genbi-qdrant", namespace=args.namespace, labels_=args.labels,
            opts=self._k8s_opts, files={key: secrets[key] for key in ("qdrant-api-key", "qdrant-read-key")})
        # The engine and the ibis server run the SQL and connection details users give them: an identity
        # of their own with no Google account behind it (no Workload Identity annotation, no grant).
        k8s.core.v1.ServiceAccount(f"{name}-query-ksa", metadata=self.meta(f"{w}-query"),
                                   automount_service_account_token=False, opts=self._k8s_opts)
        config = core.ConfigMap(f"{name}-ai-config", metadata=self.meta(f"{w}-ai-config"),
                                data={"config.yaml": args.ai_config}, opts=self._k8s_opts)
        for part in PORTS:
            core.Service(f"{name}-{part}-service", metadata=self.meta(service_name(w, part)), spec=core.ServiceSpecArgs(
                type="ClusterIP", selector=part_selector(w, part),
                ports=[core.ServicePortArgs(name="http", port=PORTS[part], target_port="http", protocol="TCP")]),
                opts=self._k8s_opts)
        after = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[ui_spc, key_spc, config])
        self.deployment("ui", self.ui_pod(), after)
        self.deployment("ai", self.ai_pod(), after)
        self.deployment("engine", self.engine_pod(), after)
        self.deployment("ibis", self.ibis_pod(), after)
        self.qdrant(after)
        self.qdrant_metrics(values["qdrant-read-key"].result)
        for policy, spec in genbi_policies(w, args.model_pods, args.data_sources).items():
            k8s.networking.v1.NetworkPolicy(f"{name}-{policy}-netpol", metadata=self.meta(policy), spec=spec,
                                            opts=self._k8s_opts)
        self.ui_service: str = service_name(w, "ui")
        self.grace_seconds: int = GRACE_SECONDS
        self.secrets = secrets
        self.register_outputs({"ui_service": self.ui_service, "grace_seconds": self.grace_seconds, "secrets": secrets})

    # --- building blocks ---------------------------------------------------------------------

    def meta(self, object_name: str, **extra) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(name=object_name, namespace=self._args.namespace, labels=self._args.labels, **extra)

    def pod_labels(self, part: str) -> dict[str, str]:
        labels = {k: v for k, v in self._args.labels.items() if k != MANAGED_LABEL}  # the kubelet deletes pods
        labels.update(part_selector(self._args.workload, part))
        labels["app.kubernetes.io/version"] = self._args.release
        if part == "ui":
            labels[EXPOSE_LABEL] = "true"  # the gateway's proxies reach it (an IAP-guarded route)
        return labels

    def deployment(self, part: str, pod: core.PodSpecArgs, opts: pulumi.ResourceOptions) -> None:
        w, (low, high) = self._args.workload, replicas(part, self._args.prod)
        selector = meta.LabelSelectorArgs(match_labels=part_selector(w, part))
        apps.Deployment(
            f"{self._prefix}-{part}", metadata=self.meta(f"{w}-{part}", annotations=CHECKOV_SKIPS),
            spec=apps.DeploymentSpecArgs(
                replicas=None if high > low else low,  # the HPA owns the count where there is one
                revision_history_limit=3, selector=selector,
                template=core.PodTemplateSpecArgs(
                    metadata=meta.ObjectMetaArgs(labels=self.pod_labels(part), annotations=CHECKOV_SKIPS), spec=pod)),
            opts=opts)
        if high > low:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{self._prefix}-{part}-hpa", metadata=self.meta(f"{w}-{part}"),
                spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                    min_replicas=low, max_replicas=high,
                    scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                        api_version="apps/v1", kind="Deployment", name=f"{w}-{part}"),
                    metrics=[k8s.autoscaling.v2.MetricSpecArgs(type="Resource", resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                        name="cpu", target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization",
                                                                              average_utilization=70)))]),
                opts=self._k8s_opts)
            k8s.policy.v1.PodDisruptionBudget(
                f"{self._prefix}-{part}-pdb", metadata=self.meta(f"{w}-{part}"),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(min_available=1, selector=selector,
                                                               unhealthy_pod_eviction_policy="AlwaysAllow"),
                opts=self._k8s_opts)

    def pod(self, part: str, containers: list[core.ContainerArgs], volumes: list[core.VolumeArgs], *,
            uid: int = UID, init: list[core.ContainerArgs] | None = None) -> core.PodSpecArgs:
        w = self._args.workload
        return core.PodSpecArgs(
            node_selector={POOL_LABEL: self._args.node_pool} if self._args.node_pool else None,
            topology_spread_constraints=[core.TopologySpreadConstraintArgs(
                max_skew=1, topology_key=key, when_unsatisfiable="ScheduleAnyway",
                label_selector=meta.LabelSelectorArgs(match_labels=part_selector(self._args.workload, part)))
                for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")],
            service_account_name=f"{w}-query" if part in QUERY_PARTS else w, automount_service_account_token=False,
            enable_service_links=False, init_containers=init, containers=containers, volumes=volumes,
            termination_grace_period_seconds=GRACE_SECONDS,
            security_context=restricted_pod_context(uid))

    def container(self, part: str, image: str, *, command: list[str] | None = None, env: dict[str, str],
                  mounts: list[tuple[str, str, bool]], ready: core.ProbeArgs, live: core.ProbeArgs,
                  start: core.ProbeArgs | None = None, name: str | None = None) -> core.ContainerArgs:
        cpu, memory = PARTS[part]
        port = PORTS.get(part)
        return core.ContainerArgs(
            name=name or part, image=self._args.images[image], image_pull_policy="IfNotPresent", command=command,
            env=[core.EnvVarArgs(name=k, value=v) for k, v in env.items()],
            ports=[core.ContainerPortArgs(name="http", container_port=port, protocol="TCP")] if port else None,
            resources=core.ResourceRequirementsArgs(requests={"cpu": f"{cpu:g}", "memory": f"{int(memory * 1024)}Mi"},
                                                    limits={"memory": f"{int(memory * 2048)}Mi"}),
            security_context=restricted_container_context(),
            readiness_probe=ready, liveness_probe=live, startup_probe=start,
            volume_mounts=[core.VolumeMountArgs(name=n, mount_path=p, read_only=ro) for n, p, ro in mounts])

    @staticmethod
    def http(path: str, period: int = 10) -> core.ProbeArgs:
        return core.ProbeArgs(http_get=core.HTTPGetActionArgs(path=path, port="http"), period_seconds=period,
                              timeout_seconds=5, failure_threshold=6)

    @staticmethod
    def tcp(period: int = 10) -> core.ProbeArgs:
        return core.ProbeArgs(tcp_socket=core.TCPSocketActionArgs(port="http"), period_seconds=period,
                              timeout_seconds=5, failure_threshold=6)

    @staticmethod
    def empty(name: str, size: str = "1Gi") -> core.VolumeArgs:
        return core.VolumeArgs(name=name, empty_dir=core.EmptyDirVolumeSourceArgs(size_limit=size))

    def secret_volume(self, name: str, provider_class: str) -> core.VolumeArgs:
        return core.VolumeArgs(name=name, csi=core.CSIVolumeSourceArgs(
            driver=SECRETS_DRIVER, read_only=True, volume_attributes={"secretProviderClass": provider_class}))

    def url(self, part: str) -> str:
        return f"http://{self._args.workload}-{part}:{PORTS[part]}"

    # --- the parts -----------------------------------------------------------------------------

    def ui_pod(self) -> core.PodSpecArgs:
        """wren-ui, its database through the Auth Proxy; knex migrations run directly (yarn would fetch
        itself into HOME as a non-root user)."""
        db = self._args.database
        start = (f'export PG_URL="postgres://{db.user}:$(cat {DB_DIR}/db-password)@127.0.0.1:{PROXY_PORT}/{db.name}" '
                 f'ENCRYPTION_PASSWORD="$(cat {SECRETS_DIR}/encryption-password)" '
                 f'ENCRYPTION_SALT="$(cat {SECRETS_DIR}/encryption-salt)" && '
                 "node node_modules/knex/bin/cli.js migrate:latest && HOSTNAME=0.0.0.0 exec node server.js")
        ui = self.container("ui", "ui", command=["sh", "-c", start], env={
            "DB_TYPE": "pg", "WREN_ENGINE_ENDPOINT": self.url("engine"), "WREN_AI_ENDPOINT": self.url("ai"),
            "IBIS_SERVER_ENDPOINT": self.url("ibis"), "WREN_PRODUCT_VERSION": self._args.release,
            "GENERATION_MODEL": self._args.generation_model, "TELEMETRY_ENABLED": "false",
            "NEXT_TELEMETRY_DISABLED": "1", "HOME": "/tmp"},  # noqa: S108 (an emptyDir)
            mounts=[("next-cache", "/app/.next/cache", False), ("tmp", "/tmp", False),  # noqa: S108
                    ("ui-secrets", SECRETS_DIR, True), ("database", DB_DIR, True)],
            ready=self.tcp(5), live=self.tcp(15))
        proxy = core.ContainerArgs(
            name="cloud-sql-proxy", image=self._args.images["proxy"], image_pull_policy="IfNotPresent",
            restart_policy="Always",  # a native sidecar: up before the UI, stopped after it
            args=pulumi.Output.from_input(db.connection_name).apply(lambda connection: [
                "--private-ip", "--structured-logs", f"--port={PROXY_PORT}", "--health-check",
                f"--http-port={PROXY_HEALTH}", "--http-address=0.0.0.0", connection]),
            ports=[core.ContainerPortArgs(name="proxy-health", container_port=PROXY_HEALTH, protocol="TCP")],
            resources=core.ResourceRequirementsArgs(requests={"cpu": f"{PARTS['proxy'][0]:g}", "memory": "256Mi"},
                                                    limits={"memory": "512Mi"}),
            startup_probe=core.ProbeArgs(http_get=core.HTTPGetActionArgs(path="/startup", port="proxy-health"),
                                         period_seconds=2, failure_threshold=30),
            liveness_probe=core.ProbeArgs(http_get=core.HTTPGetActionArgs(path="/liveness", port="proxy-health"),
                                          period_seconds=15, failure_threshold=4),
            security_context=restricted_container_context())
        return self.pod("ui", [ui], [self.empty("next-cache", "2Gi"), self.empty("tmp"),
                               self.secret_volume("ui-secrets", f"{self._args.workload}-genbi-ui"),
                               self.secret_volume("database", "database")], init=[proxy])

    def ai_pod(self) -> core.PodSpecArgs:
        start = f'export QDRANT_API_KEY="$(cat {SECRETS_DIR}/qdrant-api-key)" && exec /app/entrypoint.sh'
        ai = self.container("ai", "ai", command=["sh", "-c", start], env={
            "WREN_AI_SERVICE_PORT": str(PORTS["ai"]), "QDRANT_HOST": f"{self._args.workload}-qdrant",
            "CONFIG_PATH": f"{CONFIG_DIR}/config.yaml", "LLM_API_KEY": "unused", "EMBEDDER_API_KEY": "unused",
            "HAYSTACK_TELEMETRY_ENABLED": "false", "HAMILTON_TELEMETRY_ENABLED": "false",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONDONTWRITEBYTECODE": "1",
            # tiktoken's cl100k_base from litellm's bundled copy: the pipelines load it at start and
            # the internet is out of reach (the image's venv is /app/.venv, Python 3.12)
            "TIKTOKEN_CACHE_DIR": TIKTOKEN_CACHE,
            "HOME": "/tmp"},  # noqa: S108 (an emptyDir)
            mounts=[("tmp", "/tmp", False), ("config", CONFIG_DIR, True),  # noqa: S108
                    ("qdrant-key", SECRETS_DIR, True)],
            # it waits up to 60 s for Qdrant and builds every pipeline before it listens
            ready=self.http("/health", 5), live=self.http("/health", 15),
            start=core.ProbeArgs(http_get=core.HTTPGetActionArgs(path="/health", port="http"), period_seconds=5,
                                 timeout_seconds=5, failure_threshold=48))
        return self.pod("ai", [ai], [self.empty("tmp"), core.VolumeArgs(
            name="config", config_map=core.ConfigMapVolumeSourceArgs(name=f"{self._args.workload}-ai-config")),
            self.secret_volume("qdrant-key", f"{self._args.workload}-genbi-qdrant")])

    def engine_pod(self) -> core.PodSpecArgs:
        """The engine; its bootstrap init container writes the starting config into the shared volume."""
        bootstrap = core.ContainerArgs(
            name="bootstrap", image=self._args.images["bootstrap"], image_pull_policy="IfNotPresent",
            command=["/bin/sh", "/app/init.sh"], env=[core.EnvVarArgs(name="DATA_PATH", value="/app/data")],
            resources=core.ResourceRequirementsArgs(requests={"cpu": "50m", "memory": "32Mi"},
                                                    limits={"memory": "64Mi"}),
            security_context=restricted_container_context(),
            volume_mounts=[core.VolumeMountArgs(name="etc", mount_path="/app/data")])
        engine = self.container("engine", "engine", env={"MAX_HEAP_SIZE": "1g", "MIN_HEAP_SIZE": "256m"},  # entrypoint adds -Xmx/-Xms
                                mounts=[("etc", "/usr/src/app/etc", False), ("tmp", "/tmp", False)],  # noqa: S108
                                ready=self.http("/v2/health", 10), live=self.tcp(20))
        return self.pod("engine", [engine], [self.empty("etc"), self.empty("tmp", "2Gi")], init=[bootstrap])

    def ibis_pod(self) -> core.PodSpecArgs:
        ibis = self.container("ibis", "ibis", env={
            "WREN_ENGINE_ENDPOINT": self.url("engine"), "WREN_NUM_WORKERS": "2",
            "HOME": "/tmp"},  # noqa: S108 (an emptyDir)
            mounts=[("tmp", "/tmp", False)], ready=self.http("/health", 10), live=self.http("/health", 20))  # noqa: S108
        return self.pod("ibis", [ibis], [self.empty("tmp", "2Gi")])

    def qdrant_metrics(self, read_key: pulumi.Input[str]) -> None:
        """Qdrant answers /metrics only with a key: managed Prometheus scrapes with the read-only one, kept in a
        platform Secret (tenant pods may not mount ai-platform-* Secrets, tenant admins may not read Secrets)
        that only GMP's collector may read."""
        w, secret_name = self._args.workload, f"{RESERVED_SECRET_PREFIX}{self._args.workload}-qdrant-metrics"
        secret = core.Secret(f"{self._prefix}-qdrant-metrics", metadata=self.meta(secret_name), type="Opaque",
                             string_data={"key": pulumi.Output.secret(read_key)}, opts=self._k8s_opts)
        rbac = k8s.rbac.v1
        reader = f"{RESERVED_SECRET_PREFIX}{w}-qdrant-metrics-reader"
        role = rbac.Role(f"{self._prefix}-metrics-reader", metadata=self.meta(reader), rules=[
            rbac.PolicyRuleArgs(api_groups=[""], resources=["secrets"], verbs=["get"], resource_names=[secret_name])],
            opts=self._k8s_opts)
        rbac.RoleBinding(f"{self._prefix}-metrics-reader", metadata=self.meta(reader),
                         role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=reader),
                         subjects=[rbac.SubjectArgs(kind="ServiceAccount", name="collector",
                                                    namespace=MANAGED_PROMETHEUS_NAMESPACE)],
                         opts=pulumi.ResourceOptions(parent=self, provider=self._args.provider, depends_on=[role]))
        k8s.apiextensions.CustomResource(
            f"{self._prefix}-qdrant-podmonitoring", api_version="monitoring.googleapis.com/v1", kind="PodMonitoring",
            metadata=self.meta(f"{w}-qdrant"), spec={
                "selector": {"matchLabels": part_selector(w, "qdrant")},
                "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s", "authorization": {
                    "type": "Bearer", "credentials": {"secret": {"name": secret_name, "key": "key"}}}}]},
            opts=pulumi.ResourceOptions(parent=self, provider=self._args.provider, depends_on=[secret]))

    def qdrant(self, opts: pulumi.ResourceOptions) -> None:
        """Qdrant: one replica, its collections on a CMEK volume that outlives the pod (Retain outside dev)."""
        w = self._args.workload
        start = (f'export QDRANT__SERVICE__API_KEY="$(cat {SECRETS_DIR}/qdrant-api-key)" '
                 f'QDRANT__SERVICE__READ_ONLY_API_KEY="$(cat {SECRETS_DIR}/qdrant-read-key)" && exec ./entrypoint.sh')
        qdrant = self.container("qdrant", "qdrant", command=["sh", "-c", start], env={
            "QDRANT__TELEMETRY_DISABLED": "true", "QDRANT_INIT_FILE_PATH": "/qdrant/init/.qdrant-initialized"},
            mounts=[("storage", "/qdrant/storage", False), ("snapshots", "/qdrant/snapshots", False),
                    ("init", "/qdrant/init", False), ("tmp", "/tmp", False),  # noqa: S108
                    ("qdrant-key", SECRETS_DIR, True)],
            ready=self.http("/readyz", 5), live=self.http("/livez", 15))
        pod = self.pod("qdrant", [qdrant], [self.empty("snapshots", "5Gi"), self.empty("init", "10Mi"), self.empty("tmp"),
                                  self.secret_volume("qdrant-key", f"{w}-genbi-qdrant")], uid=QDRANT_UID)
        apps.StatefulSet(
            f"{self._prefix}-qdrant", metadata=self.meta(f"{w}-qdrant", annotations={**CHECKOV_SKIPS, **QDRANT_SKIP}),
            spec=apps.StatefulSetSpecArgs(
                replicas=1, service_name=f"{w}-qdrant",
                selector=meta.LabelSelectorArgs(match_labels=part_selector(w, "qdrant")),
                template=core.PodTemplateSpecArgs(metadata=meta.ObjectMetaArgs(
                    labels=self.pod_labels("qdrant"), annotations={**CHECKOV_SKIPS, **QDRANT_SKIP}), spec=pod),
                persistent_volume_claim_retention_policy=apps.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                    when_deleted="Retain", when_scaled="Retain"),
                volume_claim_templates=[core.PersistentVolumeClaimArgs(
                    # stable labels only: a claim template cannot change on an existing StatefulSet
                    metadata=meta.ObjectMetaArgs(name="storage", labels={
                        k: v for k, v in self.pod_labels("qdrant").items() if k != "app.kubernetes.io/version"}),
                    spec=core.PersistentVolumeClaimSpecArgs(
                        access_modes=["ReadWriteOnce"], storage_class_name=self._args.storage_class,
                        resources=core.VolumeResourceRequirementsArgs(
                            requests={"storage": f"{self._args.storage_gi}Gi"})))]),
            opts=opts)


