"""What a platform team's first tenant pull request does: onboard the docs' example, stay green.

Copies the real tree, adds the tenant exactly as docs/tenants.md says, regenerates the
inventories (no pinned resource may be replaced) and runs every record-wide stack check of
the suite (each test function that takes a single stack ``run``) on the new runs.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tests
from config.loader import ROOT
from review.harness import run_stack
from tests import inventory
from tests.test_docs import yaml_blocks


def stack_checks():
    """Every test in the suite that asserts a property of one stack's run."""
    for module_info in pkgutil.iter_modules(tests.__path__):
        if not module_info.name.startswith("test_") or module_info.name == "test_onboarding":
            continue
        module = importlib.import_module(f"tests.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_") and list(inspect.signature(function).parameters) == ["run"]:
                yield f"{module_info.name}::{name}", function


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory) -> tuple[Path, dict]:
    from tests.conftest import copy_tree

    root = copy_tree(tmp_path_factory.mktemp("onboarded"))
    shutil.copytree(inventory.directory(ROOT), inventory.directory(root))
    (example,) = yaml_blocks(ROOT / "docs/tenants.md")
    data = yaml.safe_load(example)
    (root / "config/tenants" / f"{data['name']}.yaml").write_text(example)
    return root, data


def test_inventories_regenerate_without_replacing_anything(onboarded):
    root, _ = onboarded
    result = subprocess.run([sys.executable, "-m", "tests.inventory", "--root", str(root), "--write"], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr


def test_readme_figures_regenerate_for_the_new_tenant(onboarded):
    """The README's generated blocks (costs, deployer roles) follow the roster: `make docs` is one step of the
    pull request (docs/tenants.md), and afterwards the check the suite runs passes on the new tree."""
    root, _ = onboarded
    shutil.copy(ROOT / "README.md", root / "README.md")
    command = [sys.executable, "-m", "review.docs", "--root", str(root)]
    for extra in ([], ["--check"]):
        result = subprocess.run([*command, *extra], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, result.stderr
    assert "make docs" in (ROOT / "docs/tenants.md").read_text()


def test_every_stack_check_passes_with_the_new_tenant(onboarded):
    root, data = onboarded
    checks = dict(stack_checks())
    assert len(checks) > 30
    failures = []
    for stack in data["stacks"]:
        run = run_stack(stack, root)
        assert data["name"] in {t.name for t in run.spec.tenants}
        for name, check in checks.items():
            try:
                check(run)
            except AssertionError as error:
                failures.append(f"{stack}: {name}: {str(error).splitlines()[0] if str(error) else ''}")
    assert not failures, "\n".join(failures)
