"""Workloads: KEDA, the shared inference namespace and its model loader, the warm spare GPU nodes, every
inference endpoint (docs/inference.md, docs/cold-start.md), then GenBI per tenant workload on the endpoints it
resolves to (docs/genbi.md). All of it runs in the serving cluster (layers/serving.py), on what that region
holds: its image caches and, after the switch, the models bucket's twin and the promoted database; the Google
grants stay on the primary's resources (the twins repeat them: layers/recovery.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.conventions import labels
from components.platform.image_supply import image_ref
from components.workloads.autoscaling import Autoscaling
from components.workloads.genbi import GenBi, GenBiArgs, GenBiDatabase
from components.workloads.inference import InferenceEndpoint, InferenceEndpointArgs
from components.workloads.inference import selector as endpoint_selector
from components.workloads.model_weights import ModelWeights, ModelWeightsArgs
from components.workloads.shared_inference import SharedInference, SharedInferenceArgs
from components.workloads.warm_capacity import WarmCapacity, WarmCapacityArgs, WarmSpare
from config.data import HF_TOKEN_SECRET
from config.naming import sql_name
from config.spec import PlatformSpec
from layers import cluster_services
from layers.platform import Project, RegionalPlatform
from layers.recovery import Recovery
from layers.serving import Serving
from layers.tenancy import Tenancy
from plan import Plan
from plan.capacity import gpu_units_per_node
from plan.genbi import GENBI_IMAGES, ai_service_config, genbi_services, model_endpoint


@dataclass(frozen=True)
class Workloads:
    autoscaling: Autoscaling
    shared: SharedInference
    endpoints: dict[str, InferenceEndpoint]  # by "<namespace>/<endpoint>"
    warm: WarmCapacity | None  # the placeholders of the pools' warm spares (None: no pool keeps any)
    genbis: dict[str, dict[str, GenBi]]  # tenant -> workload name -> its GenBI


def workloads(spec: PlatformSpec, plan: Plan, base: Project, platform: RegionalPlatform, serving: Serving,
              tenancy: Tenancy, dr: Recovery | None) -> Workloads:
    env, versions, cluster, images = spec.env, spec.catalog.versions, serving.cluster, serving.images
    inference, models_bucket = env.inference, platform.storage.bucket_names["models"]  # its grants
    # what pods mount and connect to: the DR copies once the DR region serves
    weights = dr.buckets.names["models"] if serving.secondary else models_bucket
    database = dr.database.connection_name if serving.secondary else platform.database.connection_name
    tenant_pool = env.tenant_pool.name if env.tenant_pool else None  # tenants' CPU workloads and the loaders
    # the serving cluster's KEDA: each cluster runs its own (layers/cluster_services.py); the primary's is built here
    primary_keda = cluster_services.keda(spec, "autoscaling", platform.naming, platform.images, base.number,
                                         platform.cluster, pulumi.ResourceOptions(depends_on=[base.apis]))
    autoscaling = serving.keda or primary_keda
    vllm = image_ref(images.prefixes, versions.images["vllm"])
    shared = SharedInference("inference", SharedInferenceArgs(
        namespace=inference.namespace, endpoints={
            e.name: platform.storage.model_folders[plan.endpoint_plans()[f"{inference.namespace}/{e.name}"].model_path]
            for e in inference.endpoints},
        caches={e.name: platform.storage.cache_folders[plan.endpoint_plans()[f"{inference.namespace}/{e.name}"]
                                                       .cache_folder] for e in inference.endpoints},
        consumers=tuple(t.name for t in spec.tenants if set(t.uses) & {e.name for e in inference.endpoints}),
        models_bucket=models_bucket, project_number=base.number, workload_pool=platform.cluster.workload_pool,
        provider=cluster.provider), opts=serving.after(base.apis))
    copies = plan.weight_copies()
    if any(c.gated for c in copies) and platform.supplied.get(HF_TOKEN_SECRET) is None:
        pulumi.log.warn("a gated model is served but ai-platform:hfToken is not set: its loader Job cannot download "
                        "it (`pulumi config set --secret ai-platform:hfToken hf_...`)")
    ModelWeights("models", ModelWeightsArgs(
        namespace=shared.namespace, copies=copies, bucket=models_bucket, mount=weights, image=vllm,
        project_number=base.number,
        workload_pool=platform.cluster.workload_pool, token_secret=platform.secrets.paths.get(HF_TOKEN_SECRET),
        token_version=platform.secrets.versions.get(HF_TOKEN_SECRET),
        labels=labels("model-loader"), node_pool=tenant_pool, provider=cluster.provider),
        opts=pulumi.ResourceOptions(depends_on=[base.apis, platform.secrets, shared]))  # the token's grant, the namespace

    spares = tuple(WarmSpare(p.name, p.accelerator, p.warm_spares, gpu_units_per_node(p))
                   for p in env.gpu_pools if p.warm_spares)
    warm = WarmCapacity("warm-capacity", WarmCapacityArgs(
        namespace=shared.namespace, spares=spares, image=image_ref(images.prefixes, versions.images["pause"]),
        labels=labels("warm-capacity"), provider=cluster.provider),
        opts=pulumi.ResourceOptions(depends_on=[base.apis, shared])) if spares else None

    plans, endpoints = plan.endpoint_plans(), {}
    hours = inference.working_hours
    for namespace, endpoint, _ in spec.inference_endpoints():
        key, tenant = f"{namespace}/{endpoint.name}", tenancy.tenants.get(namespace)
        endpoints[key] = InferenceEndpoint(f"endpoint-{namespace}-{endpoint.name}", InferenceEndpointArgs(
            plan=plans[key], namespace=tenant.namespace if tenant else shared.namespace, service_account=endpoint.name,
            image=vllm, models_bucket=weights, provider=cluster.provider,
            labels=labels("inference", namespace if tenant else None),
            monitoring_project=spec.project, cluster=cluster.name, autoscaler=autoscaling,
            working_hours=(hours.start, hours.end, hours.timezone),
            exposed=tenant is not None and endpoint.name in spec.tenant(namespace).expose,
            copied_weights=serving.secondary),
            # its service account, Workload Identity and bucket grants, priority class and admission policies
            opts=pulumi.ResourceOptions(depends_on=[base.apis, tenant or shared, tenancy.guardrails]))

    genbis: dict[str, dict[str, GenBi]] = {}
    for t in spec.tenants:
        for w in t.genbi:
            (llm_ns, llm), (embed_ns, embedder) = plan.genbi_endpoints(t, w)
            tenant = tenancy.tenants[t.name]
            genbis.setdefault(t.name, {})[w.name] = GenBi(f"genbi-{t.name}-{w.name}", GenBiArgs(
                tenant=t.name, workload=w.name, namespace=tenant.namespace, google_member=tenant.google_member,
                store=platform.secret_store,
                database=GenBiDatabase(connection_name=database, name=sql_name(t.name),
                                       user=sql_name(t.name)),
                images={part: image_ref(images.prefixes, versions.images[image])
                        for part, image in GENBI_IMAGES.items()},
                ai_config=ai_service_config(
                    spec.catalog.genbi, model_endpoint(llm_ns, llm), model_endpoint(embed_ns, embedder),
                    spec.catalog.models.models[embedder.model].embedding_dim, genbi_services(t.name, w.name)),
                generation_model=llm.model,
                model_pods=tuple(endpoint_selector(plans[f"{ns}/{e.name}"])
                                 for ns, e in ((llm_ns, llm), (embed_ns, embedder)) if ns == t.name),
                data_sources=tuple(w.data_sources), prod=spec.environment == "prod", storage_gi=w.storage_gi,
                storage_class=platform.storage.default_class, labels=labels("genbi", t.name),
                provider=cluster.provider, node_pool=tenant_pool, release=spec.catalog.genbi.release),
                opts=pulumi.ResourceOptions(depends_on=[base.apis, tenant, tenancy.guardrails]))
    return Workloads(autoscaling=autoscaling, shared=shared, endpoints=endpoints, warm=warm, genbis=genbis)
