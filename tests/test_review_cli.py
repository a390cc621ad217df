"""The offline review as a user runs it: exit codes, one-line errors, bundle, diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.loader import ROOT
from tests.conftest import edit_yaml


def review(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "review", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize(("file", "change", "stack", "expected"), [
    ("config/environments/prod.yaml", lambda d: d["network"].update(flow_log=d["network"].pop("flow_logs")), "prod",
     "config/environments/prod.yaml: network.flow_log: unknown key (did you mean 'flow_logs'?"),
    ("config/environments/dev.yaml", lambda d: d["network"].update(pods_range="10.10.0.0/16"), "dev",
     "config/environments/dev.yaml: network.pods_range: '10.10.0.0/16' overlaps network.primary_range"),
    ("Pulumi.staging.yaml", lambda d: d["config"].update({"gcp:region": "europe-west99"}), "staging",
     "Pulumi.staging.yaml: gcp:region: 'europe-west99' is not a GCP region"),
    ("config/environments/dev.yaml", None, "dev", "config/environments/dev.yaml: file not found"),
])
def test_user_mistake_is_one_line_and_exit_2(config_tree, tmp_path, file, change, stack, expected):
    if change is None:
        (config_tree / file).unlink()
    else:
        edit_yaml(config_tree / file, change)
    result = review(stack, "--root", str(config_tree), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists(), "nothing may be written for a config error"


def break_program(root: Path, stack: str) -> None:
    """Make the tree's program (its own copy of __main__.py) fail on ``stack`` after registering everything."""
    with (root / "__main__.py").open("a", encoding="utf-8") as program:
        program.write(f"\nimport pulumi\n\nif pulumi.get_stack() == {stack!r}:\n"
                      "    raise RuntimeError('a bug in the program')\n")


@pytest.mark.parametrize(("breaks", "status"), [
    (lambda root: edit_yaml(root / "config/environments/dev.yaml", lambda d: d.update(protect="sometimes")), 2),
    (lambda root: break_program(root, "dev"), 1),
], ids=["config-error", "program-error"])
def test_a_failed_review_removes_the_previous_bundle(config_tree, tmp_path, breaks, status):
    """CI posts build/review/<stack>/: after a failed run it must not find the last good run's bundle there."""
    out = tmp_path / "out"
    assert review("dev", "--root", str(config_tree), "--out", str(out)).returncode == 0
    assert (out / "dev" / "resources.json").is_file()
    breaks(config_tree)
    result = review("dev", "--root", str(config_tree), "--out", str(out))
    assert result.returncode == status, result.stderr
    assert ("RuntimeError: a bug in the program" in result.stderr) == (status == 1)
    assert not (out / "dev").exists()
    assert out.is_dir(), "only the stack's own directory goes"


def test_review_all_keeps_the_stacks_that_pass(config_tree, tmp_path):
    """--all reviews every stack: each failing one loses its bundle, the others get a fresh one, and the exit
    status is the worst (a program error before a config error)."""
    out = tmp_path / "out"
    for stack in ("dev", "prod", "staging"):  # the last run's bundles (a real one: the test above)
        (out / stack).mkdir(parents=True)
        (out / stack / "resources.json").write_text("[]\n")
    break_program(config_tree, "dev")  # dev fails first: the runs after it must still work
    edit_yaml(config_tree / "config/environments/staging.yaml", lambda d: d.update(protect="sometimes"))
    result = review("--all", "--root", str(config_tree), "--out", str(out))
    assert result.returncode == 1
    assert "RuntimeError: a bug in the program" in result.stderr
    assert "config/environments/staging.yaml: protect: 'sometimes' is not valid" in result.stderr
    assert result.stdout.startswith("prod: ")
    assert sorted(p.name for p in out.iterdir()) == ["prod"]
    assert (out / "prod" / "resources.json").read_text() != "[]\n" and (out / "prod" / "summary.md").is_file()


def test_diff_against_a_directory_that_is_no_bundle_is_a_usage_error(tmp_path):
    result = review("dev", "--out", str(tmp_path / "out"), "--diff", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert f"--diff {tmp_path / 'missing'}: not a review bundle (no resources.json)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_review_all_writes_a_bundle_per_stack(tmp_path):
    result = review("--all", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for stack in ("dev", "staging", "prod"):
        bundle = tmp_path / stack
        records = json.loads((bundle / "resources.json").read_text())
        assert records == sorted(records, key=lambda r: (r["type"], r["name"]))
        summary = (bundle / "summary.md").read_text()
        assert summary.startswith(f"# Review of stack `{stack}`")
        assert "```mermaid" in summary and "## Resources by type" in summary
        assert (bundle / "k8s").is_dir()


def test_diff_warns_when_a_protected_resource_would_go(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    for directory, name in ((before, "network-vpc"), (after, "vpc")):
        directory.mkdir()
        (directory / "resources.json").write_text(json.dumps([{
            "type": "gcp:compute/network:Network", "name": name, "protect": True, "inputs": {}}]))
    from review.diff import compare
    from review.diff_markdown import render
    text = render([compare(before, after)], str(before), str(after))
    assert "**protected** resources would be removed" in text
    assert "`gcp:compute/network:Network::network-vpc`" in text


def test_one_tree_reviewed_from_two_folders_gives_identical_bundles(tmp_path):
    """Every registered input is independent of where the checkout lives: a CI runner's path (or a second
    clone) must not show up as a diff on every `pulumi up`. prod registers every kind the others do (the
    endpoint pickers' Helm releases and their post-renderer, the DR region), so one stack keeps this fast."""
    files = subprocess.run([shutil.which("git") or "git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    bundles = []
    for folder in ("first/checkout", "second"):
        tree = tmp_path / folder
        for name in files:
            if (ROOT / name).is_file():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, tree / name)
        result = subprocess.run([sys.executable, "-m", "review", "prod", "--out", str(tree / "bundle")], cwd=tree,
                                capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        bundles.append(tree / "bundle")
    first = sorted(p.relative_to(bundles[0]) for p in bundles[0].rglob("*") if p.is_file())
    assert first == sorted(p.relative_to(bundles[1]) for p in bundles[1].rglob("*") if p.is_file())
    different = [str(p) for p in first if (bundles[0] / p).read_bytes() != (bundles[1] / p).read_bytes()]
    assert different == []
