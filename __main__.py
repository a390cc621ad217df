"""The AI platform, one stack: load the validated spec, build components in order, export.

ProjectServices -> Network -> Encryption -> NodeIdentity -> ImageSupply -> Cluster -> GpuNodePools
-> Storage -> Secrets -> Database -> TenantGuardrails -> Tenant x N -> Autoscaling -> SharedInference
-> ModelWeights -> InferenceEndpoint x N -> PlatformServices -> (InferenceRouting x N) -> TenantEntry x N
(docs/architecture.md). Each component gets its own small
args, built here from the spec; components see nothing else.
"""

import sys

import pulumi

import config
from components.conventions import labels as k8s_labels
from components.data.database import Database, DatabaseArgs
from components.data.secrets import Secrets, SecretsArgs, SecretStore, SuppliedSecret
from components.data.storage import NOT_FOR_TENANTS, TENANT_CLASSES, BucketPolicy, Storage, StorageArgs, StorageKeys
from components.entry.inference_routing import InferenceRouting, InferenceRoutingArgs
from components.entry.platform_services import PlatformServices, PlatformServicesArgs
from components.entry.tenant_entry import Exposure, TenantEntry, TenantEntryArgs
from components.platform.cluster import Cluster, ClusterArgs, ClusterNetwork
from components.platform.encryption import Encryption, EncryptionArgs
from components.platform.gpu_pools import GpuNodePools, GpuNodePoolsArgs, PlacedGpuPool
from components.platform.identity import project_number
from components.platform.image_supply import ImageSupply, ImageSupplyArgs, image_ref
from components.platform.network import Network, NetworkArgs
from components.platform.node_identity import NodeIdentity, NodeIdentityArgs
from components.platform.node_pools import NodeSettings
from components.platform.project_services import ProjectServices, ProjectServicesArgs
from components.tenancy.guardrails import TenantGuardrails, TenantGuardrailsArgs
from components.tenancy.tenant import Billing, Tenant, TenantArgs
from components.tenancy.tenant_network import Endpoint, TenantNetworkArgs
from components.workloads.autoscaling import Autoscaling, AutoscalingArgs
from components.workloads.genbi import GenBi, GenBiArgs, GenBiDatabase
from components.workloads.inference import InferenceEndpoint, InferenceEndpointArgs
from components.workloads.inference import selector as endpoint_selector
from components.workloads.model_weights import ModelWeights, ModelWeightsArgs, WeightCopy
from components.workloads.shared_inference import SharedInference, SharedInferenceArgs
from config.google import kube_dns_ip
from config.naming import sql_name
from config.tenancy import ENDPOINT_PORT
from plan import Plan
from plan.coldstart import cold_start
from plan.endpoints import endpoint_plan
from plan.genbi import GENBI_IMAGES, ai_service_config, genbi_services, model_endpoint
from plan.genbi import PORTS as GENBI_PORTS

try:
    spec = config.load_from_pulumi()
except config.ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

plan = Plan.of(spec)
env, naming, protect = spec.env, spec.naming, spec.env.protect
tenant_pool = env.tenant_pool.name if env.tenant_pool else None  # tenants' CPU workloads and the loaders
number = project_number(spec.project)

apis = ProjectServices("apis", ProjectServicesArgs(project=spec.project, apis=spec.catalog.apis.enabled))
after_apis = pulumi.ResourceOptions(depends_on=[apis])  # every component waits for the APIs it calls
network = Network("network", NetworkArgs(naming=naming, region=spec.region, plan=env.network, protect=protect),
                  opts=after_apis)
keys = Encryption("encryption", EncryptionArgs(
    naming=naming, regions=spec.regions_in_use, settings=env.encryption, project_number=number, protect=protect),
    opts=after_apis)
nodes = NodeIdentity("nodes", NodeIdentityArgs(naming=naming), opts=after_apis)
images = ImageSupply("images", ImageSupplyArgs(
    naming=naming, region=spec.region, registries=spec.catalog.versions.registries,
    images=spec.catalog.versions.images, key=keys.key_id("artifacts"),
    settings=env.image_supply, binary_authorization=env.cluster.binary_authorization), opts=after_apis)
node_settings = NodeSettings(service_account=nodes.email, disk_key=keys.key_id("disks"), node_tag=network.node_tag)
cluster = Cluster("cluster", ClusterArgs(
    naming=naming, location=spec.cluster_location, zones=tuple(env.zones), regional=env.regional,
    network=ClusterNetwork(vpc_id=network.vpc_id, subnet_id=network.subnet_id,
                           pods_range_name=network.pods_range_name, services_range_name=network.services_range_name,
                           control_plane_range=env.network.control_plane_range),
    settings=env.cluster, versions=spec.catalog.versions.gke, nodes=node_settings,
    secrets_key=keys.key_id("gke-secrets"), cpu_pools=tuple(env.cpu_pools),
    backup_agent=env.dr.mode != "none", gpu_metrics=bool(env.gpu_pools), protect=protect), opts=after_apis)
gpus = GpuNodePools("gpu", GpuNodePoolsArgs(
    naming=naming, cluster_name=cluster.name, location=cluster.location, nodes=node_settings,
    gpu_driver=spec.catalog.versions.gpu_driver,
    pools=tuple(PlacedGpuPool(pool, tuple(spec.gpu_pool_zones(pool))) for pool in env.gpu_pools)), opts=after_apis)
buckets = BucketPolicy(naming=naming, settings=env.data.storage, protect=protect)
storage = Storage("storage", StorageArgs(
    buckets=buckets, keys=StorageKeys(storage=keys.key_id("storage"), backups=keys.key_id("backups"),
                                      filestore=keys.key_id("filestore"), disks=keys.key_id("disks")),
    filestore=env.data.filestore, region=spec.region, zone=env.zones[0], vpc_id=network.vpc_id,
    vpc_name=network.vpc_name, psa_range_name=network.psa_range_name,
    psa_range=env.network.private_service_access_range, node_tag=network.node_tag, provider=cluster.provider),
    opts=after_apis)
secret_store = SecretStore(naming=naming, region=spec.region, key=keys.key_id("secrets"), protect=protect)
supplied = config.secret_values_from_pulumi(spec)
secrets = Secrets("secrets", SecretsArgs(
    store=secret_store, project_number=number, workload_pool=cluster.workload_pool, secrets=tuple(
        SuppliedSecret(s.name, tuple(s.readers), supplied[s.name]) for s in env.data.secrets.external)),
    opts=after_apis)
database = Database("database", DatabaseArgs(
    naming=naming, region=spec.region, settings=env.data.database, version=spec.catalog.versions.postgres,
    flags={name: flag.value for name, flag in spec.catalog.database_flags.flags.items()}, vpc_id=network.vpc_id,
    psa_range_name=network.psa_range_name, key=keys.key_id("database"), secrets=secret_store, protect=protect),
    opts=after_apis)
guardrails = TenantGuardrails("guardrails", TenantGuardrailsArgs(
    platform_identities=tuple(env.tenancy.identities(spec.project)),
    platform_groups=tuple(env.tenancy.platform_groups),
    accelerators=tuple(sorted({p.accelerator for p in env.gpu_pools})), storage_classes=TENANT_CLASSES,
    provider=cluster.provider), opts=after_apis)
billing = Billing(account=env.tenancy.billing_account, currency=spec.catalog.prices.currency,
                  project_number=number) if env.tenancy.billing_account else None
tenants = {
    t.name: Tenant(f"tenant-{t.name}", TenantArgs(
        tenant=t, quota=plan.quota(t), naming=naming,
        network=TenantNetworkArgs(
            gateway_namespace=env.tenancy.gateway_namespace, proxy_only_range=env.network.proxy_only_range,
            database_range=env.network.private_service_access_range,
            kube_dns_ip=kube_dns_ip(env.network.services_range),
            shared_endpoints=tuple(Endpoint(e.namespace, e.port)
                                   for e in (spec.shared_endpoints[u] for u in t.uses)),
            routers=bool(env.entry and env.entry.inference_gateway and t.expose)),
        buckets=buckets, bucket_key=keys.key_id("storage"), secrets=secret_store,
        database_instance=database.instance_name, workload_pool=cluster.workload_pool, provider=cluster.provider,
        admin_role=guardrails.tenant_admin_role, forbidden_storage_classes=NOT_FOR_TENANTS,
        shared_secrets={s.name: secrets.ids[s.name] for s in spec.shared_secrets(t)}, billing=billing,
        models_bucket=storage.bucket_names["models"]),
        opts=after_apis)
    for t in spec.tenants
}

# Inference: KEDA, the shared namespace and its loader, then every endpoint (docs/inference.md).
versions, inference = spec.catalog.versions, env.inference
autoscaling = Autoscaling("autoscaling", AutoscalingArgs(
    naming=naming, chart=versions.charts["keda"], registry=images.prefixes["ghcr.io"],
    image_tag=versions.images["keda"].tag, project_number=number, workload_pool=cluster.workload_pool,
    operator_replicas=2 if env.regional else 1, provider=cluster.provider), opts=after_apis)
vllm = image_ref(images.prefixes, versions.images["vllm"])
shared = SharedInference("inference", SharedInferenceArgs(
    namespace=inference.namespace, endpoints=tuple(e.name for e in inference.endpoints),
    consumers=tuple(t.name for t in spec.tenants if set(t.uses) & {e.name for e in inference.endpoints}),
    models_bucket=storage.bucket_names["models"], project_number=number, workload_pool=cluster.workload_pool,
    provider=cluster.provider), opts=after_apis)
served = {}
for _, endpoint, _ in spec.inference_endpoints():
    model = spec.catalog.models.models[endpoint.model]
    source = model.variants[endpoint.dtype]
    if source.repo:
        served[source.cache_path] = WeightCopy(repo=source.repo, revision=source.revision, cache_path=source.cache_path,
                                               weights_gib=model.weights_gib(endpoint.dtype), gated=model.gated)
if any(c.gated for c in served.values()) and supplied.get("hf-token") is None:
    pulumi.log.warn("a gated model is served but ai-platform:hfToken is not set: its loader Job cannot download "
                    "it (`pulumi config set --secret ai-platform:hfToken hf_...`)")
ModelWeights("models", ModelWeightsArgs(
    namespace=shared.namespace, copies=tuple(served[k] for k in sorted(served)),
    bucket=storage.bucket_names["models"], image=vllm, project_number=number, workload_pool=cluster.workload_pool,
    token_secret=secrets.paths.get("hf-token"), labels=k8s_labels("model-loader"),
    node_pool=tenant_pool, provider=cluster.provider),
    opts=pulumi.ResourceOptions(depends_on=[apis, secrets, shared]))  # the token's reader grant, the namespace
endpoints, plans = {}, {}
for namespace, endpoint, sla in spec.inference_endpoints():
    sizing = plan.sizing(endpoint, sla)
    serving = endpoint_plan(spec, endpoint, sizing, inference.queue_target, cold_start(spec, endpoint, sizing).probe_budget)
    tenant = tenants.get(namespace)
    plans[f"{namespace}/{endpoint.name}"] = serving
    exposed = tenant is not None and endpoint.name in spec.tenant(namespace).expose
    endpoints[f"{namespace}/{endpoint.name}"] = InferenceEndpoint(
        f"endpoint-{namespace}-{endpoint.name}", InferenceEndpointArgs(
            plan=serving, namespace=tenant.namespace if tenant else shared.namespace, service_account=endpoint.name,
            image=vllm, models_bucket=storage.bucket_names["models"], provider=cluster.provider,
            labels=k8s_labels("inference", namespace if tenant else None),
            monitoring_project=spec.project, cluster=cluster.name, autoscaler=autoscaling,
            working_hours=(inference.working_hours.start, inference.working_hours.end,
                           inference.working_hours.timezone), exposed=exposed),
        # its service account, Workload Identity and bucket grants, priority class and admission policies
        opts=pulumi.ResourceOptions(depends_on=[apis, tenant or shared, guardrails]))

# GenBI (docs/genbi.md): WrenAI per tenant workload, on the endpoints it resolves to.
genbis: dict[str, list[tuple[str, GenBi]]] = {}
for t in spec.tenants:
    for w in t.genbi:
        (llm_ns, llm), (embed_ns, embedder) = plan.genbi_endpoints(t, w)
        genbi = GenBi(f"genbi-{t.name}-{w.name}", GenBiArgs(
            tenant=t.name, workload=w.name, namespace=tenants[t.name].namespace,
            google_member=tenants[t.name].google_member, store=secret_store,
            database=GenBiDatabase(connection_name=database.connection_name, name=sql_name(t.name),
                                   user=sql_name(t.name)),
            images={part: image_ref(images.prefixes, versions.images[key]) for part, key in GENBI_IMAGES.items()},
            ai_config=ai_service_config(
                spec.catalog.genbi, model_endpoint(llm_ns, llm), model_endpoint(embed_ns, embedder),
                spec.catalog.models.models[embedder.model].embedding_dim, genbi_services(t.name, w.name)),
            generation_model=llm.model,
            model_pods=tuple(endpoint_selector(plans[f"{ns}/{e.name}"]) for ns, e in ((llm_ns, llm), (embed_ns, embedder))
                             if ns == t.name),
            data_sources=tuple(w.data_sources), prod=spec.environment == "prod", storage_gi=w.storage_gi,
            storage_class="balanced-cmek", labels=k8s_labels("genbi", t.name), provider=cluster.provider,
            node_pool=tenant_pool,
            release=spec.catalog.genbi.release),
            opts=pulumi.ResourceOptions(depends_on=[apis, tenants[t.name], guardrails]))
        genbis.setdefault(t.name, []).append((w.name, genbi))

# The way in (docs/entry.md): the gateway, then each exposing tenant's routes behind Cloud Armor and IAP.
entry, urls = env.entry, {}
if entry is not None:
    exposing = [t for t in spec.tenants if t.sites]
    gateway = PlatformServices("entry", PlatformServicesArgs(
        naming=naming, region=spec.region, settings=entry, namespace=env.tenancy.gateway_namespace,
        sites=tuple(t.name for t in exposing), subnet_id=network.subnet_id, protect=protect,
        provider=cluster.provider), opts=after_apis)
    iap_secret = secrets.values.get(entry.iap.client_secret)
    if exposing and iap_secret is None:
        pulumi.log.warn(f"IAP needs its OAuth client secret: `pulumi config set --secret ai-platform:"
                        f"{next(s.config_key for s in env.data.secrets.external if s.name == entry.iap.client_secret)}"
                        " ...` (docs/entry.md); until then IAP still refuses requests without its token, and browser sign-in fails")
    if exposing and entry.iap.client_id.startswith("000000000000-"):
        pulumi.log.warn(f"entry.iap.client_id in config/environments/{spec.environment}.yaml is the placeholder: create the OAuth client "
                        "(docs/entry.md, before the first apply) and put its id there; IAP refuses every sign-in")
    for t in exposing:
        routing = []
        if entry.inference_gateway:
            routing = [InferenceRouting(f"routing-{t.name}-{name}", InferenceRoutingArgs(
                endpoint=name, namespace=tenants[t.name].namespace, selector=endpoint_selector(plans[f"{t.name}/{name}"]),
                port=ENDPOINT_PORT, chart=versions.charts["llm-d-router-gateway"], registry=images.prefixes["ghcr.io"],
                image_tag=versions.images["llm-d-router-endpoint-picker"].tag, replicas=2 if env.regional else 1,
                provider=cluster.provider), opts=pulumi.ResourceOptions(depends_on=[apis, tenants[t.name]]))
                for name in t.expose]
        site = TenantEntry(f"entry-{t.name}", TenantEntryArgs(
            tenant=t.name, namespace=tenants[t.name].namespace, domain=entry.tenant_domain(t.name),
            exposures=tuple(Exposure(name=name, hostname=entry.hostname(t.name, name), port=ENDPOINT_PORT,
                                     drain_seconds=plans[f"{t.name}/{name}"].termination_grace_seconds,
                                     pool=entry.inference_gateway) for name in t.expose)
            + tuple(Exposure(name=name, hostname=entry.hostname(t.name, name), port=GENBI_PORTS["ui"],
                             drain_seconds=genbi.grace_seconds, health_path=None, backend=genbi.ui_service)
                    for name, genbi in genbis.get(t.name, [])),
            gateway=gateway.gateway, gateway_namespace=gateway.gateway_namespace,
            security_policy=gateway.security_policy, timeout_sec=entry.backend_timeout_sec,
            iap_client_id=entry.iap.client_id, iap_client_secret=iap_secret or "", project=spec.project,
            members=tuple([f"group:{g}" for g in (*t.owners, *t.viewers)]
                          + [f"serviceAccount:{a}" for a in t.api_clients]),
            labels=k8s_labels("entry", t.name), provider=cluster.provider),
            opts=pulumi.ResourceOptions(depends_on=[apis, gateway, tenants[t.name], *routing,
                                                    *(endpoints[f"{t.name}/{n}"] for n in t.expose),
                                                    *(g for _, g in genbis.get(t.name, []))]))
        urls.update({f"{t.name}/{name}": url for name, url in site.urls.items()})

pulumi.export("environment", spec.environment)
pulumi.export("region", spec.region)
pulumi.export("vpc", network.vpc_id)
pulumi.export("cluster", cluster.name)
pulumi.export("cluster_location", cluster.location)
pulumi.export("node_service_account", nodes.email)
pulumi.export("buckets", storage.bucket_names)
pulumi.export("database_connection", database.connection_name)
pulumi.export("tenants", {name: t.google_account for name, t in tenants.items()})
pulumi.export("inference_endpoints", {name: e.url for name, e in endpoints.items()})
pulumi.export("public_urls", urls)
