"""Helpers shared by the checks: where a stack's files are and how an error names a field."""

from __future__ import annotations

from config.errors import ConfigError, field_path


def env_file(spec) -> str:
    return f"config/environments/{spec.environment}.yaml"


def tenant_file(name: str) -> str:
    return f"config/tenants/{name}.yaml"


def fail(file: str, path: tuple, value: object, message: str) -> ConfigError:
    """The error for ``value`` at ``path`` (a tuple of keys and list indexes) in ``file``."""
    return ConfigError(file, field_path(path), f"{value!r} {message}")


def unknown_accelerator(spec, name: str) -> str | None:
    """The problem with an accelerator name the catalog does not know (suggesting one by meaning), or None."""
    catalog = spec.catalog.accelerators
    if name in catalog.accelerators:
        return None
    return (f"is not in config/catalog/accelerators.yaml ({catalog.suggest(name)}"
            f"known: {', '.join(catalog.accelerators)})")
