"""Secret Manager secrets: CMEK, user-managed replication, one reader list per secret.

Values come from pulumi-random (generated) or Pulumi secret config (supplied by a human) and
are written only into Secret Manager. Pods read them through the GKE Secret Manager add-on
(``secret_provider_class``), so no value reaches a manifest, the state's plain inputs or the
review bundle.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from components.conventions import component_type, formerly
from components.platform.identity import workload_principal
from config.naming import Naming

ACCESSOR = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class SecretStore:
    """Where this stack keeps secrets: its region only, encrypted with the ``secrets`` key. With a ``twin``
    (the DR region's store) every secret gets a twin there holding the same value: a secret's replicas
    cannot change once it exists, and a secret in the primary region only is out of reach with it."""

    naming: Naming
    region: str
    key: pulumi.Input[str]
    protect: bool
    twin: SecretStore | None = None
    serving_twins: bool = False  # the DR region serves (`dr.serving_region: secondary`): workloads read the twins

    def served(self, secret: gcp.secretmanager.Secret, twin: gcp.secretmanager.Secret | None) -> pulumi.Output[str]:
        """The id a workload's SecretProviderClass names: the twin's once the DR region serves, since the
        source's only replica is in the region that failed."""
        return twin.id if self.serving_twins and twin is not None else secret.id


def twin_secret(resource_name: str, store: SecretStore, thing: str, value: pulumi.Input[str] | None, *,
                component: str, parent: pulumi.Resource,
                tenant: str | None = None) -> gcp.secretmanager.Secret | None:
    """The DR region's copy of secret ``thing`` with ``value`` (where the store has a twin)."""
    if store.twin is None:
        return None
    twin = managed_secret(f"{resource_name}-{store.twin.region}", store.twin, thing, component=component,
                          parent=parent, tenant=tenant)
    if value is not None:
        secret_version(f"{resource_name}-{store.twin.region}-v", twin, value, parent)
    return twin


def managed_secret(resource_name: str, store: SecretStore, thing: str, *, component: str,
                   parent: pulumi.Resource, tenant: str | None = None) -> gcp.secretmanager.Secret:
    """An empty secret, replicated in the stack's region only, encrypted with the store's key."""
    sm = gcp.secretmanager
    return sm.Secret(
        resource_name,
        secret_id=store.naming.name(thing, kind="secret"),
        project=store.naming.project,
        replication=sm.SecretReplicationArgs(user_managed=sm.SecretReplicationUserManagedArgs(replicas=[
            sm.SecretReplicationUserManagedReplicaArgs(
                location=store.region,
                customer_managed_encryption=sm.SecretReplicationUserManagedReplicaCustomerManagedEncryptionArgs(
                    kms_key_name=store.key))])),
        deletion_protection=store.protect,
        labels=store.naming.labels(component, tenant),
        opts=pulumi.ResourceOptions(parent=parent, protect=store.protect),
    )


def secret_version(resource_name: str, secret: gcp.secretmanager.Secret, value: pulumi.Input[str],
                   parent: pulumi.Resource) -> gcp.secretmanager.SecretVersion:
    return gcp.secretmanager.SecretVersion(
        resource_name, secret=secret.id, secret_data=pulumi.Output.secret(value),
        opts=pulumi.ResourceOptions(parent=parent))


def generated_secret(resource_name: str, store: SecretStore, thing: str, *, component: str,
                     parent: pulumi.Resource, tenant: str | None = None,
                     length: int = 32) -> tuple[random.RandomPassword, gcp.secretmanager.Secret,
                                                gcp.secretmanager.Secret | None]:
    """A random credential stored as the first version of a new secret (and of its twin, returned last)."""
    password = random.RandomPassword(
        f"{resource_name}-value", length=length, special=False, min_lower=2, min_upper=2, min_numeric=2,
        opts=pulumi.ResourceOptions(parent=parent, protect=store.protect))
    secret = managed_secret(resource_name, store, thing, component=component, parent=parent, tenant=tenant)
    secret_version(f"{resource_name}-v", secret, password.result, parent)
    twin = twin_secret(resource_name, store, thing, password.result, component=component, parent=parent, tenant=tenant)
    return password, secret, twin


def grant_access(resource_name: str, *, project: pulumi.Input[str], secret_id: pulumi.Input[str],
                 member: pulumi.Input[str], parent: pulumi.Resource,
                 twin: gcp.secretmanager.Secret | None = None) -> gcp.secretmanager.SecretIamMember:
    """``secretAccessor`` on this one secret, for this one identity; and on its DR twin, if any, so that what
    reads the secret reads the twin after a failover (and nothing else does)."""
    if twin is not None:
        gcp.secretmanager.SecretIamMember(
            f"{resource_name}-twin", project=twin.project, secret_id=twin.secret_id, role=ACCESSOR, member=member,
            opts=pulumi.ResourceOptions(parent=parent))
    return gcp.secretmanager.SecretIamMember(
        resource_name, project=project, secret_id=secret_id, role=ACCESSOR, member=member,
        opts=pulumi.ResourceOptions(parent=parent))


def secret_provider_class(resource_name: str, *, name: str, namespace: str, files: dict[str, pulumi.Input[str]],
                          labels_: dict[str, str], opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """A SecretProviderClass for the GKE Secret Manager add-on: ``files`` maps file name -> secret id.

    It names secrets, never values; a pod mounts it with the ``secrets-store-gke.csi.k8s.io`` driver.
    """
    entries = pulumi.Output.all(*files.values()).apply(lambda ids: yaml.safe_dump(
        [{"resourceName": f"{secret_id}/versions/latest", "path": path} for path, secret_id in zip(files, ids, strict=True)],
        sort_keys=True))
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="secrets-store.csi.x-k8s.io/v1",
        kind="SecretProviderClass",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels_),
        spec={"provider": "gke", "parameters": {"secrets": entries}},
        opts=opts,
    )


@dataclass(frozen=True)
class SuppliedSecret:
    """A secret a human supplies; ``readers`` are platform Kubernetes identities ``namespace/serviceaccount``
    that call Google as themselves (no Google service account annotation). Tenant workloads read
    through their tenant's Google service account, granted by the Tenant component."""

    name: str
    readers: tuple[str, ...]
    value: pulumi.Input[str] | None  # from `pulumi config set --secret`; None: created empty


@dataclass(frozen=True)
class SecretsArgs:
    store: SecretStore
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]  # the cluster's output: readers' principals name it
    secrets: tuple[SuppliedSecret, ...]


class Secrets(pulumi.ComponentResource):
    """The platform's externally supplied secrets, each readable only by its readers. Outputs: ``ids``
    (secret ids, for IAM grants), ``paths`` (full resource names, for SecretProviderClasses: the twins' once the
    DR region serves) and
    ``values`` (the stored value of each supplied secret, for the few consumers that need it as a
    Kubernetes Secret: the IAP OAuth client), ``twins`` (each secret's DR twin, where the store has one: grants
    on a secret are repeated on its twin)."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("data", "Secrets"), name, None, formerly(opts, "ai-platform:secrets:Secrets"))
        ids: dict[str, pulumi.Output[str]] = {}
        paths: dict[str, pulumi.Output[str]] = {}
        values: dict[str, pulumi.Output[str]] = {}
        versions: dict[str, pulumi.Output[str]] = {}
        self.twins: dict[str, gcp.secretmanager.Secret] = {}
        for supplied in args.secrets:
            secret = managed_secret(f"{name}-{supplied.name}", args.store, supplied.name, component="secrets",
                                    parent=self)
            # Without a configured value the secret starts empty; add one with `gcloud secrets versions add`.
            if supplied.value is not None:
                version = secret_version(f"{name}-{supplied.name}-v", secret, supplied.value, self)
                values[supplied.name] = version.secret_data  # a secret Output, known once the version exists
                versions[supplied.name] = version.name  # projects/<n>/secrets/<id>/versions/<v>
            twin = twin_secret(f"{name}-{supplied.name}", args.store, supplied.name, supplied.value,
                               component="secrets", parent=self)
            for reader in supplied.readers:
                grant_access(f"{name}-{supplied.name}-{reader.replace('/', '-')}", project=secret.project,
                             secret_id=secret.secret_id, parent=self, twin=twin,
                             member=workload_principal(args.project_number, args.workload_pool, reader))
            if twin is not None:
                self.twins[supplied.name] = twin
            ids[supplied.name] = secret.secret_id
            paths[supplied.name] = args.store.served(secret, twin)  # projects/<p>/secrets/<id>: what a SecretProviderClass names
        self.ids = ids
        self.paths = paths
        self.values = values
        self.versions = versions
        self.register_outputs({"ids": ids, "paths": paths, "values": values, "versions": versions, "twins": self.twins})
