"""python -m review.preload <stack>: the gke-disk-image-builder command that builds the serving image's disk image.

GPU pools preload the pinned vLLM image from a secondary boot disk cloned from a Compute Engine disk image in the
stack's project (docs/cold-start.md, ADR 0019). The program reads that disk image and never builds it: building
takes a VM, containerd and a quarter of an hour, which is a pipeline step, not a `pulumi up`. This prints the step
for one stack from its config: the image through the stack's Artifact Registry cache (the layers pods pull), the
disk image name (the catalog's, or a new one when the pinned tag moved on), the project's artifacts bucket for the
builder's logs, the platform network, and the builder's own service account (docs/cold-start.md: it reads the cache
and writes the logs, nothing else). It works while the stack does not load because the disk image is stale: that is
when it is needed. Exit status 2 for a configuration error.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

import config
from config import loader
from config.loader import ROOT
from plan.coldstart import SERVING_IMAGE

BUILDER = "gke-disk-image-builder (ai-on-gke/tools, gke-disk-image-builder/cli)"
BUILDER_ACCOUNT = "disk-image-builder"  # made once per project (docs/cold-start.md)
TIMEOUT = "60m"  # per step: a 12 GB image pulls and unpacks in well over the builder's 20-minute default


def disk_image_name(image: str, tag: str) -> str:
    """``vllm-openai-v0-31-0-cu129``: the image's last path part and its tag, as a Compute Engine image name."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{image.rsplit('/', 1)[-1]}-{tag}".lower()).strip("-")
    return slug[:63].rstrip("-")


def command(spec: config.PlatformSpec) -> tuple[list[str], str, bool]:
    """The builder's argument list, the disk image it makes, and whether the catalog already names it."""
    image = spec.catalog.versions.images[SERVING_IMAGE]
    registry = spec.catalog.versions.registries[image.registry]
    current = image.preload is not None and image.preload.built_from == image.tag
    name = image.preload.disk_image if current else disk_image_name(image.image, image.tag)
    size = image.preload.disk_size_gb if image.preload else 60
    naming = spec.naming
    source = (f"{image.image}:{image.tag}" if registry.direct else
              f"{spec.region}-docker.pkg.dev/{spec.project}/{registry.repository}/{image.path}:{image.tag}")
    args = ["go", "run", "./cli", f"--project-name={spec.project}", f"--image-name={name}",
            f"--zone={spec.env.zones[0]}", f"--gcs-path=gs://{naming.bucket('artifacts')}/disk-image-builder/",
            f"--disk-size-gb={size}", f"--container-image={source}", "--image-pull-auth=ServiceAccountToken",
            f"--network={naming.name('vpc')}", f"--subnet={naming.name('nodes')}",
            f"--service-account={BUILDER_ACCOUNT}@{spec.project}.iam.gserviceaccount.com",
            f"--timeout={TIMEOUT}", "--image-labels=ai-platform=serving-image",
            f"--image-family-name={disk_image_name(image.image, 'preload')}"]
    return args, name, current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.preload", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project tree (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        spec = loader.load(args.stack, loader.stack_config_from_file(args.stack, root), root, checks=False)
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    argv_, name, current = command(spec)
    image = spec.catalog.versions.images[SERVING_IMAGE]
    print(f"# {BUILDER}, from its directory; it fails if {name} exists already in {spec.project}.")
    print(shlex.join(argv_))
    if not current:
        print(f"# then, in config/catalog/versions.yaml, images.{SERVING_IMAGE}.preload: "
              f"{{disk_image: {name}, built_from: {image.tag}, disk_size_gb: {image.preload.disk_size_gb if image.preload else 60}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
