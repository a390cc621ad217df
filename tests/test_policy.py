"""The policy pack (policy/): every rule refuses a resource that breaks it, through the offline evaluation the
review uses and through pulumi_policy's own policy objects the way `pulumi preview --policy-pack` calls them;
every stack of both trees passes; unknown values during a preview never make a violation.

Each refusing case starts from the fixture tree's real records (so the case is a realistic resource) and
breaks one thing. A rule without a case here fails ``test_every_rule_has_a_refusing_case``.
"""

from __future__ import annotations

import copy
import json
import runpy
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from config.loader import ROOT
from policy.context import context_of
from policy.evaluate import evaluate, resource_of
from policy.pack import pack_config, policies
from policy.rules import RULES, Context, Resource
from tests.vacuity import examined

RULE_IDS = [r.id for r in RULES]
BY_ID = {r.id: r for r in RULES}

CLUSTER = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
KEY = "gcp:kms/cryptoKey:CryptoKey"
SECRET = "gcp:secretmanager/secret:Secret"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
QUOTA = "kubernetes:core/v1:ResourceQuota"


def _set(props: dict, path: str, value: Any) -> None:
    """Set a dotted path (list indices as numbers); ``None`` removes the key."""
    parts = path.split(".")
    node: Any = props
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


def _container(props: dict) -> dict:
    return props["spec"]["template"]["spec"]["containers"][0]


def _serving(r: Resource) -> bool:
    """A tenant's Deployment with a port (an endpoint or GenBI service), not a platform add-on."""
    containers = r.props.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    return bool(r.labels.get("ai-platform/tenant")) and any(c.get("ports") for c in containers)


# rule id -> (type to break, which one, how). ``how`` edits a deep copy of the inputs.
Edit = Callable[[dict], None]
RESOURCE_CASES: dict[str, tuple[str, Callable[[Resource], bool], Edit]] = {
    "gke-private-nodes": (CLUSTER, lambda r: True, lambda p: (_set(p, "privateClusterConfig.enablePrivateNodes",
                                                                    False), _set(p, "networkConfig", None))),
    "gke-workload-identity": (CLUSTER, lambda r: True, lambda p: _set(p, "workloadIdentityConfig", None)),
    "gke-shielded-nodes": (CLUSTER, lambda r: True, lambda p: _set(p, "enableShieldedNodes", False)),
    "gke-secure-boot": (POOL, lambda r: True,
                        lambda p: _set(p, "nodeConfig.shieldedInstanceConfig.enableSecureBoot", False)),
    "gke-binary-authorization": (CLUSTER, lambda r: True,
                                 lambda p: _set(p, "binaryAuthorization.evaluationMode", "DISABLED")),
    "gke-cmek-etcd": (CLUSTER, lambda r: True, lambda p: _set(p, "databaseEncryption.state", "DECRYPTED")),
    "gke-release-channel": (CLUSTER, lambda r: True, lambda p: _set(p, "releaseChannel.channel", "UNSPECIFIED")),
    "gke-no-default-node-sa": (POOL, lambda r: True, lambda p: _set(p, "nodeConfig.serviceAccount", "default")),
    "gke-no-legacy-abac": (CLUSTER, lambda r: True, lambda p: _set(p, "enableLegacyAbac", True)),
    "gke-no-client-certificates": (CLUSTER, lambda r: True, lambda p: _set(
        p, "masterAuth.clientCertificateConfig.issueClientCertificate", True)),
    "gke-no-legacy-metadata": (POOL, lambda r: True,
                               lambda p: _set(p, "nodeConfig.metadata", {"disable-legacy-endpoints": "false"})),
    "gke-node-auto-repair-upgrade": (POOL, lambda r: True, lambda p: _set(p, "management.autoUpgrade", False)),
    "iam-no-primitive-roles": (PROJECT_MEMBER, lambda r: True, lambda p: _set(p, "role", "roles/editor")),
    "iam-no-broad-admin": (PROJECT_MEMBER, lambda r: True, lambda p: _set(p, "role", "roles/storage.admin")),
    "iam-no-credential-grants-to-humans": (SA_MEMBER, lambda r: True, lambda p: (
        _set(p, "role", "roles/iam.serviceAccountTokenCreator"), _set(p, "member", "user:dev@example.com"))),
    "iam-no-public-members": (BUCKET_MEMBER, lambda r: True, lambda p: _set(p, "member", "allUsers")),
    "iam-no-service-account-keys": ("gcp:serviceaccount/key:Key", None, lambda p: _set(
        p, "serviceAccountId", "projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com")),
    "kms-rotation": (KEY, lambda r: True, lambda p: _set(p, "rotationPeriod", "31536000s")),
    "kms-hsm-in-prod": (KEY, lambda r: True, lambda p: _set(p, "versionTemplate.protectionLevel", "SOFTWARE")),
    "secret-cmek": (SECRET, lambda r: True,
                    lambda p: _set(p, "replication.userManaged.replicas.0.customerManagedEncryption", None)),
    "secret-user-managed-replication": (SECRET, lambda r: True, lambda p: _set(p, "replication", {"auto": {}})),
    "registry-cleanup-policies": (REPOSITORY, lambda r: True, lambda p: _set(p, "cleanupPolicies", [])),
    "registry-cmek": (REPOSITORY, lambda r: True, lambda p: _set(p, "kmsKeyName", None)),
    "k8s-images-from-caches": (DEPLOYMENT, _serving, lambda p: _set(_container(p), "image", "docker.io/vllm/vllm"
                                                                                           "-openai:v0.11.0")),
    "k8s-images-pinned": (DEPLOYMENT, _serving,
                          lambda p: _set(_container(p), "image", _container(p)["image"].rsplit(":", 1)[0] + ":latest")),
    "k8s-requests-limits": (DEPLOYMENT, _serving, lambda p: _set(_container(p), "resources", {})),
    "k8s-probes": (DEPLOYMENT, _serving, lambda p: _set(_container(p), "readinessProbe", None)),
    "k8s-pdb-allows-disruption": (PDB, lambda r: True, lambda p: (_set(p, "spec.maxUnavailable", 0))),
    "sql-no-public-ip": (INSTANCE, lambda r: True, lambda p: _set(p, "settings.ipConfiguration.ipv4Enabled", True)),
    "sql-ssl": (INSTANCE, lambda r: True, lambda p: _set(p, "settings.ipConfiguration.sslMode",
                                                          "ALLOW_UNENCRYPTED_AND_ENCRYPTED")),
    "sql-backups-pitr": (INSTANCE, lambda r: not r.get("masterInstanceName"),
                         lambda p: _set(p, "settings.backupConfiguration.pointInTimeRecoveryEnabled", False)),
    "sql-ha-in-prod": (INSTANCE, lambda r: not r.get("masterInstanceName"),
                       lambda p: _set(p, "settings.availabilityType", "ZONAL")),
    "sql-deletion-protection": (INSTANCE, lambda r: True, lambda p: (
        _set(p, "deletionProtection", False), _set(p, "settings.deletionProtectionEnabled", False))),
    "sql-cmek": (INSTANCE, lambda r: True, lambda p: _set(p, "encryptionKeyName", None)),
    "sql-cis-flags": (INSTANCE, lambda r: True, lambda p: _set(p, "settings.databaseFlags", [
        f for f in p["settings"]["databaseFlags"] if f["name"] != "log_connections"])),
    "gcs-uniform-access": (BUCKET, lambda r: True, lambda p: _set(p, "uniformBucketLevelAccess", False)),
    "gcs-public-access-prevention": (BUCKET, lambda r: True, lambda p: _set(p, "publicAccessPrevention", "inherited")),
    "gcs-cmek": (BUCKET, lambda r: True, lambda p: _set(p, "encryption", None)),
    "gcs-versioning": (BUCKET, lambda r: r.name.endswith("-backups"), lambda p: _set(p, "versioning", None)),
    "gcs-no-force-destroy": (BUCKET, lambda r: True, lambda p: _set(p, "forceDestroy", True)),
    "stack-stateful-protected": (BUCKET, lambda r: True, lambda p: None),  # the case unprotects it (below)
    "stack-cost-labels": (BUCKET, lambda r: True, lambda p: _set(p, "labels", {"managed-by": "pulumi"})),
}


def _broken(resources: list[Resource], type_: str, pick: Callable[[Resource], bool] | None,
            edit: Edit) -> tuple[list[Resource], Resource]:
    """``resources`` with one of ``type_`` (the first ``pick`` accepts) broken by ``edit``; ``pick`` None adds one."""
    if pick is None:
        props: dict = {}
        edit(props)
        bad = Resource(type=type_, name="broken", props=props)
        return [*resources, bad], bad
    target = next(r for r in resources if r.type == type_ and pick(r))
    props = copy.deepcopy(dict(target.props))
    edit(props)
    bad = replace(target, props=props)
    return [bad if r is target else r for r in resources], bad


def _tenant_namespace(resources: list[Resource]) -> str:
    return next(r.get("metadata.name") for r in resources if r.type == "kubernetes:core/v1:Namespace"
                and r.labels.get("ai-platform/tenant"))


def _stack_case(rule_id: str, resources: list[Resource], ctx: Context) -> tuple[list[Resource], Context]:
    """Stack rules and the cases that need more than one edited resource."""
    if rule_id == "k8s-pod-security":
        out, _ = _broken(resources, DEPLOYMENT, _serving, lambda p: _set(
            _container(p), "securityContext", {"privileged": True}))
        return out, ctx
    if rule_id == "k8s-no-external-services-in-tenants":
        namespace = _tenant_namespace(resources)
        service = Resource(SERVICE, "exposed", {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "exposed", "namespace": namespace}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})
        return [*resources, service], ctx
    if rule_id == "stack-tenant-kit":
        namespace = _tenant_namespace(resources)
        return [r for r in resources if not (r.type == QUOTA and r.namespace == namespace)], ctx
    if rule_id == "stack-stateful-protected":
        target = next(r for r in resources if r.type == BUCKET)
        return [replace(r, protect=False) if r is target else r for r in resources], ctx
    if rule_id == "stack-monthly-cost":
        return resources, replace(ctx, monthly_ceiling=1.0)
    type_, pick, edit = RESOURCE_CASES[rule_id]
    return _broken(resources, type_, pick, edit)[0], ctx


@pytest.fixture(scope="module")
def prod(fixture_run) -> tuple[list[Resource], Context]:
    """The fixture tree's prod stack: mandatory enforcement, HSM keys, HA database, every feature."""
    run = fixture_run("prod")
    return [resource_of(r) for r in run.records if r.custom], context_of(run.spec)


def _opts(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=protect, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[])


def _through_pack(rule_id: str, resources: list[Resource], ctx: Context) -> list[str]:
    """Violations of one policy as the pack reports them: pulumi_policy's args, props behind its proxies."""
    policy = next(p for p in policies(lambda args: ctx) if p.name == rule_id)
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    def urn(r: Resource) -> str:
        return f"urn:pulumi:{ctx.stack}::ai-platform::{r.type}::{r.name}"

    if BY_ID[rule_id].stack:
        stack = [PolicyResource(r.type, unknown_checking_proxy(copy.deepcopy(dict(r.props))), urn(r), r.name,
                                _opts(r.protect), None, None, [], {}) for r in resources]
        policy.validate(StackValidationArgs(stack), report)
    else:
        for r in resources:
            if r.type in BY_ID[rule_id].types:
                args = ResourceValidationArgs(r.type, unknown_checking_proxy(copy.deepcopy(dict(r.props))), urn(r),
                                              r.name, _opts(r.protect), None)
                policy.validate(args, report)
    return found


def test_the_pack_has_at_least_thirty_rules_with_an_id_severity_and_remediation():
    assert len(RULES) >= 30
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    for r in RULES:
        assert r.id and r.id != "all" and r.severity in ("low", "medium", "high", "critical"), r
        assert len(r.remediation) > 20 and len(r.description) > 20, r.id


def test_every_rule_has_a_refusing_case():
    stack_only = {"k8s-pod-security", "k8s-no-external-services-in-tenants", "stack-tenant-kit",
                  "stack-monthly-cost"}
    assert set(RULE_IDS) == set(RESOURCE_CASES) | stack_only


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_each_rule_refuses_its_broken_fixture(rule_id, prod):
    resources, ctx = prod
    assert not BY_ID[rule_id].evaluate(resources, ctx), f"{rule_id}: the fixture prod stack breaks it already"
    broken, ctx = _stack_case(rule_id, resources, ctx)
    offline = BY_ID[rule_id].evaluate(broken, ctx)
    assert offline, f"{rule_id} accepted a resource that breaks it"
    pack = _through_pack(rule_id, broken, ctx)
    assert len(pack) == len(offline), f"{rule_id}: the pack and the review disagree"
    assert all(BY_ID[rule_id].remediation in message for message in pack)


def test_every_stack_passes_every_rule(run):
    """The real stacks and their fixture twins break no rule (the prod/staging ones would block their own up)."""
    found = evaluate(run.records, context_of(run.spec))
    assert not found, "\n".join(f"{f.rule} {f.resource}: {f.message}" for f in found)
    examined([r for r in run.records if r.custom], "resources")


def test_an_unknown_value_during_preview_is_not_a_violation(prod):
    """A value the engine computes later (e.g. the key's id on a first preview) skips the check for that
    resource, in the pack as offline: never a false block."""
    resources, ctx = prod
    cluster = next(r for r in resources if r.type == CLUSTER)
    props = copy.deepcopy(dict(cluster.props))
    props["databaseEncryption"] = {"state": "ENCRYPTED", "keyName": UNKNOWN_STRING_VALUE}
    props["privateClusterConfig"] = UNKNOWN_STRING_VALUE
    assert _through_pack("gke-cmek-etcd", [replace(cluster, props=props)], ctx) == []
    assert _through_pack("gke-private-nodes", [replace(cluster, props=props)], ctx) == []


def test_a_dev_stack_is_advised_where_prod_is_blocked(fixture_run):
    """Enforcement comes from the environment: advisory in dev, mandatory in staging and prod; Binary
    Authorization may be off where the environment is advisory."""
    levels = {env: context_of(fixture_run(env).spec).enforcement for env in ("dev", "staging", "prod")}
    assert levels == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}
    config = pack_config(context_of(fixture_run("dev").spec))
    assert config["all"] == "advisory" and config["gke-private-nodes"] == {"enforcementLevel": "advisory",
                                                                            "stack": "dev"}


def test_protected_environments_must_be_mandatory(config_tree):
    from tests.conftest import edit_yaml
    from tests.helpers import load_error

    edit_yaml(config_tree / "config" / "environments" / "prod.yaml",
              lambda d: d["policy"].update(enforcement="advisory"))
    assert load_error(config_tree, "prod").startswith(
        "config/environments/prod.yaml: policy.enforcement: 'advisory' is not allowed where protect is true")


def test_the_pack_config_files_are_current(stack_run):
    """policy/config/<stack>.json (what `--policy-pack-config` reads) matches the stack's environment."""
    from review.docs import generated_files

    files = generated_files([stack_run(s) for s in ("dev", "staging", "prod")])
    for path, text in files.items():
        if path.startswith("policy/config/"):
            assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path} is stale: make docs"
    assert {p for p in files if p.startswith("policy/config/")} == {f"policy/config/{s}.json"
                                                                     for s in ("dev", "staging", "prod")}
    assert json.loads(files["policy/config/prod.json"])["all"] == "mandatory"


def test_the_pack_entry_point_builds_the_pack_the_way_the_analyzer_runs_it(monkeypatch):
    """`pulumi preview --policy-pack policy` runs policy/ with runpy (policy/ first on sys.path). The real
    PolicyPack starts a server and blocks: it is replaced by a recorder here."""
    import pulumi_policy

    built: dict[str, Any] = {}

    class Recorder:
        def __init__(self, name, policies, **kwargs):
            built.update(name=name, policies=policies, **kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", Recorder)
    monkeypatch.setattr(sys, "path", [str(ROOT / "policy"), *[p for p in sys.path if p != str(ROOT)]])
    runpy.run_path(str(ROOT / "policy"), run_name="__main__")
    assert built["name"] == "ai-platform"
    assert [p.name for p in built["policies"]] == RULE_IDS
    assert sys.path[0] == str(ROOT)


def test_the_pack_reads_the_stack_from_its_config_file(tmp_path):
    """In a real preview the pack knows the stack only from --policy-pack-config: it loads that stack's config."""
    from policy.context import context_for_stack

    ctx = context_for_stack("prod", ROOT)
    assert (ctx.stack, ctx.enforcement, ctx.protect) == ("prod", "mandatory", True)
    assert ctx.monthly_cost is not None and ctx.monthly_ceiling > 0


def test_the_policy_files_declare_a_python_pack():
    import yaml

    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert pack["runtime"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text(encoding="utf-8")
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    pin = next(line for line in requirements.splitlines() if line.startswith("pulumi-policy=="))
    assert pin in dev.splitlines(), "the tests evaluate the same pulumi-policy the pack runs"
    assert Path(ROOT / "policy" / "__main__.py").is_file()


def test_the_rules_table_in_the_docs_is_current():
    """docs/policy.md's table is generated from the rules (make docs): a new rule cannot go undocumented."""
    from review.docs import stale_docs

    assert stale_docs(ROOT, []) == [], "run `make docs`"
    text = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    assert all(f"`{rule_id}`" in text for rule_id in RULE_IDS)
