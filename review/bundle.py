"""Write build/review/<stack>/: resources.json, k8s/*.yaml, summary.md, policy.json (the pack's findings) and
facts.json (cost, quota and tenants, for `--diff`), byte-stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from review.facts import facts_json
from review.harness import HELM_RELEASE, StackRun, is_patch, manifests
from review.policy import policy_json
from review.summary import render_summary


def manifest_path(manifest: dict[str, Any]) -> str:
    meta = manifest.get("metadata", {})
    folder = meta.get("namespace") or "_cluster"
    return f"k8s/{folder}/{manifest['kind'].lower()}-{meta.get('name', 'unnamed')}.yaml"


def resources_json(run: StackRun) -> str:
    return json.dumps([r.as_json() for r in run.records], indent=2, sort_keys=True) + "\n"


def discard_bundle(out: Path) -> None:
    """Remove a stack's bundle, the previous run's or a partial one: a failed review leaves none behind."""
    if out.is_dir() and not out.is_symlink():
        shutil.rmtree(out)
    elif out.exists() or out.is_symlink():
        out.unlink()


def write_bundle(run: StackRun, out: Path, switch: dict[str, list[str]] | None = None) -> Path:
    """Replace ``out`` with the review bundle of ``run`` (and, where there is a standby, the DR switch's files,
    file name -> lines: review/recovery.switch_files); returns the directory."""
    discard_bundle(out)
    (out / "k8s").mkdir(parents=True)
    (out / "resources.json").write_text(resources_json(run), encoding="utf-8")
    for manifest in manifests(run):
        path = out / manifest_path(manifest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(manifest, sort_keys=True), encoding="utf-8")
    for patch in (r for r in run.records if is_patch(r)):
        path = out / "k8s" / "patches" / f"{patch.inputs['kind'].lower()}-{patch.inputs['metadata']['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(patch.inputs, sort_keys=True), encoding="utf-8")
    for release in (r for r in run.records if r.type == HELM_RELEASE):
        path = out / "k8s" / "helm" / f"{release.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(release.inputs, sort_keys=True), encoding="utf-8")
    (out / "summary.md").write_text(render_summary(run), encoding="utf-8")
    (out / "policy.json").write_text(policy_json(run), encoding="utf-8")
    (out / "facts.json").write_text(facts_json(run), encoding="utf-8")
    for name, lines in (switch or {}).items():
        if lines:
            (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
