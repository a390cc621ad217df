"""Physical names and labels: the one place that decides how things are called in GCP."""

from __future__ import annotations

import re

from config import PlatformSpec
from config.types import NAME_LIMITS

_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def physical_name(spec: PlatformSpec, thing: str, *, kind: str = "default") -> str:
    """``<prefix>-<env>-<thing>``, checked against the GCP limit of ``kind``.

    Raises ValueError rather than truncating: a silently shortened name would change
    (and replace the resource) when its inputs change. Config validation keeps tenant
    and pool names short enough that this never fires on valid input.
    """
    name = f"{spec.env.prefix}-{spec.environment}-{thing}"
    limit = NAME_LIMITS[kind]
    minimum = 6 if kind == "service_account" else 1
    if not (minimum <= len(name) <= limit) or not _NAME.match(name):
        raise ValueError(f"physical name {name!r} is not a valid {kind} name ({minimum}-{limit} characters, DNS-1123)")
    return name


def labels(spec: PlatformSpec, component: str, tenant: str | None = None) -> dict[str, str]:
    """The labels every labelable GCP resource carries (showback, ownership, audits)."""
    out = {"env": spec.environment, "component": component, "managed-by": "pulumi"}
    if tenant:
        out["tenant"] = tenant
    return out


def bucket_name(spec: PlatformSpec, thing: str) -> str:
    """Bucket names are global: ``<project>-<thing>`` (project ids are globally unique)."""
    name = f"{spec.project}-{thing}"
    if len(name) > NAME_LIMITS["bucket"] or not _NAME.match(name):
        raise ValueError(f"bucket name {name!r} is not valid (3-63 characters, DNS-1123)")
    return name


def node_tag(spec: PlatformSpec) -> str:
    """Network tag on every GKE node; firewall rules target it."""
    return physical_name(spec, "gke-node")
