"""Config edge cases (issue 17): file names and empty files, accelerator suggestions, cron and time zones.

Every mistake is one exact line on the fixture tree, as in tests/test_config.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import ConfigError, loader
from config.loader import ROOT
from tests.conftest import edit_yaml

DEV = "config/environments/dev.yaml"
CRON = "expected 5 fields like '0 8 * * 1-5'"


def load(root, stack="dev"):
    return loader.load(stack, loader.stack_config_from_file(stack, root), root)


def error_of(root, stack="dev") -> str:
    with pytest.raises(ConfigError) as caught:
        load(root, stack)
    return str(caught.value)


def working_hours(root, **fields) -> None:
    edit_yaml(root / DEV, lambda d: d["inference"]["working_hours"].update(fields))


# -- file names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".YAML", ".Yaml", ".yAml", ".YML", ".Yml"])
def test_a_tenant_file_with_a_yaml_suffix_in_another_case_is_refused(config_tree, suffix):
    """Once ignored without a word (the loader globbed *.y*ml, case-sensitively): the tenant vanished."""
    (config_tree / "config/tenants/beta.yaml").rename(config_tree / f"config/tenants/beta{suffix}")
    assert error_of(config_tree) == (
        f"config/tenants/beta{suffix}: tenant files end in .yaml, not {suffix} (rename it to beta.yaml)")


def test_a_tenant_file_beside_its_yaml_twin_is_not_renamed_over_it(config_tree):
    tenants = config_tree / "config/tenants"
    (tenants / "beta.yml").write_bytes((tenants / "beta.yaml").read_bytes())
    assert error_of(config_tree) == (
        "config/tenants/beta.yml: tenant files end in .yaml, not .yml "
        "(beta.yaml exists too: merge this file into it and remove this one)")


def test_other_files_in_the_tenants_folder_are_not_tenants(config_tree):
    tenants = config_tree / "config/tenants"
    for name in ("README.md", "beta.yaml~", "beta.yaml.orig", "notes.txt"):
        (tenants / name).write_text("not a tenant\n")
    assert [t.name for t in load(config_tree).all_tenants] == ["alpha", "beta", "delta", "gamma"]


@pytest.mark.parametrize(("name", "problem"), [
    ("dev.yml", "environment files end in .yaml, not .yml"),
    ("dev.YAML", "environment files end in .yaml, not .YAML"),
    ("Dev.yaml", "environment files are named in lowercase"),
])
def test_an_environment_file_under_another_name_is_named(config_tree, name, problem):
    """The stack's environment is read from <environment>.yaml: a variant is found on a case-insensitive file
    system and not on Linux (CI), so it is refused everywhere, instead of 'file not found' on one of them."""
    (config_tree / DEV).rename(config_tree / "config/environments" / name)
    assert error_of(config_tree) == f"config/environments/{name}: {problem} (rename it to dev.yaml)"


def test_an_environment_file_beside_its_twin_is_refused(config_tree):
    (config_tree / "config/environments/dev.yml").write_bytes((config_tree / DEV).read_bytes())
    assert error_of(config_tree) == (
        "config/environments/dev.yml: environment files end in .yaml, not .yml "
        "(dev.yaml exists too: merge this file into it and remove this one)")
    assert load(config_tree, "prod").stack == "prod", "another stack's environment is not concerned"


# -- empty files ------------------------------------------------------------------------------------------------

EMPTY = {"no bytes": "", "blank lines": "\n\n", "only comments": "# a new tenant, to fill in\n# later\n",
         "null": "null\n", "tilde": "---\n~\n"}


@pytest.mark.parametrize("text", EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_tenant_file_says_it_is_empty(config_tree, text):
    (config_tree / "config/tenants/epsilon.yaml").write_text(text)
    assert error_of(config_tree) == (
        "config/tenants/epsilon.yaml: file is empty (a tenant file needs at least name, display_name, tier, "
        "stacks, owners, sla and alerts; see docs/tenants.md)")


@pytest.mark.parametrize("text", EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_environment_file_says_it_is_empty(config_tree, text):
    (config_tree / DEV).write_text(text)
    assert error_of(config_tree) == (
        f"{DEV}: file is empty (an environment file needs at least protect, zones, network, cluster, cpu_pools, "
        "data, tenancy, operations and policy; start from a copy of another environment's file)")


def test_an_empty_mapping_is_not_an_empty_file(config_tree):
    """`{}` was written on purpose: the missing keys are listed as for any other incomplete file."""
    (config_tree / "config/tenants/epsilon.yaml").write_text("{}\n")
    assert error_of(config_tree) == (
        "config/tenants/epsilon.yaml: name: is required but missing (and 6 more problems in this file)")


# -- accelerator names ------------------------------------------------------------------------------------------

KNOWN = "known: nvidia-l4, nvidia-tesla-a100, nvidia-a100-80gb, nvidia-h100-80gb"


@pytest.mark.parametrize(("value", "hint"), [
    ("nvidia-tesla-l4", "did you mean 'nvidia-l4'? "),  # difflib alone said nvidia-tesla-a100
    ("NVIDIA-L4", "did you mean 'nvidia-l4'? "),
    ("l4", "did you mean 'nvidia-l4'? "),
    ("nvidia-l4-24gb", "did you mean 'nvidia-l4'? "),
    ("tesla-a100", "did you mean 'nvidia-tesla-a100'? "),
    ("a100", "did you mean 'nvidia-tesla-a100' or 'nvidia-a100-80gb'? "),
    ("nvidia-a100-80", "did you mean 'nvidia-a100-80gb'? "),
    ("A100 40GB", "did you mean 'nvidia-tesla-a100'? "),
    ("h100", "did you mean 'nvidia-h100-80gb'? "),
    ("nvidia-a100-80gbb", "did you mean 'nvidia-a100-80gb'? "),
    ("l4-or-h100", ""),
])
def test_a_gpu_pool_accelerator_is_suggested_by_meaning(config_tree, value, hint):
    edit_yaml(config_tree / DEV, lambda d: d["gpu_pools"][0].update(accelerator=value))
    assert error_of(config_tree) == (
        f"{DEV}: gpu_pools[0].accelerator: '{value}' is not in config/catalog/accelerators.yaml ({hint}{KNOWN})")


def test_a_tenant_workloads_accelerator_is_suggested_by_meaning(config_tree):
    edit_yaml(config_tree / "config/tenants/alpha.yaml", lambda d: d["workloads"][0].update(accelerators=["tesla-l4"]))
    assert error_of(config_tree) == (
        "config/tenants/alpha.yaml: workloads[0].accelerators[0]: 'tesla-l4' is not in "
        f"config/catalog/accelerators.yaml (did you mean 'nvidia-l4'? {KNOWN})")


def test_a_tenant_quota_for_an_unknown_accelerator_is_refused(config_tree):
    """A GPU quota under a name no pool has would count against no capacity: refused like the other names."""
    edit_yaml(config_tree / "config/tenants/alpha.yaml", lambda d: d.update(quota={"gpus": {"l4": 2}}))
    assert error_of(config_tree) == (
        "config/tenants/alpha.yaml: quota.gpus.l4: 'l4' is not in config/catalog/accelerators.yaml "
        f"(did you mean 'nvidia-l4'? {KNOWN})")


def test_a_shared_endpoints_accelerator_is_checked_against_the_catalog(config_tree):
    """Before, sizing said 'has no GPU pool in stack dev' for a misspelling, as if the pool were missing."""
    edit_yaml(config_tree / DEV, lambda d: d["inference"]["endpoints"][1].update(accelerators=["nvidia-l4", "a100"]))
    assert error_of(config_tree) == (
        f"{DEV}: inference.endpoints[1].accelerators[1]: 'a100' is not in config/catalog/accelerators.yaml "
        f"(did you mean 'nvidia-tesla-a100' or 'nvidia-a100-80gb'? {KNOWN})")


def test_an_alias_names_one_accelerator(config_tree):
    edit_yaml(config_tree / "config/catalog/accelerators.yaml",
              lambda d: d["accelerators"]["nvidia-h100-80gb"].update(aliases=["h100", "l4"]))
    assert error_of(config_tree) == (
        "config/catalog/accelerators.yaml: accelerators.nvidia-h100-80gb.aliases[1]: 'l4' already names nvidia-l4 "
        "(an alias points at one accelerator)")


# -- cron and time zones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "problem"), [
    ("99 99 * * 9", "minute 99 is out of range 0-59"),
    ("0 24 * * 1-5", "hour 24 is out of range 0-23"),
    ("0 8 0 * *", "day-of-month 0 is out of range 1-31"),
    ("0 8 * 13 *", "month 13 is out of range 1-12"),
    ("0 8 * * 7", "day-of-week 7 is out of range 0-6"),
    ("0 8 * * 5-1", "day-of-week range 5-1 runs backwards (list both parts instead, like 5-6,0-1)"),
    ("*/0 8 * * *", "minute step '/0' is not a positive number"),
    ("0 8 * * MON-FRY", "day-of-week 'FRY' is not a number or one of SUN-SAT"),
    ("0 8 L * *", "day-of-month 'L' is not a number: KEDA's cron has no L, W, # or H"),
    ("0 8 * * 1#2", "day-of-week '1#2' is not a number or one of SUN-SAT: KEDA's cron has no L, W, # or H"),
    ("0 8 30 2 *", "day-of-month 30 never occurs in month 2"),
])
def test_a_cron_field_out_of_its_range_is_refused(config_tree, value, problem):
    working_hours(config_tree, start=value)
    assert error_of(config_tree) == (
        f"{DEV}: inference.working_hours.start: '{value}' is not a cron expression ({problem}; {CRON})")


@pytest.mark.parametrize(("value", "count"), [("0 0 8 * * 1-5", "6 fields"), ("@daily", "1 field")])
def test_a_cron_needs_exactly_five_fields(config_tree, value, count):
    """KEDA's cron scaler parses minute, hour, day of month, month, day of week: no seconds, no @descriptors."""
    working_hours(config_tree, end=value)
    assert error_of(config_tree) == (
        f"{DEV}: inference.working_hours.end: '{value}' is not a cron expression (it has {count}; {CRON}: "
        "minute hour day-of-month month day-of-week)")


def test_a_window_that_ends_when_it_starts_is_refused(config_tree):
    working_hours(config_tree, start="0 8 * * 1-5", end="0 8 * * 1-5")
    assert error_of(config_tree) == (
        f"{DEV}: inference.working_hours.end: '0 8 * * 1-5' is the same as start: KEDA refuses a cron window that "
        "ends when it starts (set end to when the endpoints may stop, like '0 20 * * 1-5')")


def test_cron_syntax_keda_accepts_loads(config_tree):
    working_hours(config_tree, start="*/30 7-9 ? * mon-fri", end="0 18,22 1-31/2 JAN-DEC SUN,SAT",
                  timezone="America/New_York")
    hours = load(config_tree).env.inference.working_hours
    assert (hours.start, hours.end, hours.timezone) == ("*/30 7-9 ? * mon-fri", "0 18,22 1-31/2 JAN-DEC SUN,SAT",
                                                       "America/New_York")


@pytest.mark.parametrize(("value", "hint"), [
    ("Mars/Olympus", ""),
    ("Europe/Berln", "did you mean 'Europe/Berlin'? "),
    ("Local", ""),
    ("Europe", "did you mean 'Europe/Rome'? "),
])
def test_an_unknown_time_zone_is_refused(config_tree, value, hint):
    working_hours(config_tree, timezone=value)
    assert error_of(config_tree) == (
        f"{DEV}: inference.working_hours.timezone: '{value}' is not an IANA time zone "
        f"({hint}expected a name like 'Europe/Berlin' or 'Etc/UTC')")


def test_time_zones_resolve_without_the_machines_zoneinfo():
    """A machine without /usr/share/zoneinfo (slim images) still knows the zones: tzdata is a dependency."""
    code = "from config.types import TimeZone; from pydantic import TypeAdapter; " \
           "print(TypeAdapter(TimeZone).validate_python('Etc/UTC'))"
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONTZPATH": ""},
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    assert (result.returncode, result.stdout) == (0, "Etc/UTC\n"), result.stderr
