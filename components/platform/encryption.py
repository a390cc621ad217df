"""Customer-managed encryption keys: a key ring per region in use, a key per purpose.

Each Google service agent gets ``cryptoKeyEncrypterDecrypter`` on the one key it needs and
nothing else. Keys and rings are protected outside dev: a destroyed key makes every disk,
bucket, database and backup encrypted with it unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly
from components.platform.outputs import after
from config.environment import EncryptionSpec
from config.naming import Naming

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class Agent:
    """A Google-managed service agent: service-<number>@<domain>.iam.gserviceaccount.com."""

    domain: str
    api: str | None = None  # set when the agent must be created (ServiceIdentity) before a grant

    def email(self, number: str) -> str:
        return f"service-{number}@{self.domain}.iam.gserviceaccount.com"


GKE = Agent("container-engine-robot", "container.googleapis.com")
COMPUTE = Agent("compute-system", "compute.googleapis.com")
STORAGE = Agent("gs-project-accounts")
CLOUD_SQL = Agent("gcp-sa-cloud-sql", "sqladmin.googleapis.com")
SECRET_MANAGER = Agent("gcp-sa-secretmanager", "secretmanager.googleapis.com")
FILESTORE = Agent("cloud-filer", "file.googleapis.com")
GKE_BACKUP = Agent("gcp-sa-gkebackup", "gkebackup.googleapis.com")
ARTIFACT_REGISTRY = Agent("gcp-sa-artifactregistry", "artifactregistry.googleapis.com")
LOGGING = Agent("gcp-sa-logging")  # Cloud Logging's CMEK service account: looked up (getCmekSettings creates it)

# Purpose -> the service agents that encrypt with that key.
PURPOSES: dict[str, tuple[Agent, ...]] = {
    "gke-secrets": (GKE,),  # application-layer encryption of Kubernetes Secrets in etcd
    "disks": (COMPUTE,),  # node boot disks and PD/Hyperdisk volumes
    "storage": (STORAGE,),  # GCS buckets
    "database": (CLOUD_SQL,),
    # Backup for GKE plans (its agent, and GKE's, which encrypts the backed-up volumes) and backup buckets
    "backups": (GKE_BACKUP, GKE, STORAGE),
    "secrets": (SECRET_MANAGER,),
    "filestore": (FILESTORE,),
    "artifacts": (ARTIFACT_REGISTRY,),  # the image cache (Artifact Registry remote repositories)
    "logs": (LOGGING,),  # tenants' log buckets
}


@dataclass(frozen=True)
class Formerly:
    """Where this component's keys were registered before: under ``parent`` (another Encryption, named
    ``name``) as its ring for ``region``. Key rings and keys are never deleted: they move by alias."""

    name: str
    parent: pulumi.Resource
    region: str

    def child(self, thing: str) -> pulumi.Alias:
        """The alias of a child the old component named ``<name>-<thing>-<region>`` (its ring:
        ``<name>-ring-<region>``; a key: ``<name>-<purpose>-<region>``; a grant: ``...-<region>-<agent>``)."""
        head, _, agent = thing.partition("/")
        return pulumi.Alias(name=f"{self.name}-{head}-{self.region}" + (f"-{agent}" if agent else ""),
                            parent=self.parent)


@dataclass(frozen=True)
class EncryptionArgs:
    naming: Naming
    regions: tuple[str, ...]  # the stack's region first, then any other region in use (DR)
    settings: EncryptionSpec
    project_number: pulumi.Input[str]
    protect: bool
    formerly: Formerly | None = None  # keys that moved here from another Encryption component


class Encryption(pulumi.ComponentResource):
    """Key rings in each region in use, a key per purpose, least-privilege grants.

    ``key_id(purpose, region)`` is the key's id, resolved only once every agent of that
    purpose may use the key: a resource encrypted with it waits for the grant through it.
    """

    def __init__(self, name: str, args: EncryptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "Encryption"), name, None, formerly(opts, "ai-platform:kms:Encryption"))
        cfg, naming, project = args.settings, args.naming, args.naming.project
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        number = pulumi.Output.from_input(args.project_number)
        # The Cloud Storage agent and Logging's CMEK account exist only once asked for; these lookups create them.
        looked_up = {
            STORAGE: gcp.storage.get_project_service_account_output(project=project).email_address,
            LOGGING: gcp.logging.get_project_cmek_settings_output(project=project).service_account_id,
        }
        identities = {
            agent.api: gcp.projects.ServiceIdentity(
                f"{name}-agent-{agent.domain}", project=project, service=agent.api,
                opts=pulumi.ResourceOptions(parent=self))
            for agents in PURPOSES.values() for agent in agents if agent.api
        }
        self._primary = args.regions[0]
        self.key_ids: dict[str, pulumi.Output[str]] = {}  # "<region>/<purpose>" -> key id, once granted
        for region in args.regions:
            # The DR ring keeps the name it was created with (`keys-<region>`): rings are never deleted.
            suffix = "" if region == self._primary else f"-{region}"
            moved = args.formerly if args.formerly and args.formerly.region == region else None

            def aliased(thing: str, opts: pulumi.ResourceOptions, moved=moved) -> pulumi.ResourceOptions:
                return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[moved.child(thing)])) \
                    if moved else opts

            # a ring outside the stack's region keeps the name it was created with (`keys-<region>`)
            ring_name = naming.held(f"keys{suffix}") if not moved else naming.in_region("").held(f"keys-{region}")
            ring = gcp.kms.KeyRing(
                f"{name}-ring{suffix}", name=ring_name, project=project, location=region,
                opts=aliased("ring", keep))
            for purpose, agents in PURPOSES.items():
                key = gcp.kms.CryptoKey(
                    f"{name}-{purpose}{suffix}",
                    name=purpose,
                    key_ring=ring.id,
                    purpose="ENCRYPT_DECRYPT",
                    rotation_period=f"{cfg.rotation_days * 86400}s",
                    destroy_scheduled_duration=f"{cfg.destroy_scheduled_days * 86400}s",
                    version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
                        algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level=cfg.protection_level),
                    labels=naming.labels("encryption"),
                    opts=aliased(purpose, keep),
                )
                grants = [
                    gcp.kms.CryptoKeyIAMMember(
                        f"{name}-{purpose}{suffix}-{agent.domain}",
                        crypto_key_id=key.id,
                        role=ENCRYPTER_DECRYPTER,
                        member=looked_up[agent].apply(lambda e: f"serviceAccount:{e}") if agent in looked_up
                        else number.apply(lambda n, a=agent: f"serviceAccount:{a.email(n)}"),
                        opts=aliased(f"{purpose}/{agent.domain}", pulumi.ResourceOptions(
                            parent=self, depends_on=[identities[agent.api]] if agent.api else None)),
                    )
                    for agent in agents
                ]
                self.key_ids[f"{region}/{purpose}"] = after(key.id, *grants)
        self.register_outputs({"key_ids": self.key_ids})

    def key_id(self, purpose: str, region: str | None = None) -> pulumi.Output[str]:
        """The key for ``purpose`` in ``region`` (default: the stack's region), usable once granted."""
        return self.key_ids[f"{region or self._primary}/{purpose}"]
