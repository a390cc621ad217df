"""Cloud Build as a second way to preview and apply (cloudbuild.yaml): its identities, image cache and triggers.

Builds run in the CI project as the stack's own accounts (the reader previews, the deployer applies), so
Cloud Build holds no role of its own on any platform project. Those accounts live in the stacks' projects: a
build may use them once the CI project's Cloud Build agent may mint their tokens and the stack project allows
cross-project use of its service accounts (`iam.disableCrossProjectServiceAccountUsage` not enforced: the
bootstrap sets that override where triggers are configured). The Pulumi image comes through an Artifact
Registry remote repository of Docker Hub in the CI project, encrypted with the state's key ring.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap.spec import CloudBuild
from bootstrap.state import ENCRYPTER_DECRYPTER, ROTATION
from components.platform.image_supply import cleanup_policies

IMAGE_CACHE = "ci-images"
# The image the builds run (cloudbuild.yaml `_PULUMI_IMAGE`): the CLI of requirements.txt's SDK on our Python.
PULUMI_IMAGE = "pulumi/pulumi-python-3.11:3.272.0"
KEEP_VERSIONS, DELETE_AFTER_DAYS = 5, 90  # the image cache's cleanup (the platform's caches take theirs from config)
CROSS_PROJECT = "iam.disableCrossProjectServiceAccountUsage"


def trigger_substitutions(stack: str, command: str, state_bucket: str, image: str) -> dict[str, str]:
    """What cloudbuild.yaml reads: the stack, preview or up, where the state is and the image it runs."""
    return {"_STACK": stack, "_COMMAND": command, "_STATE_BUCKET": state_bucket, "_PULUMI_IMAGE": image}


@dataclass(frozen=True)
class BuildIdentity:
    """One stack's accounts, as the builds use them."""

    project: str
    deployer: gcp.serviceaccount.Account
    reader: gcp.serviceaccount.Account


@dataclass(frozen=True)
class CloudBuildSetupArgs:
    ci_project: str
    location: str
    key_ring: pulumi.Input[str]
    state_bucket: pulumi.Input[str]
    identities: dict[str, BuildIdentity]
    settings: CloudBuild | None  # triggers only once the repository is connected
    apis: list[pulumi.Resource]  # Cloud Build, Artifact Registry, Org Policy in the CI project


class CloudBuildSetup(pulumi.ComponentResource):
    """The Cloud Build agent's right to run builds as each stack's accounts, the image cache, the triggers."""

    def __init__(self, name: str, args: CloudBuildSetupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform-bootstrap:build:CloudBuildSetup", name, None, opts)
        after = pulumi.ResourceOptions(parent=self, depends_on=args.apis)
        child = pulumi.ResourceOptions(parent=self)
        agent = gcp.projects.ServiceIdentity(f"{name}-agent", project=args.ci_project,
                                             service="cloudbuild.googleapis.com", opts=after)
        registry_agent = gcp.projects.ServiceIdentity(f"{name}-registry-agent", project=args.ci_project,
                                                      service="artifactregistry.googleapis.com", opts=after)
        key = gcp.kms.CryptoKey(f"{name}-images", name="images", key_ring=args.key_ring, purpose="ENCRYPT_DECRYPT",
                                rotation_period=ROTATION, opts=pulumi.ResourceOptions(parent=self, protect=True))
        key_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-images-registry-agent", crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER,
            member=registry_agent.member, opts=child)
        ar = gcp.artifactregistry
        cache = ar.Repository(
            f"{name}-images", project=args.ci_project, location=args.location, repository_id=IMAGE_CACHE,
            format="DOCKER", mode="REMOTE_REPOSITORY", description="Pull-through cache of Docker Hub for the builds",
            remote_repository_config=ar.RepositoryRemoteRepositoryConfigArgs(
                description="Docker Hub", docker_repository=ar.RepositoryRemoteRepositoryConfigDockerRepositoryArgs(
                    public_repository="DOCKER_HUB")),
            kms_key_name=key.id, cleanup_policy_dry_run=False,
            cleanup_policies=cleanup_policies(KEEP_VERSIONS, DELETE_AFTER_DAYS),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[key_grant, *args.apis]))
        self.image: pulumi.Output[str] = pulumi.Output.concat(
            args.location, "-docker.pkg.dev/", args.ci_project, "/", cache.repository_id, "/", PULUMI_IMAGE)
        for stack, ids in args.identities.items():
            for who, account in (("deployer", ids.deployer), ("reader", ids.reader)):
                gcp.serviceaccount.IAMMember(f"{stack}-{who}-cloudbuild-agent", service_account_id=account.name,
                                             role="roles/iam.serviceAccountTokenCreator", member=agent.member,
                                             opts=child)
                gcp.artifactregistry.RepositoryIamMember(
                    f"{stack}-{who}-images", project=args.ci_project, location=args.location,
                    repository=cache.repository_id, role="roles/artifactregistry.reader", member=account.member,
                    opts=child)
        self.triggers: dict[str, pulumi.Output[str]] = {}
        if args.settings:
            self._triggers(name, args, args.settings)
        self.register_outputs({"image": self.image, "triggers": self.triggers})

    def _triggers(self, name: str, args: CloudBuildSetupArgs, settings: CloudBuild) -> None:
        """Per stack: pull requests preview it as its reader; a push to main applies it as its deployer."""
        cb = gcp.cloudbuild
        for stack, ids in args.identities.items():
            allow = gcp.orgpolicy.Policy(
                f"{stack}-cross-project-accounts", name=f"projects/{ids.project}/policies/{CROSS_PROJECT}",
                parent=f"projects/{ids.project}",
                spec=gcp.orgpolicy.PolicySpecArgs(rules=[gcp.orgpolicy.PolicySpecRuleArgs(enforce="FALSE")]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.apis))
            for command, event, account in (
                    ("preview", cb.TriggerRepositoryEventConfigArgs(
                        repository=settings.repository,
                        pull_request=cb.TriggerRepositoryEventConfigPullRequestArgs(
                            branch="^main$", comment_control="COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY")),
                     ids.reader),
                    ("up", cb.TriggerRepositoryEventConfigArgs(
                        repository=settings.repository,
                        push=cb.TriggerRepositoryEventConfigPushArgs(branch="^main$")),
                     ids.deployer)):
                trigger = cb.Trigger(
                    f"{stack}-{command}", project=args.ci_project, location=args.location,
                    name=f"pulumi-{command}-{stack}", description=f"pulumi {command} of stack {stack}",
                    filename="cloudbuild.yaml", repository_event_config=event,
                    service_account=account.name,
                    substitutions=pulumi.Output.all(args.state_bucket, self.image).apply(
                        lambda v, s=stack, c=command: trigger_substitutions(s, c, v[0], v[1])),
                    approval_config=cb.TriggerApprovalConfigArgs(approval_required=True)
                    if command == "up" and stack in settings.approval else None,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[allow, *args.apis]))
                self.triggers[f"{stack}-{command}"] = trigger.name
