"""Model weights in the models bucket: one loader Job per pinned Hugging Face revision the stack serves.

Each Job downloads ``<repo>@<revision>`` to local scratch, copies it into the models bucket
under ``models/<repo>/<revision>/`` through the GCS FUSE CSI driver and writes a completion
marker last; serving pods wait for the marker before starting vLLM. A Job is named after its
revision, so a new revision is a new Job and the old folder stays until removed by hand. The
loader's identity may write to the models bucket and read the Hugging Face token, and nothing
else; the token is mounted from Secret Manager only for gated models. Weights with a ``path``
source are uploaded by an operator (docs/inference.md).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.conventions import (
    POOL_LABEL,
    checkov_skips,
    component_type,
    formerly,
    restricted_container_context,
    restricted_pod_context,
)
from components.data.secrets import secret_provider_class
from components.data.storage import folder_key
from components.platform.identity import workload_principal
from components.workloads.inference import GCSFUSE_DRIVER, WEIGHTS_LABEL
from components.workloads.replica_start import COMPLETE, READY_MARKER
from config.data import MODEL_LOADER as LOADER
from plan.endpoints import WeightCopy

TOKEN_CLASS = "hf-token"  # noqa: S105 (a SecretProviderClass name)
TOKEN_DIR = "/var/run/secrets/huggingface"  # noqa: S105 (a mount path)
core, meta = k8s.core.v1, k8s.meta.v1

# Download with the image's own huggingface_hub, copy into the bucket, mark the folder complete: the marker lists
# every file with its size, so a replicated copy can be checked (components/workloads/replica_start.COMPLETE).
SCRIPT = """
import os, shutil, sys
from huggingface_hub import snapshot_download
repo, revision, weights = sys.argv[1], sys.argv[2], sys.argv[3]
marker = os.path.join("/weights", os.environ["READY_MARKER"])
""" + COMPLETE + """
def mark():
    files = sorted(f"{os.path.getsize(p)} {os.path.relpath(p, '/weights')}" for p in (
        os.path.join(folder, name) for folder, _, names in os.walk("/weights") for name in names) if p != marker)
    open(marker, "w").write("\\n".join([revision, *files]) + "\\n")
if complete("/weights", revision):
    if len(open(marker).read().split()) == 1:
        mark()  # an older loader's marker: list the files it marked complete
    sys.exit(print(f"{repo}@{revision} is already in the bucket"))
token_file = os.path.join(os.environ["TOKEN_DIR"], "token")
token = open(token_file).read().strip() if os.path.exists(token_file) else None
local = snapshot_download(repo_id=repo, revision=revision, local_dir="/scratch/model", token=token,
                          allow_patterns=["*.json", weights, "*.model", "*.txt", "*.tiktoken", "*.py"])
shutil.rmtree(os.path.join(local, ".cache"), ignore_errors=True)
shutil.copytree(local, "/weights", dirs_exist_ok=True)
mark()
print(f"copied {repo}@{revision}")
"""


# The weight files a checkpoint's format keeps: never both (many repositories carry the same weights twice).
WEIGHT_FILES = {"safetensors": "*.safetensors", "pytorch": "*.bin"}


@dataclass(frozen=True)
class ModelWeightsArgs:
    namespace: pulumi.Input[str]  # the platform's inference namespace
    copies: tuple[WeightCopy, ...]
    bucket: pulumi.Input[str]  # the models bucket
    image: pulumi.Input[str]  # the pinned vLLM image (it carries huggingface_hub)
    project_number: pulumi.Input[str]
    workload_pool: pulumi.Input[str]
    token_secret: pulumi.Input[str] | None  # Secret Manager id of the Hugging Face token, where a model is gated
    labels: dict[str, str]
    provider: pulumi.ProviderResource
    token_version: pulumi.Input[str] | None = None  # the token's current Secret Manager version: a new one reruns
    node_pool: str | None = None  # a CPU pool with room for the scratch copy (not the small system pool)
    mount: pulumi.Input[str] | None = None  # the bucket the Jobs write through (its DR twin once the DR region
    # serves: the twin repeats the writer's grant); None: ``bucket``


def job_name(copy: WeightCopy, token_version: str = "") -> str:
    """``load-<repo>-<hash>``: a DNS label, new for every repository and revision and, for a gated model, for
    every version of the token: a Job that failed for want of a valid token never runs again, its
    replacement does."""
    digest = hashlib.sha256(f"{copy.repo}@{copy.revision}@{token_version}".encode()).hexdigest()[:10]
    slug = "".join(c if c.isalnum() else "-" for c in copy.repo.split("/")[-1].lower()).strip("-")[:40].rstrip("-")
    return f"load-{slug}-{digest}"


class ModelWeights(pulumi.ComponentResource):
    """Output ``jobs``: cache path -> loader Job name."""

    def __init__(self, name: str, args: ModelWeightsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("workloads", "ModelWeights"), name, None, formerly(opts, "ai-platform:inference:ModelWeights"))
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        principal = workload_principal(args.project_number, args.workload_pool,
                                       pulumi.Output.from_input(args.namespace).apply(lambda ns: f"{ns}/{LOADER}"))
        writer = gcp.storage.BucketIAMMember(
            f"{name}-bucket-writer", bucket=args.bucket, role="roles/storage.objectUser", member=principal,
            opts=pulumi.ResourceOptions(parent=self))
        account = core.ServiceAccount(
            f"{name}-ksa", metadata=meta.ObjectMetaArgs(name=LOADER, namespace=args.namespace, labels=args.labels),
            automount_service_account_token=False, opts=k8s_opts)
        gated = any(c.gated for c in args.copies)
        waits: list[pulumi.Resource] = [writer, account]
        if gated and args.token_secret is not None:
            waits.append(secret_provider_class(
                f"{name}-token", name=TOKEN_CLASS, namespace=args.namespace, files={"token": args.token_secret},
                labels_=args.labels, opts=k8s_opts))
        jobs: dict[str, pulumi.Output[str]] = {}
        for copy in args.copies:
            with_token = copy.gated and args.token_secret is not None
            physical = pulumi.Output.from_input(args.token_version if with_token and args.token_version else "").apply(
                lambda version, c=copy: job_name(c, version))
            labels = {**args.labels, WEIGHTS_LABEL: folder_key(copy.cache_path)}
            jobs[copy.cache_path] = physical
            k8s.batch.v1.Job(
                f"{name}-{job_name(copy)}",
                metadata=meta.ObjectMetaArgs(name=physical, namespace=args.namespace, labels=labels,
                                             annotations={
                                                 # A download takes minutes to hours: `pulumi up` does not wait.
                                                 "pulumi.com/skipAwait": "true",
                                                 "ai-platform/model": f"{copy.repo}@{copy.revision}",
                                                 **checkov_skips("pinned-tag", "if-not-present")}),
                spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=4, active_deadline_seconds=6 * 3600,
                    template=core.PodTemplateSpecArgs(
                        metadata=meta.ObjectMetaArgs(labels=labels, annotations={
                            # GCS FUSE's sidecar writes the weights: no CPU or memory cap on it.
                            "gke-gcsfuse/volumes": "true", "gke-gcsfuse/cpu-limit": "0",
                            "gke-gcsfuse/memory-limit": "0"}),
                        spec=loader_pod(copy, args, with_token))),
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=waits))
        self.jobs = jobs
        self.register_outputs({"jobs": jobs})


def loader_pod(copy: WeightCopy, args: ModelWeightsArgs, with_token: bool) -> core.PodSpecArgs:
    scratch = f"{math.ceil(copy.disk_gib * 1.1) + 2}Gi"
    mounts = [core.VolumeMountArgs(name="weights", mount_path="/weights"),
              core.VolumeMountArgs(name="scratch", mount_path="/scratch"),
              core.VolumeMountArgs(name="tmp", mount_path="/tmp")]  # noqa: S108 (an emptyDir)
    volumes = [
        core.VolumeArgs(name="weights", csi=core.CSIVolumeSourceArgs(
            driver=GCSFUSE_DRIVER, volume_attributes=pulumi.Output.from_input(args.mount or args.bucket).apply(lambda bucket: {
                "bucketName": bucket, "mountOptions": f"implicit-dirs,only-dir={copy.cache_path}"}))),
        core.VolumeArgs(name="scratch", empty_dir=core.EmptyDirVolumeSourceArgs(size_limit=scratch)),
        core.VolumeArgs(name="tmp", empty_dir=core.EmptyDirVolumeSourceArgs(size_limit="1Gi")),
    ]
    if with_token:
        mounts.append(core.VolumeMountArgs(name="hf-token", mount_path=TOKEN_DIR, read_only=True))
        volumes.append(core.VolumeArgs(name="hf-token", csi=core.CSIVolumeSourceArgs(
            driver="secrets-store-gke.csi.k8s.io", read_only=True,
            volume_attributes={"secretProviderClass": TOKEN_CLASS})))
    return core.PodSpecArgs(
        service_account_name=LOADER,
        automount_service_account_token=False,
        restart_policy="OnFailure",
        node_selector={POOL_LABEL: args.node_pool} if args.node_pool else None,
        enable_service_links=False,
        security_context=restricted_pod_context(),
        containers=[core.ContainerArgs(
            name="load",
            image=args.image,
            image_pull_policy="IfNotPresent",
            command=["python3", "-c", SCRIPT, copy.repo, copy.revision, WEIGHT_FILES[copy.format]],
            env=[core.EnvVarArgs(name=k, value=v) for k, v in (
                ("HOME", "/tmp"),  # noqa: S108 (an emptyDir)
                ("HF_HOME", "/scratch/hf"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("HF_HUB_ENABLE_HF_TRANSFER", "0"),
                ("TOKEN_DIR", TOKEN_DIR), ("READY_MARKER", READY_MARKER), ("USER", "loader"))],
            resources=core.ResourceRequirementsArgs(
                requests={"cpu": "2", "memory": "4Gi", "ephemeral-storage": scratch},
                limits={"cpu": "2", "memory": "4Gi", "ephemeral-storage": scratch}),
            security_context=restricted_container_context(),
            volume_mounts=mounts)],
        volumes=volumes,
    )


