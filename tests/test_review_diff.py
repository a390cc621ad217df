"""The review diff as the pull request's comment and CI's gate: cost, GPU and quota deltas, old → new values,
tenants summarised, replacements and protected removals flagged first, under GitHub's size limit, and
``--fail-on`` exit codes.

Each case reviews the fixture tree before and after one change a user makes in config, as CI does with the
base branch and the pull request.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from review.__main__ import main
from review.diff import StackDiff, compare
from review.diff_markdown import LIMIT, render
from tests.conftest import edit_yaml, fixture_tree

GITHUB_LIMIT = 65_536


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def review(*args: str) -> Result:
    """`python -m review ARGS` in this process (the CLI's own main: same parsing, output and exit status)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            status = int(exit_.code or 0)
    return Result(status, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The fixture tree's prod bundle: the base branch's review."""
    out = tmp_path_factory.mktemp("base")
    result = review("prod", "--root", str(fixture_tree(tmp_path_factory.mktemp("tree"))), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def head_after(tmp_path: Path, change) -> tuple[Path, Path]:
    """A fixture tree with ``change`` applied, and the root its prod bundle is written under."""
    (tmp_path / "tree").mkdir()
    tree = fixture_tree(tmp_path / "tree")
    change(tree)
    return tree, tmp_path / "head"


def _money(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").replace("*", "").replace("+", "").replace("−", "-"))


def _row(comment: str, label: str) -> list[str]:
    line = next(line for line in comment.splitlines() if line.startswith(f"| {label}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_a_new_always_on_gpu_endpoint_shows_its_cost_gpus_and_quota(base, tmp_path):
    def add_endpoint(tree: Path) -> None:
        edit_yaml(tree / "config/tenants/delta.yaml", lambda d: d.update(workloads=[{
            "kind": "inference", "name": "assist", "model": "llama-3.1-8b-instruct", "dtype": "bf16",
            "max_model_len": 8192, "peak_concurrency": 4, "min_replicas": 1}]))

    tree, head = head_after(tmp_path, add_endpoint)
    result = review("prod", "--root", str(tree), "--out", str(head), "--diff", str(base / "prod"),
                    "--comment", str(tmp_path / "comment.md"), "--fail-on", "replace,protected-delete,policy")
    assert result.returncode == 0, result.stderr
    comment = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert result.stdout.endswith(comment)
    before, after = (json.loads((root / "prod" / "facts.json").read_text()) for root in (base, head))
    # The cost at rest moves by what the new always-on replica's node costs, and the comment says by how much.
    assert after["cost"]["rest"] > before["cost"]["rest"]
    base_cell, head_cell, change = _row(comment, "stack at rest")[1:]
    assert _money(change) == pytest.approx(after["cost"]["rest"] - before["cost"]["rest"], abs=1)
    assert _money(head_cell) - _money(base_cell) == pytest.approx(_money(change), abs=1)
    # GPUs and the regional GPU quota it needs are counted.
    gpu_rows = [line for line in comment.splitlines() if line.startswith("| GPUs ") or line.startswith("| quota ")]
    assert any("at rest" in line for line in gpu_rows), comment
    assert any(line.startswith("| quota ") and "GPU" in line.upper() for line in gpu_rows), comment
    assert "`gcp:container/nodePool:NodePool" not in comment.split("## Stack")[0], "no replacement flagged"


def test_renaming_stateful_resources_fails_the_replace_gate(base, tmp_path):
    """A new name prefix renames every bucket, key and the database: each is deleted and created again."""
    tree, head = head_after(tmp_path, lambda t: edit_yaml(t / "config/environments/prod.yaml",
                                                          lambda d: d.update(prefix="aix")))
    result = review("prod", "--root", str(tree), "--out", str(head), "--diff", str(base / "prod"),
                    "--fail-on", "replace")
    assert result.returncode == 1
    assert "--fail-on replace: prod" in result.stderr
    flags = result.stdout.split("| stack |")[0]
    assert "would be **replaced**" in flags and "gcp:sql/databaseInstance:DatabaseInstance::database-pg" in \
        result.stdout
    replaced = re.search(r"`prod`: (\d+) resource\(s\) would be \*\*replaced\*\*", flags)
    assert replaced and int(replaced[1]) > 5
    # Without the gate the same diff is information, not a failure.
    assert review("--diff", str(base), "--out", str(head)).returncode == 0


def test_a_new_tenant_is_one_line_not_its_resources(base, tmp_path):
    def onboard(tree: Path) -> None:
        text = (tree / "config/tenants/delta.yaml").read_text(encoding="utf-8")
        (tree / "config/tenants/omega.yaml").write_text(
            text.replace("name: delta", "name: omega").replace("delta-", "omega-").replace("deltaAlert", "omegaAlert"),
            encoding="utf-8")

    tree, head = head_after(tmp_path, onboard)
    assert review("prod", "--root", str(tree), "--out", str(head)).returncode == 0
    diff = compare(base / "prod", head / "prod", "prod")
    assert diff.new_tenants.get("omega"), "the new tenant's resources are attributed to it"
    comment = render([diff], "base", "head")
    assert f"- new tenant `omega`: {len(diff.new_tenants['omega'])} resources" in comment
    listed = [line for line in comment.splitlines() if line.startswith("+ `") and "omega" in line]
    assert listed == [], "a tenant's resources are summarised, not listed"


def test_a_modified_resource_shows_old_and_new_values(base, tmp_path):
    tree, head = head_after(tmp_path, lambda t: edit_yaml(t / "config/environments/prod.yaml",
                                                          lambda d: d["network"].update(nat={"min_ports_per_vm": 512})))
    assert review("prod", "--root", str(tree), "--out", str(head)).returncode == 0
    comment = render([compare(base / "prod", head / "prod", "prod")], "base", "head")
    line = next(line for line in comment.splitlines() if "RouterNat::network-nat" in line)
    assert re.search(r"`minPortsPerVm`: `\d+` → `512`", line), line


def test_the_comment_stays_under_githubs_limit_and_says_what_it_left_out():
    modified = {f"kubernetes:core/v1:ConfigMap::cm-{i}": [(f"data.key{j}", "x" * 500, "y" * 500) for j in range(12)]
                for i in range(3000)}
    big = StackDiff(stack="prod", added=[f"gcp:storage/bucket:Bucket::b-{i}" for i in range(5000)], removed=[],
                    replaced={}, modified=modified, protected_removed=[])
    comment = render([big], "base", "head")
    assert len(comment) < min(LIMIT, GITHUB_LIMIT)
    assert re.search(r"… \d+ more added resources left out", comment)
    assert "5000 to add, 0 to remove, 0 to replace, 3000 to modify." in comment
    short = [line for line in comment.splitlines() if line.startswith("~ ")]
    assert short and all(len(line) < 1200 for line in short), "long values are shortened"


def test_the_policy_gate_fails_on_a_mandatory_violation_in_the_head(base, tmp_path):
    """A change that breaks a mandatory rule (here: the monthly cost ceiling) fails the review itself (exit 1,
    bundle kept) and `--fail-on policy` on the diff."""
    tree, head = head_after(tmp_path, lambda t: edit_yaml(t / "config/environments/prod.yaml",
                                                          lambda d: d["policy"].update(monthly_ceiling=100)))
    result = review("prod", "--root", str(tree), "--out", str(head))
    assert result.returncode == 1 and "mandatory policy violations" in result.stderr
    assert "stack-monthly-cost" in (head / "prod" / "summary.md").read_text(encoding="utf-8")
    gate = review("--diff", str(base), "--out", str(head), "--fail-on", "policy")
    assert gate.returncode == 1 and "--fail-on policy: prod" in gate.stderr
    assert "mandatory violation(s) block the preview" in gate.stdout


def test_an_unknown_gate_is_a_usage_error(base):
    result = review("--diff", str(base), "--out", str(base), "--fail-on", "replace,everything")
    assert result.returncode == 2 and "unknown gate 'everything'" in result.stderr


def test_offboarding_a_tenant_in_prod_fails_the_protected_delete_gate(base, tmp_path):
    """Removing a tenant from prod deletes its protected bucket and logs: the gate stops it before `up` (the
    offboarding runbook unprotects them first, in a reviewed change)."""
    tree, head = head_after(tmp_path, lambda t: (t / "config/tenants/delta.yaml").unlink())
    result = review("prod", "--root", str(tree), "--out", str(head), "--diff", str(base / "prod"),
                    "--fail-on", "protected-delete")
    assert result.returncode == 1 and "--fail-on protected-delete: prod" in result.stderr
    assert "- removed tenant `delta`:" in result.stdout
    assert "**protected** resources would be removed" in result.stdout.split("| stack |")[0]
