"""Tenant isolation that a tenant's own admins cannot undo: the attack suite.

Every escape the isolation issue lists is attempted against what the stacks render: the
tenant-admin role (RBAC rules evaluated), the admission policies (CEL evaluated with
cel-python), the quotas and LimitRange (their admission semantics), the cluster-wide Cilium
baseline (its deny rules evaluated) and the config checks. Known values on the fixture tree;
record-wide properties on every real stack.
"""

from __future__ import annotations

import pytest

from tests.admission import Request, denials
from tests.helpers import objects
from tests.isolation import cilium_denies_egress, limit_range_admits, quota_refuses, rbac_allows
from tests.vacuity import examined

DEPLOYER = "platform-deployer@fixture-ai-prod.iam.gserviceaccount.com"
TENANT_ADMIN = "gamma-admins@example.com"



def policy(run, name):
    (found,) = [p for p in objects(run, "ValidatingAdmissionPolicy") if p["metadata"]["name"] == name]
    return found


@pytest.fixture(scope="module")
def prod(fixture_run):
    return fixture_run("prod")


@pytest.fixture(scope="module")
def role(prod):
    (found,) = [r for r in objects(prod, "ClusterRole") if r["metadata"]["name"] == "ai-platform-tenant-admin"]
    return found["rules"]


@pytest.fixture(scope="module")
def gamma_namespace(prod):
    (namespace,) = [n for n in objects(prod, "Namespace") if n["metadata"]["name"] == "gamma"]
    return namespace


def pod(name="p", *, selector=None, priority=None, gpus=0, labels=None, affinity=None, cpu=None, **spec_fields):
    container = {"name": "c", "image": "x", "resources": {}}
    if gpus:
        container["resources"]["limits"] = {"nvidia.com/gpu": str(gpus)}
    if cpu:
        container["resources"]["requests"] = {"cpu": cpu}
    spec = {"containers": [container]}
    if selector:
        spec["nodeSelector"] = selector
    if priority:
        spec["priorityClassName"] = priority
    if affinity:
        spec["affinity"] = affinity
    spec.update(spec_fields)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


# --- the tenant-admin role ----------------------------------------------------------------------

NEEDED = [("create", "apps", "deployments"), ("update", "apps", "statefulsets"), ("create", "batch", "jobs"),
          ("create", "", "services"), ("create", "", "configmaps"), ("create", "", "persistentvolumeclaims"),
          ("create", "autoscaling", "horizontalpodautoscalers"), ("create", "", "pods/exec"), ("get", "", "pods/log"),
          ("list", "", "events"), ("delete", "", "pods"), ("patch", "apps", "deployments/scale"),
          ("create", "policy", "poddisruptionbudgets")]
FORBIDDEN = [(verb, group, resource) for verb in ("create", "update", "patch", "delete")
             for group, resource in (("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "roles"),
                                     ("rbac.authorization.k8s.io", "rolebindings"), ("", "serviceaccounts"),
                                     ("", "resourcequotas"), ("", "limitranges"), ("networking.k8s.io", "ingresses"),
                                     ("", "namespaces"), ("", "secrets"), ("apps", "daemonsets"),
                                     ("secrets-store.csi.x-k8s.io", "secretproviderclasses"))]
FORBIDDEN += [("escalate", "rbac.authorization.k8s.io", "roles"), ("bind", "rbac.authorization.k8s.io", "roles"),
              ("impersonate", "", "serviceaccounts"), ("create", "", "serviceaccounts/token")]


@pytest.mark.parametrize(("verb", "group", "resource"), NEEDED)
def test_tenant_admins_can_run_their_apps(role, verb, group, resource):
    assert rbac_allows(role, verb, group, resource)


@pytest.mark.parametrize(("verb", "group", "resource"), FORBIDDEN)
def test_tenant_admins_cannot_change_isolation(role, verb, group, resource):
    assert not rbac_allows(role, verb, group, resource)


def test_owners_get_the_tenant_admin_role_everywhere(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        bindings = objects(run, "RoleBinding", tenant.name)
        people = {b["roleRef"]["name"] for b in bindings if any(s["kind"] == "Group" for s in b["subjects"])}
        assert "ai-platform-tenant-admin" in people and people <= {"ai-platform-tenant-admin", "view"}
        # the rest let managed Prometheus's collector read one scrape credential each
        for binding in bindings:
            if binding["roleRef"]["name"] not in people:
                assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "collector", "namespace": "gmp-system"}]


# --- escapes from the issue, each refused ------------------------------------------------------

def test_deleting_or_editing_a_platform_object_is_refused_even_with_rbac(prod):
    """RBAC refuses it; if a RoleBinding ever granted it, admission still would."""
    managed = policy(prod, "ai-platform-managed-objects")
    for kind in ("NetworkPolicy", "ServiceAccount", "RoleBinding", "ResourceQuota", "LimitRange"):
        (obj,) = objects(prod, kind, "gamma")[:1]
        edited = {**obj, "metadata": {**obj["metadata"], "labels": {}}}
        assert denials(managed, Request(None, obj, username=TENANT_ADMIN)), f"delete {kind}"
        assert denials(managed, Request(edited, obj, username=TENANT_ADMIN)), f"unlabel {kind}"
        assert not denials(managed, Request(None, obj, username=DEPLOYER)), f"the platform may change {kind}"
    fake = {"kind": "NetworkPolicy", "metadata": {"name": "allow-all", "labels": {"ai-platform/managed": "true"}}}
    assert denials(managed, Request(fake, username=TENANT_ADMIN)), "posing as the platform"
    own = {"kind": "ConfigMap", "metadata": {"name": "app-config", "labels": {}}}
    assert not denials(managed, Request(own, username=TENANT_ADMIN)), "the tenant's own objects are its own"


def test_the_namespace_cannot_be_relabelled_or_deleted_by_its_tenant(prod, gamma_namespace):
    managed = policy(prod, "ai-platform-managed-objects")
    weaker = {**gamma_namespace, "metadata": {**gamma_namespace["metadata"], "labels": {
        **gamma_namespace["metadata"]["labels"], "pod-security.kubernetes.io/enforce": "privileged"}}}
    assert denials(managed, Request(weaker, gamma_namespace, username=TENANT_ADMIN))
    assert denials(managed, Request(None, gamma_namespace, username=TENANT_ADMIN))


def test_a_wide_open_egress_policy_cannot_reach_other_tenants_nodes_or_metadata(prod, role):
    """Even a NetworkPolicy allowing 0.0.0.0/0 (which RBAC keeps tenants from creating) is cut by the
    cluster-wide deny baseline, which takes precedence over any allow."""
    assert not rbac_allows(role, "create", "networking.k8s.io", "networkpolicies")
    (baseline,) = [p for p in objects(prod, "CiliumClusterwideNetworkPolicy")
                   if p["metadata"]["name"] == "tenant-gamma-baseline"]
    spec = baseline["spec"]
    gamma = {"k8s:io.kubernetes.pod.namespace": "gamma"}
    alpha_pod = {"k8s:io.kubernetes.pod.namespace": "alpha",
                 "k8s:io.cilium.k8s.namespace.labels.ai-platform/tenant": "alpha"}
    assert cilium_denies_egress(spec, gamma, {"labels": alpha_pod, "port": 8000})
    assert cilium_denies_egress(spec, gamma, {"entity": "remote-node", "port": 10250})  # kubelets
    assert cilium_denies_egress(spec, gamma, {"entity": "kube-apiserver", "port": 443})
    assert cilium_denies_egress(spec, gamma, {"ip": "169.254.169.253", "port": 80})  # link-local, not GKE's
    # what tenants need stays open: DNS on the node, GKE's metadata server, their own pods, the internet policy
    assert not cilium_denies_egress(spec, gamma, {"entity": "host", "port": 53})
    assert not cilium_denies_egress(spec, gamma, {"ip": "169.254.169.254", "port": 80})
    assert not cilium_denies_egress(spec, gamma, {"ip": "169.254.169.252", "port": 988})
    same = {"k8s:io.kubernetes.pod.namespace": "gamma", "k8s:io.cilium.k8s.namespace.labels.ai-platform/tenant": "gamma"}
    assert not cilium_denies_egress(spec, gamma, {"labels": same, "port": 8000})
    assert spec["enableDefaultDeny"] == {"ingress": False, "egress": False}, "the baseline only subtracts"


def test_every_tenant_has_a_baseline_and_the_cluster_enforces_them(run):
    names = {p["metadata"]["name"] for p in objects(run, "CiliumClusterwideNetworkPolicy")}
    entry = run.spec.env.entry
    routers = {t.name for t in run.spec.tenants if entry and entry.inference_gateway and t.expose}
    assert names == ({f"tenant-{t.name}-baseline" for t in run.spec.tenants}
                     | {f"tenant-{name}-router" for name in routers})
    for cluster in run.by_type("gcp:container/cluster:Cluster"):  # a warm standby too
        assert cluster.inputs["enableCiliumClusterwideNetworkPolicy"] is True


def test_ingresses_external_ips_load_balancers_and_node_ports_are_refused(prod):
    quotas = objects(prod, "ResourceQuota", "gamma")
    services = policy(prod, "ai-platform-tenant-services")
    ingress = {"kind": "Ingress", "metadata": {"name": "public"}, "spec": {}}
    assert quota_refuses(quotas, ingress) == ["tenant-quota: count/ingresses.networking.k8s.io"]
    for spec in ({"type": "LoadBalancer"}, {"type": "NodePort"}, {"type": "ClusterIP", "externalIPs": ["10.60.0.3"]}):
        service = {"kind": "Service", "metadata": {"name": "s"}, "spec": spec}
        assert denials(services, Request(service, username=TENANT_ADMIN)), spec
    assert quota_refuses(quotas, {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}})
    for cluster in prod.by_type("gcp:container/cluster:Cluster"):
        assert cluster.inputs["serviceExternalIpsConfig"] == {"enabled": False}
    assert not denials(services, Request({"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}}))


def test_only_the_platform_exposes_pods_to_the_gateway(prod):
    exposure = policy(prod, "ai-platform-gateway-exposure")
    exposed = {"ai-platform/expose": "true"}
    deployment = {"kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"template": {"metadata": {"labels": exposed}, "spec": {}}}}
    assert denials(exposure, Request(deployment, username=TENANT_ADMIN))
    assert denials(exposure, Request(pod(labels=exposed), username=TENANT_ADMIN))
    assert not denials(exposure, Request(deployment, username=DEPLOYER))
    # the ReplicaSet controller creating pods of the platform's Deployment
    assert not denials(exposure, Request(pod(labels=exposed),
                                         username="system:serviceaccount:kube-system:replicaset-controller"))


def test_gpus_are_capped_per_accelerator_type(prod, gamma_namespace):
    """gamma may use 4 L4 (tier) and 4 A100 (its 70B model): it cannot take 8 A100 by any route."""
    accelerators = policy(prod, "ai-platform-accelerators")
    quotas = objects(prod, "ResourceQuota", "gamma")
    a100 = {"ai-platform/accelerator": "nvidia-a100-80gb"}
    ns = gamma_namespace
    eight = pod(selector=a100, priority="gpu-nvidia-a100-80gb", gpus=8)
    assert not denials(accelerators, Request(eight, namespace=ns))  # admissible in form...
    assert "gpu-nvidia-a100-80gb: requests.nvidia.com/gpu" in quota_refuses(quotas, eight)  # ...but over its quota
    assert not quota_refuses(quotas, pod(selector=a100, priority="gpu-nvidia-a100-80gb", gpus=4))
    # dodging the per-type quota: no priority class, the L4 class, no selector, GKE's label, node affinity
    assert denials(accelerators, Request(pod(selector=a100, gpus=8), namespace=ns))
    assert denials(accelerators, Request(pod(selector=a100, priority="gpu-nvidia-l4", gpus=8), namespace=ns))
    assert denials(accelerators, Request(pod(gpus=8), namespace=ns))
    assert denials(accelerators, Request(pod(selector={"cloud.google.com/gke-accelerator": "nvidia-a100-80gb"},
                                             gpus=8), namespace=ns))
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "ai-platform/accelerator", "operator": "In", "values": ["nvidia-a100-80gb"]}]}]}}}
    assert denials(accelerators, Request(pod(affinity=affinity, gpus=8), namespace=ns))
    # a type the tenant has no quota for
    h100 = pod(selector={"ai-platform/accelerator": "nvidia-h100-80gb"}, priority="gpu-nvidia-h100-80gb", gpus=1)
    assert denials(accelerators, Request(h100, namespace=ns)) == ["this accelerator type is not in the tenant's quota"]


def test_pods_without_gpus_stay_off_gpu_nodes_and_evict_nobody(prod, gamma_namespace):
    """Review finding: a pod could sit on GPU nodes (tolerating the taint, naming the pool or the node)
    or take GKE's gmp-critical priority class and evict other tenants' servers."""
    accelerators = policy(prod, "ai-platform-accelerators")
    ns = gamma_namespace
    gpu_toleration = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    pool = {"cloud.google.com/gke-nodepool": "aip-prod-a100"}
    refused = {
        "tolerates the GPU taint": pod(tolerations=gpu_toleration),
        "tolerates everything": pod(tolerations=[{"operator": "Exists"}]),
        "selects a pool": pod(selector=pool, tolerations=gpu_toleration),
        "selects an instance type": pod(selector={"node.kubernetes.io/instance-type": "a2-ultragpu-2g"}),
        "names a node": pod(nodeName="gke-aip-prod-a100-1234"),
        "affinity on a hostname": pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                                         "values": ["gke-aip-prod-a100-1234"]}]}]}}}),
        "affinity on a node field": pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchFields": [{"key": "metadata.name", "operator": "In",
                                                          "values": ["n"]}]}}]}}),
        "GKE's gmp-critical": pod(priority="gmp-critical"),
        "system-cluster-critical": pod(priority="system-cluster-critical"),
        "a GPU class without GPUs": pod(priority="gpu-nvidia-l4"),
    }
    for what, attempt in refused.items():
        assert denials(accelerators, Request(attempt, namespace=ns)), what
    admitted = {
        "a plain pod": pod(cpu="1"),
        "spread by zone": pod(selector={"topology.kubernetes.io/zone": "us-central1-a"},
                              tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                            "effect": "NoExecute", "tolerationSeconds": 300}]),
        "a GPU pod tolerating its taint": pod(selector={"ai-platform/accelerator": "nvidia-l4"},
                                              priority="gpu-nvidia-l4", gpus=1, tolerations=gpu_toleration),
    }
    for what, attempt in admitted.items():
        assert not denials(accelerators, Request(attempt, namespace=ns)), what


def test_pod_monitorings_scrape_only_the_tenants_own_pods(prod):
    monitoring = policy(prod, "ai-platform-tenant-monitoring")

    def monitor(**endpoint):
        return {"kind": "PodMonitoring", "metadata": {"name": "m"},
                "spec": {"selector": {}, "endpoints": [{"port": "metrics", "interval": "30s", **endpoint}]}}

    assert not denials(monitoring, Request(monitor(), username=TENANT_ADMIN))
    for field, value in (("proxyUrl", "http://alpha-svc.alpha:8001"), ("oauth2", {"tokenUrl": "http://10.0.0.1/"}),
                         ("basicAuth", {"username": "u"}), ("authorization", {"type": "Bearer"}),
                         ("tls", {"insecureSkipVerify": True})):
        assert denials(monitoring, Request(monitor(**{field: value}), username=TENANT_ADMIN)), field


def test_break_glass_group_members_may_change_platform_objects(prod):
    managed = policy(prod, "ai-platform-managed-objects")
    (quota,) = objects(prod, "ResourceQuota", "gamma")[:1]
    admin = Request(None, quota, username="someone@example.com", groups=["platform-admins@example.com"])
    assert not denials(managed, admin)
    assert denials(managed, Request(None, quota, username="someone@example.com", groups=["gamma-admins@example.com"]))


def test_per_type_quotas_and_namespace_labels_follow_the_capacity_numbers(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        gpus = run.plan.quota(tenant).gpus
        (namespace,) = [n for n in objects(run, "Namespace") if n["metadata"]["name"] == tenant.name]
        allowed = {k.split("/", 1)[1] for k in namespace["metadata"]["labels"] if k.startswith("accelerator.ai-platform/")}
        assert allowed == set(gpus)
        classes = {p["metadata"]["name"] for p in objects(run, "PriorityClass")}
        assert {f"gpu-{kind}" for kind in gpus} <= classes


def test_volumes_only_on_the_platforms_encrypted_classes(prod):
    quotas = objects(prod, "ResourceQuota", "gamma")
    storage = policy(prod, "ai-platform-tenant-storage")

    def claim(storage_class):
        spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
        if storage_class:
            spec["storageClassName"] = storage_class
        return {"kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": spec}

    for forbidden in ("filestore", "standard-rwo", "premium-rwo", "standard-rwx"):
        assert denials(storage, Request(claim(forbidden))), forbidden
        assert quota_refuses(quotas, claim(forbidden)), forbidden
    for allowed in (None, "balanced-cmek", "ssd-cmek"):
        assert not denials(storage, Request(claim(allowed))) and not quota_refuses(quotas, claim(allowed))


def test_limit_range_neither_rejects_nor_starves(run):
    for tenant in examined(run.spec.tenants, "tenants"):
        (limit_range,) = objects(run, "LimitRange", tenant.name)
        big = {"name": "c", "resources": {"requests": {"cpu": "4", "memory": "24Gi"}}}
        admitted, _ = limit_range_admits(limit_range, big)
        assert admitted, "a container requesting 4 CPUs without a limit is admitted"
        gpu = {"name": "vllm", "resources": {"limits": {"nvidia.com/gpu": "1"}}}
        _, resources = limit_range_admits(limit_range, gpu)
        assert "memory" not in resources["limits"], "no default memory limit to OOM-kill a GPU server"


def test_the_old_limit_range_would_have_rejected_it():
    """Guards the evaluator: the previous defaults (500m / 512Mi limits) refuse a 4-CPU request."""
    old = {"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                                "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}}
    assert not limit_range_admits(old, {"name": "c", "resources": {"requests": {"cpu": "4"}}})[0]


@pytest.mark.parametrize("name", ["kube-system", "kube-public", "gke-managed-x", "gmp-system", "default",
                                  "monitoring", "gateway-system"])
def test_reserved_namespaces_cannot_be_tenants(config_tree, name):
    import yaml

    import config
    from config import loader
    (config_tree / f"config/tenants/{name}.yaml").write_text(yaml.safe_dump({
        "name": name, "display_name": name, "tier": "basic", "stacks": ["dev"], "owners": ["a@example.com"], "alerts": {"emails": ["oncall@example.com"]},
        "sla": 99.0}))
    with pytest.raises(config.ConfigError) as caught:
        loader.load("dev", loader.stack_config_from_file("dev", config_tree), config_tree)
    assert str(caught.value).startswith(f"config/tenants/{name}.yaml: name: '{name}' is reserved: ")
