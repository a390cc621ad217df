"""Checks of the pinned versions against each other: a GPU image's CUDA runs on the driver GKE installs, and a
preloaded image's disk image holds the pinned tag."""

from __future__ import annotations

from config.checks.common import fail
from config.spec import PlatformSpec

VERSIONS = "config/catalog/versions.yaml"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def cuda_runs_on_the_driver(spec: PlatformSpec) -> None:
    """Each image built with CUDA needs a driver at least as new as its CUDA's minimum; GKE's driver setting
    installs at least ``gpu_drivers[setting].min_driver``. A mismatch fails every GPU pod at start
    ("CUDA driver version is insufficient"), long after the apply succeeded."""
    versions = spec.catalog.versions
    if not spec.env.gpu_pools or versions.gpu_driver == "INSTALLATION_DISABLED":
        return
    installed = versions.gpu_drivers.get(versions.gpu_driver)
    if installed is None:
        raise fail(VERSIONS, ("gpu_drivers",), sorted(versions.gpu_drivers),
                   f"has no entry for gpu_driver {versions.gpu_driver} (add the oldest driver it installs, "
                   "with its source)")
    for name, image in sorted(versions.images.items()):
        if image.cuda is None:
            continue
        major = image.cuda.split(".")[0]
        needed = versions.cuda_drivers.get(major)
        if needed is None:
            raise fail(VERSIONS, ("images", name, "cuda"), image.cuda,
                       f"has no minimum driver in cuda_drivers (add cuda_drivers['{major}'] from NVIDIA's table)")
        if _version(needed) > _version(installed.min_driver):
            raise fail(VERSIONS, ("images", name, "tag"), image.tag,
                       f"is built with CUDA {image.cuda}, which needs NVIDIA driver {needed} or newer; gpu_driver "
                       f"{versions.gpu_driver} installs {installed.min_driver} (pin a build for an older CUDA, "
                       "e.g. vLLM's -cu129 tags, or set a gpu_driver that installs a newer driver)")


def preload_is_of_the_pinned_tag(spec: PlatformSpec) -> None:
    """A disk image built from another tag would preload layers no pod uses while every node still pulls the
    pinned image whole (and a pool naming it is replaced for nothing): a new tag needs its disk image first."""
    for name, image in sorted(spec.catalog.versions.images.items()):
        if image.preload is not None and image.preload.built_from != image.tag:
            raise fail(VERSIONS, ("images", name, "preload", "built_from"), image.preload.built_from,
                       f"is not the pinned tag {image.tag!r}: disk image {image.preload.disk_image!r} holds another "
                       f"image (build one from {image.tag}: `python -m review.preload {spec.stack}` prints the "
                       "command; then set preload.disk_image and preload.built_from; docs/cold-start.md)")
