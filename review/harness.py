"""Run __main__.py under Pulumi's mocks and record every registration with its graph.

``MockResourceArgs`` alone carries no parent, provider, protect or dependencies, so a
MockMonitor subclass records them from the RPC request (DESIGN.md §4).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import ipaddress
import json
import runpy
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

import config
from config import loader
from config.loader import PROJECT, ROOT, config_root
from plan import Plan

SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig
REDACTED = "[secret]"
FAKE_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n").decode()
PROJECT_NUMBER = "123456789012"


def urn_key(urn: str) -> str:
    """``type::name`` of a URN; mock URNs differ from the engine's, so never keep whole URNs."""
    if not urn:
        return ""
    parts = urn.split("::")
    return f"{parts[2].split('$')[-1]}::{parts[3]}"


def clean(value: Any) -> Any:
    """JSON-ready, deterministic form of deserialized inputs: secrets redacted, whole floats as ints."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return REDACTED
        if SECRET_SIG in value:  # resource reference or asset
            return {k: clean(v) for k, v in value.items() if k != SECRET_SIG}
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


@dataclass
class Record:
    """One registered resource, as the review and the tests see it."""

    type: str
    name: str
    parent: str
    provider: str
    protect: bool
    custom: bool
    dependencies: list[str]
    aliases: list[dict]
    ignore_changes: list[str]
    retain_on_delete: bool
    delete_before_replace: bool
    inputs: dict[str, Any]
    read: bool = False  # an existing object the program reads (`Resource.get`), never creates
    replace_on_changes: list[str] = field(default_factory=list)  # inputs whose change replaces it (resource option)

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _mock_id(typ: str, i: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """The id and extra outputs a real provider would return for the resource types this program uses.

    Ids follow each provider's import formats, so a value read off one resource and fed to
    another looks like what GCP would pass (a full KMS key name, a network self link, ...).
    """
    p, region, loc = i.get("project", "mock-project"), i.get("region"), i.get("location")
    n = i.get("name", name)
    compute = "https://www.googleapis.com/compute/v1/"
    if typ == "gcp:compute/network:Network":
        path = f"projects/{p}/global/networks/{n}"
        return path, {"selfLink": compute + path}
    if typ == "gcp:compute/subnetwork:Subnetwork":
        path = f"projects/{p}/regions/{region}/subnetworks/{n}"
        return path, {"selfLink": compute + path}
    if typ in ("gcp:compute/globalAddress:GlobalAddress", "gcp:compute/firewall:Firewall"):
        kind = "addresses" if typ.endswith("GlobalAddress") else "firewalls"
        path = f"projects/{p}/global/{kind}/{n}"
        return path, {"selfLink": compute + path}
    if typ == "gcp:compute/router:Router":
        return f"projects/{p}/regions/{region}/routers/{n}", {}
    if typ == "gcp:kms/keyRing:KeyRing":
        return f"projects/{p}/locations/{loc}/keyRings/{n}", {}
    if typ == "gcp:kms/cryptoKey:CryptoKey":
        return f"{i.get('keyRing')}/cryptoKeys/{n}", {}
    if typ == "gcp:serviceaccount/account:Account":
        email = f"{i['accountId']}@{p}.iam.gserviceaccount.com"
        path = f"projects/{p}/serviceAccounts/{email}"
        return path, {"name": path, "email": email, "member": f"serviceAccount:{email}", "uniqueId": _hash(email)[:21]}
    if typ == "gcp:secretmanager/secret:Secret":
        return f"projects/{p}/secrets/{i['secretId']}", {"name": f"projects/{PROJECT_NUMBER}/secrets/{i['secretId']}"}
    if typ == "gcp:sql/databaseInstance:DatabaseInstance":
        return n, {"connectionName": f"{p}:{region}:{n}",
                   "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{p}/instances/{n}"}
    if typ == "gcp:storage/bucket:Bucket":
        return n, {"url": f"gs://{n}", "selfLink": f"https://www.googleapis.com/storage/v1/b/{n}"}
    if typ == "gcp:filestore/instance:Instance":
        return f"projects/{p}/locations/{loc}/instances/{n}", {}
    if typ == "gcp:dns/managedZone:ManagedZone":
        return f"projects/{p}/managedZones/{n}", {}
    if typ == "gcp:artifactregistry/repository:Repository":
        return f"projects/{p}/locations/{loc}/repositories/{i['repositoryId']}", {"name": i["repositoryId"]}
    if typ == "gcp:container/nodePool:NodePool":
        return f"projects/{p}/locations/{loc}/clusters/{i.get('cluster')}/nodePools/{n}", {}
    if typ == "gcp:container/cluster:Cluster":
        control_plane = i.get("privateClusterConfig", {}).get("masterIpv4CidrBlock", "172.16.0.0/28")
        endpoints = i.get("controlPlaneEndpointsConfig", {})
        dns = endpoints.get("dnsEndpointConfig", {})
        return f"projects/{p}/locations/{loc}/clusters/{n}", {
            "endpoint": str(ipaddress.IPv4Network(control_plane)[2]),
            "masterAuth": {"clusterCaCertificate": FAKE_CA},
            "controlPlaneEndpointsConfig": {**endpoints, "dnsEndpointConfig": {
                **dns, "endpoint": f"gke-{_hash(p, loc or '', n)[:32]}.{loc}.gke.goog"}}}
    if typ == "gcp:projects/service:Service":
        return f"{p}/{i['service']}", {}
    if typ == "gcp:compute/address:Address":
        path = f"projects/{p}/regions/{region}/addresses/{n}"
        internal = i.get("addressType") == "INTERNAL"
        ip = f"10.{int(_hash(path)[:2], 16) % 256}.0.10" if internal else f"203.0.113.{int(_hash(path)[:2], 16) % 250 + 2}"
        return path, {"selfLink": compute + path, "address": ip}
    if typ == "gcp:certificatemanager/dnsAuthorization:DnsAuthorization":
        domain = i["domain"]
        # a regional (per-project) authorization's record names its location (published examples)
        return f"projects/{p}/locations/{loc}/dnsAuthorizations/{n}", {"dnsResourceRecords": [{
            "name": f"_acme-challenge_{_hash(p, loc or '', domain)[:16]}.{domain}.", "type": "CNAME",
            "data": f"{_hash(p, domain)[:36]}.1.{loc}.authorize.certificatemanager.goog."}]}
    if typ == "gcp:certificatemanager/certificate:Certificate":
        return f"projects/{p}/locations/{loc}/certificates/{n}", {}
    if typ in ("gcp:compute/regionSecurityPolicy:RegionSecurityPolicy", "gcp:compute/regionSslPolicy:RegionSslPolicy"):
        kind = "securityPolicies" if "Security" in typ else "sslPolicies"
        path = f"projects/{p}/regions/{region}/{kind}/{n}"
        return path, {"selfLink": compute + path}
    if typ == "gcp:logging/projectBucketConfig:ProjectBucketConfig":
        path = f"projects/{p}/locations/{loc}/buckets/{i['bucketId']}"
        return path, {"name": path}
    if typ == "gcp:logging/projectSink:ProjectSink":  # unique_writer_identity: Logging's per-project account
        return f"projects/{p}/sinks/{n}", {
            "writerIdentity": f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com"}
    if typ == "gcp:logging/metric:Metric":
        return n, {}
    if typ == "gcp:monitoring/notificationChannel:NotificationChannel":
        return f"projects/{p}/notificationChannels/{_hash(p, name)[:19]}", {
            "name": f"projects/{p}/notificationChannels/{int(_hash(p, name)[:15], 16)}"}
    if typ == "gcp:monitoring/alertPolicy:AlertPolicy":
        path = f"projects/{p}/alertPolicies/{int(_hash(p, name)[:15], 16)}"
        return path, {"name": path}
    if typ == "gcp:monitoring/customService:CustomService":
        path = f"projects/{p}/services/{i['serviceId']}"
        return path, {"name": path}
    if typ == "gcp:monitoring/slo:Slo":
        path = f"projects/{p}/services/{i['service']}/serviceLevelObjectives/{i['sloId']}"
        return path, {"name": path}
    if typ == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
        check = f"{i.get('displayName', name).lower().replace(' ', '-').replace('/', '-')}-{_hash(p, name)[:8]}"
        return f"projects/{p}/uptimeCheckConfigs/{check}", {"uptimeCheckId": check,
                                                           "name": f"projects/{p}/uptimeCheckConfigs/{check}"}
    if typ == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
        return f"projects/{p}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}", {
            "name": f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"}
    if typ == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
        path = (f"locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
                f"/providers/{i['workloadIdentityPoolProviderId']}")
        return f"projects/{p}/{path}", {"name": f"projects/{PROJECT_NUMBER}/{path}"}
    if typ == "gcp:monitoring/dashboard:Dashboard":
        return f"projects/{p}/dashboards/{_hash(p, name)[:32]}", {}
    if typ == "gcp:projects/iAMCustomRole:IAMCustomRole":
        path = f"projects/{p}/roles/{i['roleId']}"
        return path, {"name": path}
    if typ == "gcp:projects/serviceIdentity:ServiceIdentity":  # the agent's email: service-<number>@gcp-sa-<api>
        email = f"service-{PROJECT_NUMBER}@gcp-sa-{i['service'].split('.')[0]}.iam.gserviceaccount.com"
        return f"projects/{p}/services/{i['service']}", {"email": email, "member": f"serviceAccount:{email}"}
    return f"{name}-id", {}


class PlatformMocks(pulumi_mocks.Mocks):
    """Echo inputs back as outputs, plus what a real provider computes that the program reads:
    realistic ids and self links, emails, the cluster's endpoints. An invoke it does not know fails."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        outputs.setdefault("name", args.name)
        resource_id, computed = _mock_id(args.typ, args.inputs, args.name)
        outputs.update(computed)
        if args.resource_id:  # a read (`Resource.get`) keeps the id it asked for, as a provider does
            resource_id = args.resource_id
        if args.typ.startswith("random:"):
            outputs.setdefault("result", f"mock-{args.name}-value")
        return resource_id, outputs

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        if args.token == "gcp:organizations/getProject:getProject":  # noqa: S105 (an invoke token)
            return {"number": PROJECT_NUMBER, "projectId": args.args.get("projectId", "mock-project")}
        if args.token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":  # noqa: S105
            email = f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
            return {"emailAddress": email, "member": f"serviceAccount:{email}", "project": args.args.get("project")}
        if args.token == "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount":  # noqa: S105
            email = f"project-{PROJECT_NUMBER}@storage-transfer-service.iam.gserviceaccount.com"
            return {"email": email, "member": f"serviceAccount:{email}", "project": args.args.get("project"),
                    "subjectId": "109876543210987654321"}
        if args.token == "gcp:logging/getProjectCmekSettings:getProjectCmekSettings":  # noqa: S105
            return {"project": args.args.get("project"), "name": f"projects/{args.args.get('project')}/cmekSettings",
                    "serviceAccountId": f"service-{PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com"}
        raise NotImplementedError(f"the review's mocks do not know the invoke {args.token}: add what it returns "
                                  "to review/harness.py PlatformMocks.call")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[Record] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            provider_urn = request.provider.split("::" + request.provider.split("::")[-1])[0] if request.provider else ""
            self.records.append(Record(
                type=request.type,
                name=request.name,
                parent=_parent(request.parent),
                provider=urn_key(provider_urn),
                protect=bool(request.protect),
                custom=bool(request.custom),
                dependencies=sorted({urn_key(d) for d in request.dependencies}),
                aliases=[_alias(a) for a in request.aliases],
                ignore_changes=sorted(request.ignoreChanges),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                inputs=clean(rpc.deserialize_properties(request.object)),
                replace_on_changes=sorted(request.replaceOnChanges),
            ))
        return response

    def ReadResource(self, request):  # noqa: N802 (gRPC name)
        response = super().ReadResource(request)
        provider_urn = request.provider.split("::" + request.provider.split("::")[-1])[0] if request.provider else ""
        self.records.append(Record(
            type=request.type, name=request.name, parent=_parent(request.parent), provider=urn_key(provider_urn),
            protect=False, custom=True, dependencies=sorted({urn_key(d) for d in request.dependencies}), aliases=[],
            ignore_changes=[], retain_on_delete=False, delete_before_replace=False, inputs={"id": request.id},
            read=True))
        return response


def _parent(urn: str) -> str:
    key = urn_key(urn)
    return "" if key.startswith("pulumi:pulumi:Stack::") else key


def _alias(alias) -> dict:
    if alias.urn:
        return {"urn": urn_key(alias.urn)}
    spec = alias.spec
    out = {"name": spec.name, "type": spec.type}
    if spec.parentUrn:
        out["parent"] = urn_key(spec.parentUrn)
    if spec.noParent:
        out["noParent"] = True
    return {k: v for k, v in out.items() if v}


@dataclass
class StackRun:
    """What one run of the program under mocks produced."""

    stack: str
    spec: config.PlatformSpec
    records: list[Record]
    exports: dict[str, Any] = field(default_factory=dict)

    @property
    def plan(self) -> Plan:
        """What the stack's spec implies (sizing, quotas, ...), computed once."""
        return Plan.of(self.spec)

    def by_type(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.type == type_]

    @functools.cached_property
    def by_key(self) -> dict[str, Record]:
        """Each record by ``type::name`` (Record.key)."""
        return {r.key: r for r in self.records}

    def ancestors(self, record: Record) -> list[Record]:
        """The components ``record`` sits in, outermost first (the stack itself is not a record)."""
        out, parent = [], record.parent
        while parent and parent in self.by_key:
            out.insert(0, self.by_key[parent])
            parent = out[0].parent
        return out

    def get(self, type_: str, name: str) -> Record:
        matches = [r for r in self.records if r.type == type_ and r.name == name]
        if not matches:
            raise KeyError(f"{type_}::{name} was not registered")
        return matches[0]



HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def is_manifest(record) -> bool:
    """A whole Kubernetes object this program renders itself (not a provider, Helm release or patch)."""
    return (record.custom and record.type.startswith("kubernetes:") and record.type != HELM_RELEASE
            and not record.type.endswith("Patch") and "apiVersion" in record.inputs)


def is_patch(record) -> bool:
    return record.custom and record.type.startswith("kubernetes:") and record.type.endswith("Patch")


def manifests(run: StackRun) -> list[dict[str, Any]]:
    """Every Kubernetes object the stack registers, as it would be sent to the API server."""
    return [record.inputs for record in run.records if is_manifest(record)]


def config_map(stack_config: dict[str, Any]) -> dict[str, str]:
    """Stack config as the CLI passes it: strings as they are, other values as JSON text."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config.items()}


@contextlib.contextmanager
def without_source_positions() -> Iterator[None]:
    """Skip the SDK's per-resource stack capture while a mocked program runs.

    The SDK walks the whole Python stack and turns every frame into a file URI for each
    registration, so the engine can point diagnostics at source lines. The mock monitor
    discards them; under mocks they were the largest single cost of a review (cProfile,
    `make bench`). Restored afterwards: nothing outside the harness sees the difference.
    """
    capture = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = lambda: sdk_resource.source_pb2.StackTrace()
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = capture


def run_program(func: Callable[[], Any], stack: str, stack_config: dict[str, Any] | None = None,
                secret_keys: list[str] | None = None, *, ordered: bool = False,
                project: str = PROJECT) -> tuple[list[Record], dict]:
    """Run ``func`` as a Pulumi program under fresh mocks; returns records (sorted by type and name,
    or in registration order with ``ordered``) and exports.

    Each call installs its own monitor and root Stack, so nothing leaks from one run to the next.
    """
    monitor = RecordingMonitor(PlatformMocks())
    settings.ROOT.set(None)  # a fresh root Stack resource for this run
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    set_all_config(config_map(stack_config or {}), secret_keys or [])
    with without_source_positions():
        _sync_await(run_pulumi_func(func))
    records = monitor.records if ordered else sorted(monitor.records, key=lambda r: (r.type, r.name))
    return records, _exports()


def placeholders(stack_config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Encrypted values (``{secure: ...}``) cannot be decrypted offline: review them as placeholders."""
    plain, secret = {}, []
    for key, value in stack_config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            plain[key], secret = f"review-placeholder-for-{key.split(':')[-1]}", [*secret, key]
        else:
            plain[key] = value
    return plain, secret


def copy_tree(target: Path, source: Path = ROOT) -> Path:
    """Copy a project tree's stack files and config data, with this program and catalog, to ``target``."""
    for item in source.glob("Pulumi*.yaml"):
        shutil.copy(item, target / item.name)
    shutil.copy(ROOT / "__main__.py", target / "__main__.py")
    data = shutil.ignore_patterns("__pycache__", "*.py")
    shutil.copytree(source / "config", target / "config", ignore=data, dirs_exist_ok=True)
    shutil.copytree(ROOT / "config" / "catalog", target / "config" / "catalog", ignore=data, dirs_exist_ok=True)
    return target


def run_stack(stack: str, root: Path = ROOT, stack_config: dict[str, Any] | None = None,
              secret_keys: list[str] | None = None, *, ordered: bool = False) -> StackRun:
    """Validate the stack's config, then run the real program (``root``/__main__.py) under mocks.

    ``secret_keys`` marks config values as Pulumi secrets (as `pulumi config set --secret` does).
    Raises ``config.ConfigError`` for a user mistake before registering anything.
    """
    stack_config = loader.stack_config_from_file(stack, root) if stack_config is None else stack_config
    stack_config, encrypted = placeholders(stack_config)
    secret_keys = [*(secret_keys or []), *encrypted]
    spec = loader.load(stack, stack_config, root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    program = str(root / "__main__.py")
    with config_root(root):
        records, exports = run_program(lambda: runpy.run_path(program, run_name="__main__"), stack, stack_config,
                                       secret_keys, ordered=ordered)
    return StackRun(stack=stack, spec=spec, records=records, exports=exports)


def _exports() -> dict[str, Any]:
    """pulumi.export values: mocks finish the root Stack before the program runs, so read them off it."""
    root = settings.get_root_resource()
    outputs = getattr(root, "outputs", None) or {}
    resolved = _sync_await(pulumi.Output.from_input(outputs).future())
    return clean(resolved or {})
