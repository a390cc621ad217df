"""Stack config + YAML files -> PlatformSpec. Every user mistake becomes one ConfigError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.catalog import (
    AcceleratorCatalog,
    ApiCatalog,
    Catalog,
    DatabaseFlagCatalog,
    MachineCatalog,
    MetricCatalog,
    ModelCatalog,
    PriceCatalog,
    RecoveryCatalog,
    RegionCatalog,
    ServingCatalog,
    Versions,
)
from config.checks import run_checks
from config.deployer import DeployerRoleCatalog
from config.environment import ENVIRONMENTS, EnvironmentSpec
from config.errors import ConfigError, did_you_mean, from_validation_error
from config.genbi import GenBiCatalog
from config.operations import tenant_webhook_secret
from config.spec import PlatformSpec
from config.tenancy import TenantSpec, TierCatalog

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "ai-platform"
ROOT_ENV = "AIP_CONFIG_ROOT"  # read config/ from another tree (review of a copy, benchmarks)


STACK_KEYS = {"gcp:project": "project", "gcp:region": "region", f"{PROJECT}:environment": "environment"}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (YAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, root: Path = ROOT, *, hint: str = "", empty: str = "") -> dict[str, Any]:
    """Parse one YAML file into a mapping, or raise ConfigError naming it. With ``empty`` (what the file
    needs), a file with nothing in it (no bytes, only comments, ``null``) is refused as empty."""
    rel = _rel(path, root)
    if not path.is_file():
        raise ConfigError(rel, "", f"file not found{hint}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(rel, "", f"{where}invalid YAML: {problem}") from None
    if data is None:
        if empty:
            raise ConfigError(rel, "", f"file is empty ({empty})")
        return {}
    if not isinstance(data, dict):
        raise ConfigError(rel, "", f"expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def validate(model: type[BaseModel], data: Any, file: str):
    """model.model_validate with errors turned into a ConfigError about ``file``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(file, exc, model) from None


def needs(model: type[BaseModel]) -> str:
    """``name, tier and sla``: the keys a file of ``model`` must have."""
    keys = [field.alias or name for name, field in model.model_fields.items() if field.is_required()]
    return f"{', '.join(keys[:-1])} and {keys[-1]}" if len(keys) > 1 else keys[0]


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def load_catalog(root: Path = ROOT) -> Catalog:
    directory = root / "config" / "catalog"
    parts = {"regions": RegionCatalog, "models": ModelCatalog, "serving": ServingCatalog, "genbi": GenBiCatalog,
             "apis": ApiCatalog, "deployer_roles": DeployerRoleCatalog,
             "database_flags": DatabaseFlagCatalog, "machines": MachineCatalog, "versions": Versions,
             "accelerators": AcceleratorCatalog, "prices": PriceCatalog, "tiers": TierCatalog,
             "metrics": MetricCatalog, "recovery": RecoveryCatalog}
    loaded = {name: validate(model, read_yaml(directory / f"{name}.yaml", root), f"config/catalog/{name}.yaml")
              for name, model in parts.items()}
    return Catalog(**loaded)


def load(stack: str, stack_config: Mapping[str, Any], root: Path = ROOT, *, checks: bool = True) -> PlatformSpec:
    """Build the PlatformSpec of ``stack`` from its config map (``{"gcp:region": ...}``).

    Parses and validates each file on its own, then runs the checks of ``config.checks`` in
    order over the whole spec (``checks=False``: only the files, for tools that help fix what a
    check refuses). Raises ConfigError for the first mistake.
    """
    stack_file = f"Pulumi.{stack}.yaml"
    for key in STACK_KEYS:
        if key not in stack_config:
            raise ConfigError(stack_file, key, f"is required but missing (pulumi config set {key} <value>)")
    settings = {field: stack_config[key] for key, field in STACK_KEYS.items()}

    catalog = load_catalog(root)
    regions = catalog.regions.regions
    if settings["region"] not in regions:
        hint = did_you_mean(settings["region"], regions)
        raise ConfigError(stack_file, "gcp:region", f"{settings['region']!r} is not a GCP region "
                          f"({hint}known regions are listed in config/catalog/regions.yaml)")
    environment = settings["environment"]
    if environment not in ENVIRONMENTS:
        raise ConfigError(stack_file, f"{PROJECT}:environment",
                          f"{environment!r} is not a known environment (expected one of: {', '.join(ENVIRONMENTS)})")

    env_path = environment_file(root, environment)
    env = validate(EnvironmentSpec, read_yaml(
        env_path, root, hint=" (every environment named by a stack needs one; copy config/environments/dev.yaml to start)",
        empty=f"an environment file needs at least {needs(EnvironmentSpec)}; start from a copy of another "
              "environment's file"), _rel(env_path, root))
    tenants = load_tenant_files(root)
    hosted = [t for t in tenants if stack in t.stacks]
    allowed = [*STACK_KEYS, *secret_config_keys(env, hosted).values()]
    unknown = [k for k in stack_config if k.startswith(f"{PROJECT}:") and k not in allowed]
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        raise ConfigError(stack_file, unknown[0], f"unknown key ({hint}allowed: {', '.join(allowed)}; secrets are "
                          f"declared under data.secrets.external in {_rel(env_path, root)}, and a tenant's alert "
                          "webhook under its alerts.webhook.config_key)")
    spec = validate(PlatformSpec, {**settings, "stack": stack, "env": env, "catalog": catalog,
                                   "tenants": hosted, "all_tenants": tenants,
                                   "stacks": project_stacks(root)}, stack_file)
    if checks:
        run_checks(spec)
    return spec


def project_stacks(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


YAML_SUFFIXES = (".yaml", ".yml")  # in any case: all of them look like YAML to a user


def _names(directory: Path) -> set[str]:
    """File names as stored (a case-insensitive file system finds dev.yaml for dev.YAML; a listing does not)."""
    return {p.name for p in directory.iterdir()} if directory.is_dir() else set()


def _misnamed(path: Path, root: Path, kind: str, expected: str, names: set[str]) -> ConfigError:
    """A YAML-looking file under another name than the one the loader reads: it would be ignored."""
    if path.suffix != ".yaml":
        problem = f"{kind} files end in .yaml, not {path.suffix}"
    else:
        problem = f"{kind} files are named in lowercase"
    fix = (f"{expected} exists too: merge this file into it and remove this one" if expected in names
           else f"rename it to {expected}")
    return ConfigError(_rel(path, root), "", f"{problem} ({fix})")


def environment_file(root: Path, environment: str) -> Path:
    """config/environments/<environment>.yaml, refusing a variant (dev.yml, dev.YAML) that would be ignored
    on Linux and read on a case-insensitive file system."""
    directory = root / "config" / "environments"
    expected, names = f"{environment}.yaml", _names(directory)
    variants = {f"{environment}{suffix}" for suffix in YAML_SUFFIXES}
    for name in sorted(n for n in names if n.lower() in variants and n != expected):
        raise _misnamed(directory / name, root, "environment", expected, names)
    return directory / expected


def load_tenant_files(root: Path) -> list[TenantSpec]:
    """Every tenant file, each validated on its own, sorted by name; names unique and equal to file names."""
    directory = root / "config" / "tenants"
    names = _names(directory)
    seen: dict[str, str] = {}
    tenants = []
    for path in sorted(directory / n for n in names if Path(n).suffix.lower() in YAML_SUFFIXES):
        file = _rel(path, root)
        if path.suffix != ".yaml":
            raise _misnamed(path, root, "tenant", f"{path.stem}.yaml", names)
        tenant = validate(TenantSpec, read_yaml(path, root, empty=f"a tenant file needs at least {needs(TenantSpec)}; "
                                                "see docs/tenants.md"), file)
        if tenant.name in seen:
            raise ConfigError(file, "name", f"{tenant.name!r} is already the name of the tenant in {seen[tenant.name]} "
                              "(tenant names must be unique)")
        seen[tenant.name] = file
        if path.stem != tenant.name:
            raise ConfigError(file, "name", f"{tenant.name!r} must match the file name ('{path.stem}')")
        tenants.append(tenant)
    return tenants


def secret_config_keys(env: EnvironmentSpec, tenants: list[TenantSpec] = ()) -> dict[str, str]:
    """Secret name -> the stack config key that may hold its value: the environment's supplied secrets and the
    hosted tenants' alert webhooks."""
    keys = {s.name: f"{PROJECT}:{s.config_key}" for s in env.data.secrets.external}
    keys.update({tenant_webhook_secret(t.name): f"{PROJECT}:{t.alerts.webhook.config_key}"
                 for t in tenants if t.alerts and t.alerts.webhook})
    return keys


def stack_config_from_file(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The ``config:`` map of Pulumi.<stack>.yaml, as the Pulumi CLI would pass it."""
    data = read_yaml(root / f"Pulumi.{stack}.yaml", root, hint=f" (is '{stack}' a stack of this project?)")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"Pulumi.{stack}.yaml", "config", "expected a mapping of config keys")
    return config


def _config_keys() -> list[str]:
    """Every key of the running stack's config (to reject ones nobody reads)."""
    from pulumi.runtime.config import CONFIG

    return list(CONFIG.get())


@contextlib.contextmanager
def config_root(root: Path) -> Iterator[None]:
    """Make ``load_from_pulumi`` read config/ under ``root`` for the duration of a run."""
    previous = os.environ.get(ROOT_ENV)
    os.environ[ROOT_ENV] = str(root)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ROOT_ENV, None)
        else:
            os.environ[ROOT_ENV] = previous


def load_from_pulumi() -> PlatformSpec:
    """Inside a Pulumi run: read the stack's config through pulumi.Config."""
    import pulumi

    values: dict[str, Any] = {}
    for key in STACK_KEYS:
        namespace, name = key.split(":")
        value = pulumi.Config(namespace).get(name)
        if value is not None:
            values[key] = value
    # Other keys of this project only need to be present for the unknown-key check; their
    # values (secrets among them) are read where they are used, as Pulumi secrets.
    values.update({k: "<present>" for k in _config_keys() if k.startswith(f"{PROJECT}:") and k not in values})
    return load(pulumi.get_stack(), values, Path(os.environ.get(ROOT_ENV, ROOT)))


def secret_values_from_pulumi(spec: PlatformSpec) -> dict[str, Any]:
    """Secret name -> its value from `pulumi config set --secret` (a secret Output), or None if unset."""
    import pulumi

    values = {}
    for name, key in secret_config_keys(spec.env, spec.tenants).items():
        namespace, config_key = key.split(":")
        values[name] = pulumi.Config(namespace).get_secret(config_key)
    return values
