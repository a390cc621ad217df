"""What is stateful: shared by the policy pack (protected outside dev) and the inventories (pinned)."""

from __future__ import annotations

# Types whose replacement loses data: protected outside dev, pinned.
STATEFUL_TYPES = (
    "gcp:compute/address:Address",  # the gateway's IP: DNS records and clients' allowlists point at it
    "gcp:compute/globalAddress:GlobalAddress",  # PSA range: Cloud SQL private IPs live in it
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:container/cluster:Cluster",
    "gcp:filestore/instance:Instance",
    "gcp:gkebackup/backupPlan:BackupPlan",  # its backups go with it
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:kms/keyRing:KeyRing",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig",  # a tenant's logs
    "gcp:secretmanager/secret:Secret",
    "gcp:sql/database:Database",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:storage/bucket:Bucket",
    "random:index/randomPassword:RandomPassword",
)
