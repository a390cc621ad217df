"""Where container images come from: Artifact Registry caches of the upstream registries, and
the Binary Authorization policy that admits only them (ADR 0004).

Each upstream registry the workloads use gets a remote repository in the stack's region,
encrypted with the `artifacts` key and cleaned up by policy. The policy denies by default,
allowlists these repositories and lets Google's system images through (global policy
evaluation). Workload images are rendered through ``image_ref``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type, formerly
from components.platform.outputs import after
from config.catalog import Image, Registry
from config.environment import ImageSupplySpec
from config.naming import Naming

DAY = 86400


def cleanup_policies(keep_versions: int, delete_after_days: int) -> list[gcp.artifactregistry.RepositoryCleanupPolicyArgs]:
    """A cache's cleanup: keep the newest versions of each image, delete anything older than the age."""
    ar = gcp.artifactregistry
    return [
        ar.RepositoryCleanupPolicyArgs(
            id="keep-recent", action="KEEP",
            most_recent_versions=ar.RepositoryCleanupPolicyMostRecentVersionsArgs(keep_count=keep_versions)),
        ar.RepositoryCleanupPolicyArgs(
            id="delete-old", action="DELETE",
            condition=ar.RepositoryCleanupPolicyConditionArgs(tag_state="ANY", older_than=f"{delete_after_days * DAY}s")),
    ]


@dataclass(frozen=True)
class ImageSupplyArgs:
    naming: Naming
    region: str
    registries: dict[str, Registry]  # upstream host -> its cache (or direct)
    images: dict[str, Image]  # the catalog: direct registries' images are allowlisted one by one
    key: pulumi.Input[str]  # the `artifacts` key
    settings: ImageSupplySpec
    binary_authorization: str  # enforce | dryrun | disabled
    # The project's one Binary Authorization policy is the primary region's: it admits the caches of these
    # other regions too (DR). A DR region's ImageSupply makes no policy and waits for ``admission``.
    admitted_regions: tuple[str, ...] = ()
    admission: pulumi.Resource | None = None


def repository_host(region: str) -> str:
    return f"{region}-docker.pkg.dev"


def image_ref(prefixes: dict[str, pulumi.Input[str]], image: Image) -> pulumi.Output[str]:
    """``<region>-docker.pkg.dev/<project>/<cache>/<upstream path>:<tag>`` for a catalog image
    (``<registry>/<path>:<tag>`` for a direct registry)."""
    return pulumi.Output.from_input(prefixes[image.registry]).apply(lambda prefix: f"{prefix}/{image.path}:{image.tag}")


class ImageSupply(pulumi.ComponentResource):
    """Remote repositories per upstream registry and the project's Binary Authorization policy.

    Output ``prefixes``: upstream host -> the path images are pulled through, resolved once the
    repository exists and the admission policy that admits it is in place.
    """

    def __init__(self, name: str, args: ImageSupplyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("platform", "ImageSupply"), name, None, formerly(opts, "ai-platform:images:ImageSupply"))
        naming, ar = args.naming, gcp.artifactregistry
        host = repository_host(args.region)
        repositories: dict[str, ar.Repository] = {}
        cached = {upstream: r for upstream, r in args.registries.items() if not r.direct}
        for upstream, registry in cached.items():
            remote = ar.RepositoryRemoteRepositoryConfigArgs(
                description=f"Cache of {upstream}",
                docker_repository=ar.RepositoryRemoteRepositoryConfigDockerRepositoryArgs(
                    public_repository=registry.preset) if registry.preset else None,
                common_repository=ar.RepositoryRemoteRepositoryConfigCommonRepositoryArgs(uri=registry.uri)
                if registry.uri else None)
            repositories[upstream] = ar.Repository(
                f"{name}-{registry.repository}",
                project=naming.project,
                location=args.region,
                repository_id=registry.repository,
                format="DOCKER",
                mode="REMOTE_REPOSITORY",
                description=f"Pull-through cache of {upstream} for the AI platform",
                remote_repository_config=remote,
                kms_key_name=args.key,
                cleanup_policy_dry_run=False,
                cleanup_policies=cleanup_policies(args.settings.keep_versions, args.settings.delete_after_days),
                labels=naming.labels("images"),
                opts=pulumi.ResourceOptions(parent=self),
            )
        # Google-hosted images pulled as is: exactly these images, any tag (`*` stays in the last segment).
        direct = sorted(f"{image.image}*" for image in args.images.values() if args.registries[image.registry].direct)
        hosts = [host, *(repository_host(r) for r in args.admitted_regions)]
        policy = None if args.admission else self._policy(
            name, args, [*(f"{h}/{naming.project}/{r.repository}/**" for h in hosts for r in cached.values()), *direct])
        self._admission = policy
        waits = [policy] if policy else [args.admission] if args.admission else []
        self.prefixes: dict[str, pulumi.Output[str]] = {
            upstream: after(pulumi.Output.concat(host, "/", naming.project, "/", repo.repository_id), *waits)
            for upstream, repo in repositories.items()}
        self.prefixes.update({upstream: after(pulumi.Output.from_input(upstream), *waits)
                              for upstream, r in args.registries.items() if r.direct})
        self.register_outputs({"prefixes": self.prefixes})

    @property
    def admission(self) -> pulumi.Resource | None:
        """The project's Binary Authorization policy, which this region's pulls wait for (None: disabled)."""
        return self._admission

    def _policy(self, name: str, args: ImageSupplyArgs, patterns: list[str]) -> gcp.binaryauthorization.Policy | None:
        """Deny by default; admit the caches and Google's system images. Dry run logs instead of blocking."""
        if args.binary_authorization == "disabled":
            return None
        ba = gcp.binaryauthorization
        return ba.Policy(
            f"{name}-binauthz",
            project=args.naming.project,
            description="AI platform: only images pulled through the platform's Artifact Registry caches",
            global_policy_evaluation_mode="ENABLE",  # Google-maintained GKE system images
            admission_whitelist_patterns=[ba.PolicyAdmissionWhitelistPatternArgs(name_pattern=p) for p in patterns],
            default_admission_rule=ba.PolicyDefaultAdmissionRuleArgs(
                evaluation_mode="ALWAYS_DENY",
                enforcement_mode="DRYRUN_AUDIT_LOG_ONLY" if args.binary_authorization == "dryrun"
                else "ENFORCED_BLOCK_AND_AUDIT_LOG"),
            opts=pulumi.ResourceOptions(parent=self),
        )
