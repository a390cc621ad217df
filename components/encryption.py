"""Customer-managed encryption keys: a key ring per region in use, a key per purpose.

Each Google service agent gets ``cryptoKeyEncrypterDecrypter`` on the one key it needs and
nothing else. Keys and rings are protected outside dev: a destroyed key makes every disk,
bucket, database and backup encrypted with it unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.identity import project_number
from components.naming import labels, physical_name
from config import PlatformSpec

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class Agent:
    """A Google-managed service agent: service-<number>@<domain>.iam.gserviceaccount.com."""

    domain: str
    api: str | None = None  # set when the agent must be created (ServiceIdentity) before a grant

    def email(self, number: str) -> str:
        return f"service-{number}@{self.domain}.iam.gserviceaccount.com"


GKE = Agent("container-engine-robot")
COMPUTE = Agent("compute-system")
STORAGE = Agent("gs-project-accounts")
CLOUD_SQL = Agent("gcp-sa-cloud-sql", "sqladmin.googleapis.com")
SECRET_MANAGER = Agent("gcp-sa-secretmanager", "secretmanager.googleapis.com")
FILESTORE = Agent("cloud-filer", "file.googleapis.com")
GKE_BACKUP = Agent("gcp-sa-gkebackup", "gkebackup.googleapis.com")

# Purpose -> the service agents that encrypt with that key.
PURPOSES: dict[str, tuple[Agent, ...]] = {
    "gke-secrets": (GKE,),  # application-layer encryption of Kubernetes Secrets in etcd
    "disks": (COMPUTE,),  # node boot disks and PD/Hyperdisk volumes
    "storage": (STORAGE,),  # GCS buckets
    "database": (CLOUD_SQL,),
    "backups": (GKE_BACKUP, STORAGE),  # Backup for GKE plans and backup buckets
    "secrets": (SECRET_MANAGER,),
    "filestore": (FILESTORE,),
}


class Encryption(pulumi.ComponentResource):
    """Key rings in the stack's region (and the DR region), a key per purpose, least-privilege grants."""

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:kms:Encryption", name, None, opts)
        cfg = spec.env.encryption
        keep = pulumi.ResourceOptions(parent=self, protect=spec.env.protect)
        number = project_number(spec)
        # The Cloud Storage agent exists only once asked for; this lookup creates it.
        storage_agent = gcp.storage.get_project_service_account_output(project=spec.project).email_address
        identities = {
            agent.api: gcp.projects.ServiceIdentity(
                f"{name}-agent-{agent.domain}", project=spec.project, service=agent.api,
                opts=pulumi.ResourceOptions(parent=self))
            for agents in PURPOSES.values() for agent in agents if agent.api
        }
        self.regions = [spec.region] + ([spec.env.dr.secondary_region] if spec.env.dr.mode != "none" else [])
        self.keys: dict[tuple[str, str], gcp.kms.CryptoKey] = {}
        self.grants: list[gcp.kms.CryptoKeyIAMMember] = []
        for region in self.regions:
            suffix = "" if region == spec.region else f"-{region}"
            ring = gcp.kms.KeyRing(
                f"{name}-ring{suffix}", name=physical_name(spec, f"keys{suffix}"), project=spec.project,
                location=region, opts=keep)
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
                    labels=labels(spec, "encryption"),
                    opts=keep,
                )
                self.keys[(region, purpose)] = key
                for agent in agents:
                    self.grants.append(gcp.kms.CryptoKeyIAMMember(
                        f"{name}-{purpose}{suffix}-{agent.domain}",
                        crypto_key_id=key.id,
                        role=ENCRYPTER_DECRYPTER,
                        member=storage_agent.apply(lambda e: f"serviceAccount:{e}") if agent is STORAGE
                        else number.apply(lambda n, a=agent: f"serviceAccount:{a.email(n)}"),
                        opts=pulumi.ResourceOptions(
                            parent=self, depends_on=[identities[agent.api]] if agent.api else None),
                    ))
        self.register_outputs({f"{r}/{p}": k.id for (r, p), k in self.keys.items()})

    def key(self, purpose: str, region: str | None = None) -> gcp.kms.CryptoKey:
        """The key for ``purpose`` in ``region`` (default: the stack's region)."""
        return self.keys[(region or self.regions[0], purpose)]
