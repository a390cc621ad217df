"""The AI platform, one stack: load the validated spec, build components in order, export.

Network -> Encryption -> Cluster -> GpuNodePools -> Storage -> Secrets -> Database
-> PlatformServices -> Tenant x N -> Monitoring -> DisasterRecovery (README, Architecture).
"""

import sys

import pulumi

import config
from components.cluster import Cluster
from components.database import Database
from components.encryption import Encryption
from components.gpu_pools import GpuNodePools
from components.network import Network
from components.node_identity import NodeIdentity
from components.project_services import ProjectServices
from components.secrets import Secrets
from components.storage import Storage
from components.tenant import Tenant

try:
    spec = config.load_from_pulumi()
except config.ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

apis = ProjectServices("apis", spec)
after_apis = pulumi.ResourceOptions(depends_on=apis.services)
network = Network("network", spec, opts=after_apis)
keys = Encryption("encryption", spec, opts=after_apis)
nodes = NodeIdentity("nodes", spec, opts=after_apis)
cluster = Cluster("cluster", spec, network=network, keys=keys, nodes=nodes)
gpus = GpuNodePools("gpu", spec, cluster=cluster, network=network, keys=keys, nodes=nodes)
storage = Storage("storage", spec, network=network, keys=keys, cluster=cluster)
secrets = Secrets("secrets", spec, keys=keys, values=config.secret_values_from_pulumi(spec))
database = Database("database", spec, network=network, keys=keys)
tenants = {t.name: Tenant(f"tenant-{t.name}", spec, t, cluster=cluster, keys=keys, database=database)
           for t in spec.tenants}

pulumi.export("environment", spec.environment)
pulumi.export("region", spec.region)
pulumi.export("vpc", network.vpc.id)
pulumi.export("cluster", cluster.cluster.name)
pulumi.export("cluster_location", cluster.location)
pulumi.export("node_service_account", nodes.email)
pulumi.export("buckets", {purpose: bucket.name for purpose, bucket in storage.buckets.items()})
pulumi.export("database_connection", database.instance.connection_name)
pulumi.export("tenants", {name: t.google_account.email for name, t in tenants.items()})
