"""Turn a pydantic ValidationError into one line a user can act on.

``config/environments/prod.yaml: network.pods_range: '10.4.0.0/33' is not an IPv4
network (expected CIDR like 10.4.0.0/14)``: file, field path, value, what is allowed.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from config.types import FieldError


class ConfigError(Exception):
    """A mistake in user-edited configuration. Printed as one line, exit status 2."""

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file, self.path, self.message = file, path, message
        super().__init__(f"{file}: {path}: {message}" if path else f"{file}: {message}")


def did_you_mean(value: object, choices) -> str:
    """``"did you mean 'x'? "`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(value), list(choices), n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the last element of ``loc`` (for listing allowed keys)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) or current is None:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated/list wrappers down to the model or dict inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else options[0]
        elif origin in (list, tuple, frozenset, set):
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def field_path(loc: tuple) -> str:
    """``('gpu_pools', 0, 'zones', 1)`` -> ``gpu_pools[0].zones[1]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field_names(annotation: Any, seen: set | None = None) -> set[str]:
    """Every field name of every model reachable from ``annotation``."""
    seen = set() if seen is None else seen
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return set()
        seen.add(annotation)
        names = set(annotation.model_fields) | {f.alias for f in annotation.model_fields.values() if f.alias}
        for field in annotation.model_fields.values():
            names |= _field_names(field.annotation, seen)
        return names
    return set().union(*(_field_names(a, seen) for a in typing.get_args(annotation)))


def _without_tags(loc: tuple, model: type[BaseModel]) -> tuple:
    """Drop the tags pydantic puts in the path of a discriminated union's item (``workloads[0].genbi.name``):
    a key right after a list index that is no field of any model here."""
    names = _field_names(model)
    return tuple(p for i, p in enumerate(loc)
                 if not (i and isinstance(loc[i - 1], int) and isinstance(p, str) and p not in names))


def describe(error: dict, model: type[BaseModel]) -> tuple[str, str]:
    """(field path, message) for one pydantic error dict."""
    loc = _without_tags(tuple(error["loc"]), model)
    kind = error["type"]
    value = error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        extra = tuple(int(p) if p.isdigit() else p for p in cause.field.split("."))
        return field_path(loc + extra), f"{cause.value!r} {cause.message}"
    if kind == "extra_forbidden":
        allowed = _keys(_model_at(model, loc[:-1])) if _model_at(model, loc[:-1]) else []
        hint = did_you_mean(loc[-1], allowed)
        return field_path(loc), f"unknown key ({hint}allowed: {', '.join(sorted(allowed))})"
    if kind == "missing":
        return field_path(loc), "is required but missing"
    if kind == "value_error":
        return field_path(loc), f"{value!r} {cause}"
    message = error["msg"]
    return field_path(loc), f"{value!r} is not valid: {message[0].lower()}{message[1:]}"


def from_validation_error(file: str, exc: ValidationError, model: type[BaseModel]) -> ConfigError:
    """One ConfigError for the first problem, noting how many more there are."""
    # A misspelled key also makes the real one "missing": report the misspelling first.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    path, message = describe(errors[0], model)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in this file)"
    return ConfigError(file, path, message)
