"""The AI platform, one stack: load the validated spec, build components in order, export.

Network -> Encryption -> Cluster -> GpuNodePools -> Storage -> Secrets -> Database
-> PlatformServices -> Tenant x N -> Monitoring -> DisasterRecovery (docs/architecture.md).
"""

import sys

import pulumi

import config
from components.network import Network
from components.project_services import ProjectServices

try:
    spec = config.load_from_pulumi()
except config.ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

apis = ProjectServices("apis", spec)
network = Network("network", spec, opts=pulumi.ResourceOptions(depends_on=apis.services))

pulumi.export("environment", spec.environment)
pulumi.export("region", spec.region)
pulumi.export("vpc", network.vpc.id)
pulumi.export("subnet", network.subnet.id)
