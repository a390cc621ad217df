"""Shared fixtures. Pulumi's mocks are process-global, so every run installs its own
(``review.harness.run_program``); nothing is set at import time."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import ROOT
from review.harness import StackRun, run_stack

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], StackRun]:
    """Run a stack of the real tree once per test session; the result is plain data."""
    cache: dict[str, StackRun] = {}

    def get(stack: str) -> StackRun:
        if stack not in cache:
            cache[stack] = run_stack(stack)
        return cache[stack]

    return get


def copy_tree(target: Path) -> Path:
    """Copy the stack files, __main__.py and the config data (not code) to ``target``."""
    for item in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(item, target / item.name)
    shutil.copy(ROOT / "__main__.py", target / "__main__.py")
    shutil.copytree(ROOT / "config", target / "config", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture(params=STACKS)
def run(request, stack_run) -> StackRun:
    """Each stack of the real tree, in turn (tests using it run once per stack)."""
    return stack_run(request.param)


@pytest.fixture
def config_tree(tmp_path: Path) -> Path:
    """A writable copy of the program and its config, to break on purpose."""
    return copy_tree(tmp_path)


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Load, mutate in place, write back."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
