"""Shared fixtures. Pulumi's mocks are process-global, so every run installs its own
(``review.harness.run_program``); nothing is set at import time.

Two trees: the fixture tree (``tests/fixtures/``: its own stacks, environments and tenants,
with the real catalog and program) for tests that assert known values, and the real tree
(``config/``) for tests that assert properties holding for every tenant, pool and stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import config
from config import loader
from config.loader import ROOT, project_stacks
from review.harness import StackRun, copy_tree, run_stack
from tests import vacuity

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACKS = tuple(project_stacks(ROOT))


def fixture_tree(target: Path) -> Path:
    """The fixture project (tests/fixtures/) as a runnable tree under ``target``."""
    return copy_tree(target, FIXTURES)


def cached_runs(root: Path) -> Callable[[str], StackRun]:
    cache: dict[str, StackRun] = {}

    def get(stack: str) -> StackRun:
        if stack not in cache:
            cache[stack] = run_stack(stack, root)
        return cache[stack]

    return get


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], StackRun]:
    """Run a stack of the real tree once per test session; the result is plain data."""
    return cached_runs(ROOT)


@pytest.fixture(params=[*STACKS, *(f"fixture-{s}" for s in ("dev", "staging", "prod"))])
def run(request, stack_run, fixture_run) -> Iterator[StackRun]:
    """Each stack of the real tree, then of the fixture tree (tests using it run once per stack). On the
    fixture tree, which has every feature, a loop that examined nothing fails the test (tests/vacuity.py)."""
    if not request.param.startswith("fixture-"):
        yield stack_run(request.param)
        return
    token = vacuity.begin()
    yield fixture_run(request.param.removeprefix("fixture-"))
    empty = vacuity.end(token)
    assert not empty, f"vacuous on the fixture tree: it examined no {', '.join(empty)}"


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory) -> Path:
    """A read-only fixture tree for the whole session."""
    return fixture_tree(tmp_path_factory.mktemp("fixture-tree"))


@pytest.fixture(scope="session")
def fixture_run(fixture_root) -> Callable[[str], StackRun]:
    """Run a stack of the fixture tree once per test session."""
    return cached_runs(fixture_root)


@pytest.fixture(scope="session")
def fixture_spec(fixture_root) -> Callable[[str], config.PlatformSpec]:
    def get(stack: str) -> config.PlatformSpec:
        return loader.load(stack, loader.stack_config_from_file(stack, fixture_root), fixture_root)

    return get


@pytest.fixture
def config_tree(tmp_path: Path) -> Path:
    """A writable copy of the fixture tree, to break on purpose."""
    return fixture_tree(tmp_path)


@pytest.fixture
def real_tree(tmp_path: Path) -> Path:
    """A writable copy of the real tree (config/ as users edit it)."""
    return copy_tree(tmp_path)


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Load, mutate in place, write back."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
