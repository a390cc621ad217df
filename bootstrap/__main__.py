"""The bootstrap, run once before the platform's first `pulumi up` (docs/deploying.md).

APIs (CI project, each stack's project) -> StateBackend (key ring, keys, state bucket) -> CiIdentities (GitHub
pool and provider, each stack's deployer and reader with their grants) -> CloudBuildSetup (the builds' right
to run as those accounts, their image cache, triggers) -> exports: what GitHub's variables and each stack's
`pulumi stack init --secrets-provider` need.
"""

import sys
from pathlib import Path

# Pulumi runs this file from bootstrap/; the package (and config/errors.py) live under the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi

from bootstrap import apis
from bootstrap.build import CloudBuildSetup, CloudBuildSetupArgs
from bootstrap.identity import CiIdentities, CiIdentitiesArgs
from bootstrap.spec import PROJECT, ConfigError, check_stacks, load_config, load_deployers
from bootstrap.state import StateBackend, StateBackendArgs, secrets_provider
from bootstrap.variables import github_variables

try:
    file = f"bootstrap/Pulumi.{pulumi.get_stack()}.yaml"
    settings = pulumi.Config(PROJECT)
    values = {"project": pulumi.Config("gcp").get("project"), "location": settings.get("location"),
              "github": settings.get_object("github"), "cloud_build": settings.get_object("cloud_build")}
    cfg = load_config({k: v for k, v in values.items() if v is not None}, file)
    deployers = load_deployers()
    check_stacks(cfg, deployers, file)
except ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None

ci = apis.enable("ci", cfg.project, apis.CI_APIS)
per_stack = {stack: list(apis.enable(stack, target.project, apis.STACK_APIS).values())
             for stack, target in deployers.stacks.items()}
state = StateBackend("state", StateBackendArgs(
    project=cfg.project, location=cfg.location, stacks=tuple(deployers.stacks),
    kms_api=ci["cloudkms.googleapis.com"], storage_api=ci["storage.googleapis.com"]))
identities = CiIdentities("ci", CiIdentitiesArgs(
    ci_project=cfg.project, github=cfg.github, stacks=deployers.stacks, state_bucket=state.bucket,
    secrets_keys=state.secrets_keys, iam_api=ci["iam.googleapis.com"],
    ci_apis=[ci["cloudbilling.googleapis.com"], ci["logging.googleapis.com"]], stack_apis=per_stack))
builds = CloudBuildSetup("builds", CloudBuildSetupArgs(
    ci_project=cfg.project, location=cfg.location, key_ring=state.key_ring, state_bucket=state.bucket,
    identities=identities.accounts, settings=cfg.cloud_build,
    apis=[ci["cloudbuild.googleapis.com"], ci["artifactregistry.googleapis.com"], ci["orgpolicy.googleapis.com"]]))

providers = {stack: secrets_provider(key) for stack, key in state.secrets_keys.items()}
pulumi.export("backend_url", state.backend_url)
pulumi.export("workload_identity_provider", identities.provider)
pulumi.export("secrets_providers", providers)
# The bootstrap's own stack, once moved into the bucket (docs/deploying.md): encrypted with the state's key.
pulumi.export("bootstrap_secrets_provider", secrets_provider(state.state_key))
pulumi.export("deployers", identities.deployers)
pulumi.export("readers", identities.readers)
pulumi.export("build_image", builds.image)
pulumi.export("build_triggers", builds.triggers)
pulumi.export("github_variables", github_variables(state.backend_url, identities.provider, identities.deployers,
                                                   identities.readers))
