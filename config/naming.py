"""Physical names and labels: the one place that decides how things are called in GCP.

``Naming`` is a plain value a component receives in its args; it never sees the spec.
Names are ``<prefix>-<env>[-<region>]-<thing>``: the region part is empty for the stack's
primary region, so the same component can be built again in a DR region without renaming
anything in the primary one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# GCP limits for the kinds of names this program builds (minimum, maximum length).
NAME_LIMITS: dict[str, tuple[int, int]] = {"default": (1, 63), "service_account": (6, 30), "bucket": (3, 63),
                                           "secret": (1, 255)}
_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


class InvalidNameError(ValueError):
    """A physical name outside its GCP limits; carries the name and the limits."""

    def __init__(self, name: str, kind: str) -> None:
        low, high = NAME_LIMITS[kind]
        super().__init__(f"physical name {name!r} is not a valid {kind} name ({low}-{high} characters, DNS-1123)")
        self.name, self.kind, self.limit = name, kind, high


@dataclass(frozen=True)
class Naming:
    """How this stack names things: prefix, environment, project and (outside the primary) region."""

    prefix: str
    environment: str
    project: str
    region: str = ""
    generation: int | None = None  # bumped after a destroy of an unprotected environment

    def held(self, thing: str, *, kind: str = "default") -> str:
        """The name of something Google keeps after deletion: KMS key rings (forever), Cloud SQL
        instances (the provider documents up to a week). ``-g<generation>`` makes it new after a
        destroy; without a generation (protected environments) it is ``name(thing)``."""
        return self.name(f"{thing}-g{self.generation}" if self.generation else thing, kind=kind)

    def in_region(self, region: str) -> Naming:
        """The same naming for another region (empty: the primary region)."""
        return replace(self, region=region)

    def name(self, thing: str, *, kind: str = "default") -> str:
        """``<prefix>-<env>[-<region>]-<thing>``, checked against the GCP limit of ``kind``.

        Raises rather than truncating: a silently shortened name would change (and replace
        the resource) when its inputs change. Config checks keep inputs short enough.
        """
        parts = [self.prefix, self.environment, self.region, thing]
        return _checked("-".join(p for p in parts if p), kind)

    def bucket(self, thing: str) -> str:
        """Bucket names are global: ``<project>[-<region>]-<thing>`` (project ids are unique)."""
        parts = [self.project, self.region, thing]
        return _checked("-".join(p for p in parts if p), "bucket")

    def labels(self, component: str, tenant: str | None = None) -> dict[str, str]:
        """The labels every labelable GCP resource carries (showback, ownership, audits)."""
        out = {"env": self.environment, "component": component, "managed-by": "pulumi"}
        if tenant:
            out["tenant"] = tenant
        return out

    @property
    def node_tag(self) -> str:
        """Network tag on every GKE node; firewall rules target it."""
        return self.name("gke-node")


def _checked(name: str, kind: str) -> str:
    low, high = NAME_LIMITS[kind]
    if not (low <= len(name) <= high) or not _NAME.match(name):
        raise InvalidNameError(name, kind)
    return name


def sql_name(owner: str) -> str:
    """A DNS-label owner (a tenant) as a PostgreSQL database and role name: ``-`` is not allowed there."""
    return owner.replace("-", "_")
