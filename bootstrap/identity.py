"""Who CI runs as: a GitHub Workload Identity pool for this repository, and two accounts per platform stack.

No key exists anywhere: a workflow exchanges its GitHub OIDC token in the pool (whose attribute condition
refuses any other repository) and impersonates one of the stack's accounts.

- ``platform-deployer`` (the email `tenancy.platform_identities` names) runs `pulumi up`. It holds exactly the
  roles plan/deployer.py derives from what the stack registers (deployers.yaml), and only a job in the GitHub
  environment named after the stack may impersonate it: the token's subject is
  ``repo:<owner>/<repo>:environment:<stack>``, and the prod environment admits main only, after a reviewer.
- ``platform-reader`` runs previews (pull requests) and the nightly drift check. It reads the project and the
  state, decrypts the stack's secrets (a preview must), and may write only its stack's lock files.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap.build import BuildIdentity
from bootstrap.spec import GitHub, StackDeployer
from bootstrap.state import ENCRYPTER_DECRYPTER

ISSUER = "https://token.actions.githubusercontent.com"
POOL_ID = PROVIDER_ID = "github"
# Claims the condition and the bindings read; a claim must be mapped before a binding can name it.
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.repository_owner_id": "assertion.repository_owner_id",
    "attribute.ref": "assertion.ref",
}
READER = "platform-reader"
# The reader's roles on its stack's project. A refresh reads every resource the program registers, their IAM
# policies included (roles/viewer is the one predefined role that reads them all), and a secret version's
# value (secretmanager.versions.access): nothing the state, which the reader decrypts anyway, does not hold.
READER_ROLES = ("roles/viewer", "roles/secretmanager.secretAccessor")
# A refresh also reads the Kubernetes Secrets the program applies (the Alertmanager configuration, IAP's client
# secret, exporters' keys), which no predefined read-only role includes: a custom role with exactly that. Their
# values come from Secret Manager and the state, which the reader reads anyway.
KUBERNETES_SECRETS_ROLE = "pulumiReaderKubernetesSecrets"
KUBERNETES_SECRETS_PERMISSIONS = ("container.secrets.get", "container.secrets.list")
PROGRAM = "ai-platform"  # the platform's Pulumi project: the backend scopes its stacks by it (CLI >= 3.61)


def attribute_condition(github: GitHub) -> str:
    """CEL over the token's claims: this repository (and, where configured, its and its owner's numeric ids)."""
    clauses = [f"assertion.repository == '{github.repository}'"]
    if github.repository_id:
        clauses.append(f"assertion.repository_id == '{github.repository_id}'")
    if github.owner_id:
        clauses.append(f"assertion.repository_owner_id == '{github.owner_id}'")
    return " && ".join(clauses)


def environment_subject(github: GitHub, environment: str) -> str:
    """GitHub's default ``sub`` claim of a job that runs in ``environment``."""
    return f"repo:{github.repository}:environment:{environment}"


def stack_objects(stack: str, *, locks_only: bool = False) -> tuple[str, ...]:
    """Where the self-managed backend keeps one stack: its checkpoint (and .bak), history, backups, locks."""
    locks = (f".pulumi/locks/organization/{PROGRAM}/{stack}/",)
    if locks_only:
        return locks
    return (f".pulumi/stacks/{PROGRAM}/{stack}.json", f".pulumi/history/{PROGRAM}/{stack}/",
            f".pulumi/backups/{PROGRAM}/{stack}/", *locks)


def objects_condition(bucket: str, prefixes: tuple[str, ...]) -> str:
    """CEL of an IAM condition on the bucket: only objects under these names (needs uniform access)."""
    return " || ".join(f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{p}")' for p in prefixes)


@dataclass(frozen=True)
class CiIdentitiesArgs:
    ci_project: str
    github: GitHub
    stacks: dict[str, StackDeployer]
    state_bucket: pulumi.Input[str]
    secrets_keys: dict[str, pulumi.Input[str]]
    iam_api: pulumi.Resource  # in the CI project (the pool)
    ci_apis: list[pulumi.Resource]  # what the CI project's grants need (Cloud Resource Manager for logs, billing)
    stack_apis: dict[str, list[pulumi.Resource]]  # per stack: its project's IAM and Resource Manager APIs


class CiIdentities(pulumi.ComponentResource):
    """The pool and provider, and per stack the deployer and the reader with their grants."""

    def __init__(self, name: str, args: CiIdentitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform-bootstrap:identity:CiIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pool = gcp.iam.WorkloadIdentityPool(
            "github", workload_identity_pool_id=POOL_ID, project=args.ci_project, display_name="GitHub Actions",
            description=f"Workflows of {args.github.repository}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.iam_api]))
        provider = gcp.iam.WorkloadIdentityPoolProvider(
            "github", workload_identity_pool_id=pool.workload_identity_pool_id, project=args.ci_project,
            workload_identity_pool_provider_id=PROVIDER_ID, display_name="GitHub OIDC",
            attribute_mapping=ATTRIBUTE_MAPPING, attribute_condition=attribute_condition(args.github),
            oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=ISSUER), opts=child)
        self.provider: pulumi.Output[str] = provider.name
        self.accounts: dict[str, BuildIdentity] = {}
        repository = pool.name.apply(
            lambda n: f"principalSet://iam.googleapis.com/{n}/attribute.repository/{args.github.repository}")
        for stack, target in args.stacks.items():
            after = pulumi.ResourceOptions(parent=self, depends_on=args.stack_apis[stack])
            deployer = gcp.serviceaccount.Account(
                f"{stack}-deployer", account_id=target.account_id, project=target.project,
                display_name=f"Runs pulumi up for stack {stack}", opts=after)
            reader = gcp.serviceaccount.Account(
                f"{stack}-reader", account_id=READER, project=target.project,
                display_name=f"Previews stack {stack} and checks it for drift", opts=after)
            subject = pool.name.apply(lambda n, s=stack: "principal://iam.googleapis.com/"
                                      f"{n}/subject/{environment_subject(args.github, s)}")
            for who, account, member in (("deployer", deployer, subject), ("reader", reader, repository)):
                gcp.serviceaccount.IAMMember(f"{stack}-{who}-federated", service_account_id=account.name,
                                             role="roles/iam.workloadIdentityUser", member=member, opts=child)
            self._grants(stack, target, args, deployer, reader)
            self.accounts[stack] = BuildIdentity(project=target.project, deployer=deployer, reader=reader)
        self.register_outputs({"provider": self.provider, "deployers": self.deployers, "readers": self.readers})

    @property
    def deployers(self) -> dict[str, pulumi.Output[str]]:
        """Stack -> its deployer's email."""
        return {stack: ids.deployer.email for stack, ids in self.accounts.items()}

    @property
    def readers(self) -> dict[str, pulumi.Output[str]]:
        """Stack -> its reader's email."""
        return {stack: ids.reader.email for stack, ids in self.accounts.items()}

    def _grants(self, stack: str, target: StackDeployer, args: CiIdentitiesArgs,
                deployer: gcp.serviceaccount.Account, reader: gcp.serviceaccount.Account) -> None:
        after_apis = pulumi.ResourceOptions(parent=self, depends_on=args.stack_apis[stack])
        for role in target.roles.project:
            gcp.projects.IAMMember(f"{stack}-deployer-{role.removeprefix('roles/')}", project=target.project,
                                   role=role, member=deployer.member, opts=after_apis)
        for role in READER_ROLES:
            gcp.projects.IAMMember(f"{stack}-reader-{role.removeprefix('roles/')}", project=target.project,
                                   role=role, member=reader.member, opts=after_apis)
        secrets = gcp.projects.IAMCustomRole(
            f"{stack}-reader-kubernetes-secrets", project=target.project, role_id=KUBERNETES_SECRETS_ROLE,
            title="Pulumi reader: Kubernetes Secrets", permissions=list(KUBERNETES_SECRETS_PERMISSIONS),
            description="Lets the drift check refresh the Kubernetes Secrets the platform applies", opts=after_apis)
        gcp.projects.IAMMember(f"{stack}-reader-kubernetes-secrets", project=target.project, role=secrets.name,
                               member=reader.member, opts=after_apis)
        on_ci = pulumi.ResourceOptions(parent=self, depends_on=args.ci_apis)
        for role in target.roles.billing_account:
            gcp.billing.AccountIamMember(f"{stack}-deployer-{role.removeprefix('roles/')}",
                                         billing_account_id=target.billing_account, role=role,
                                         member=deployer.member, opts=on_ci)
        child = pulumi.ResourceOptions(parent=self)
        key = args.secrets_keys[stack]
        gcp.kms.CryptoKeyIAMMember(f"{stack}-deployer-secrets", crypto_key_id=key,
                                   role=ENCRYPTER_DECRYPTER, member=deployer.member,
                                   opts=child)
        gcp.kms.CryptoKeyIAMMember(f"{stack}-reader-secrets", crypto_key_id=key,
                                   role="roles/cloudkms.cryptoKeyDecrypter", member=reader.member, opts=child)
        # Both read every stack's state (listing cannot be limited by name; secrets in it stay encrypted with
        # each stack's own key) and write only their own stack's objects: dev's deployer cannot touch prod.
        gcp.storage.BucketIAMMember(f"{stack}-deployer-read-state", bucket=args.state_bucket,
                                    role="roles/storage.objectViewer", member=deployer.member, opts=child)
        gcp.storage.BucketIAMMember(
            f"{stack}-deployer-state", bucket=args.state_bucket, role="roles/storage.objectUser",
            member=deployer.member,
            condition=gcp.storage.BucketIAMMemberConditionArgs(
                title=f"pulumi-stack-{stack}", description=f"stack {stack}'s checkpoint, history, backups, locks",
                expression=pulumi.Output.from_input(args.state_bucket).apply(
                    lambda b, s=stack: objects_condition(b, stack_objects(s)))),
            opts=child)
        gcp.storage.BucketIAMMember(f"{stack}-reader-state", bucket=args.state_bucket,
                                    role="roles/storage.objectViewer", member=reader.member, opts=child)
        gcp.storage.BucketIAMMember(
            f"{stack}-reader-locks", bucket=args.state_bucket, role="roles/storage.objectUser", member=reader.member,
            condition=gcp.storage.BucketIAMMemberConditionArgs(
                title=f"pulumi-locks-{stack}", description=f"stack {stack}'s lock files only",
                expression=pulumi.Output.from_input(args.state_bucket).apply(
                    lambda b, s=stack: objects_condition(b, stack_objects(s, locks_only=True)))),
            opts=child)
        # Cloud Build runs in the CI project as these accounts (cloudbuild.yaml): its logs go to Cloud Logging.
        for who, account in (("deployer", deployer), ("reader", reader)):
            gcp.projects.IAMMember(f"{stack}-{who}-build-logs", project=args.ci_project, role="roles/logging.logWriter",
                                   member=account.member, opts=on_ci)
