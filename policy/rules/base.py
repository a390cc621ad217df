"""What a rule sees and how it is declared, independent of who runs it.

The same rule code runs inside `pulumi preview --policy-pack policy` (policy/pack.py adapts
pulumi_policy's arguments) and inside the offline review (policy/evaluate.py adapts the
harness's records). Both give a ``Resource``: the type token, the logical name and the inputs
in the engine's camelCase shape. During a preview some inputs are not known yet; reading one
raises ``Unknown`` and the rule is skipped for that resource (never a false violation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
Area = Literal["gke", "storage", "iam", "kms", "sql", "secrets", "registry", "kubernetes", "stack"]


class _Unknown:
    """A value the engine computes later (an output of a resource not created yet)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()
_MISSING = object()


class Unknown(Exception):  # noqa: N818 (raised like pulumi_policy's UnknownValueError, caught inside)
    """Raised by ``Resource.get`` on a value not known during preview."""


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    parent: str = ""  # the parent's key or URN (names the DR region's resources: ``...-<region>...``)

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    def get(self, path: str, default: Any = None) -> Any:
        """The input at a dotted path (``settings.ipConfiguration.ipv4Enabled``), ``default`` if absent."""
        value: Any = self.props
        for part in path.split("."):
            if value is UNKNOWN:
                raise Unknown(path)
            if not isinstance(value, Mapping):
                return default
            value = value.get(part, _MISSING)
            if value is _MISSING or value is None:
                return default
        if value is UNKNOWN:
            raise Unknown(path)
        return value

    def known(self, value: Any) -> Any:
        """``value`` itself, after checking nothing inside it is unknown (lists of objects, maps)."""
        if value is UNKNOWN:
            raise Unknown(self.key)
        if isinstance(value, Mapping):
            for inner in value.values():
                self.known(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                self.known(inner)
        return value

    @property
    def namespace(self) -> str | None:
        return self.get("metadata.namespace")

    @property
    def labels(self) -> Mapping[str, str]:
        return self.get("metadata.labels", {})


@dataclass(frozen=True)
class Context:
    """What a rule needs to know about the stack beyond one resource (policy/context.py builds it)."""

    stack: str
    environment: str
    enforcement: Literal["advisory", "mandatory"]
    protect: bool
    monthly_ceiling: float
    tenants: tuple[str, ...] = ()
    image_prefixes: tuple[str, ...] = ()  # the platform's registry caches, ``<host>/<project>/<repo>/``
    direct_images: tuple[str, ...] = ()  # catalog images pulled as they are (Google's own registries)
    monthly_cost: Callable[[list[Resource]], float] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    resource: str | None  # ``type::name``; None: the stack as a whole
    message: str


Check = Callable[..., Iterable[Any]]


@dataclass(frozen=True)
class Rule:
    """One policy: an id (the pack's policy name), what it checks, why, and how to fix a violation."""

    id: str
    area: Area
    severity: Severity
    description: str
    remediation: str
    check: Check
    types: tuple[str, ...] = ()  # resource rule: the types it applies to; empty: a stack rule

    @property
    def stack(self) -> bool:
        return not self.types

    def on_resource(self, resource: Resource, context: Context) -> list[str]:
        """Violation messages for one resource (none when an input it reads is unknown)."""
        if resource.type not in self.types:
            return []
        try:
            return [str(m) for m in self.check(resource, context)]
        except Unknown:
            return []

    def on_stack(self, resources: list[Resource], context: Context) -> list[tuple[str | None, str]]:
        """(resource key or None, message) for a stack rule over every resource."""
        try:
            return [(key, str(message)) for key, message in self.check(resources, context)]
        except Unknown:
            return []

    def evaluate(self, resources: list[Resource], context: Context) -> list[Finding]:
        if self.stack:
            return [Finding(self.id, self.severity, key, msg) for key, msg in self.on_stack(resources, context)]
        return [Finding(self.id, self.severity, r.key, msg) for r in resources for msg in self.on_resource(r, context)]


RULES: list[Rule] = []


def rule(id: str, area: Area, severity: Severity, description: str, remediation: str,
         types: Iterable[str] = ()) -> Callable[[Check], Check]:
    """Declare a rule; ``types`` empty makes it a stack rule, called with (resources, context)."""

    def register(check: Check) -> Check:
        if any(r.id == id for r in RULES):
            raise ValueError(f"rule {id} is declared twice")
        RULES.append(Rule(id, area, severity, description, remediation, check, tuple(types)))
        return check

    return register


def each(resources: Iterable[Resource], *types: str) -> Iterator[Resource]:
    return (r for r in resources if r.type in types)


def skip_unknown(check: Callable[[Resource], Iterable[Any]], resource: Resource) -> list[Any]:
    """A stack rule's per-resource part: unknown inputs skip this resource, not the whole rule."""
    try:
        return list(check(resource))
    except Unknown:
        return []
