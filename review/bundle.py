"""Write build/review/<stack>/: resources.json, k8s/*.yaml and summary.md, byte-stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from review.harness import StackRun
from review.summary import render_summary

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def is_manifest(record) -> bool:
    """A whole Kubernetes object this program renders itself (not a provider, Helm release or patch)."""
    return (record.custom and record.type.startswith("kubernetes:") and record.type != HELM_RELEASE
            and not record.type.endswith("Patch") and "apiVersion" in record.inputs)


def is_patch(record) -> bool:
    return record.custom and record.type.startswith("kubernetes:") and record.type.endswith("Patch")


def manifests(run: StackRun) -> list[dict[str, Any]]:
    """Every Kubernetes object the stack registers, as it would be sent to the API server."""
    return [record.inputs for record in run.records if is_manifest(record)]


def manifest_path(manifest: dict[str, Any]) -> str:
    meta = manifest.get("metadata", {})
    folder = meta.get("namespace") or "_cluster"
    return f"k8s/{folder}/{manifest['kind'].lower()}-{meta.get('name', 'unnamed')}.yaml"


def resources_json(run: StackRun) -> str:
    return json.dumps([r.as_json() for r in run.records], indent=2, sort_keys=True) + "\n"


def write_bundle(run: StackRun, out: Path) -> Path:
    """Replace ``out`` with the review bundle of ``run``; returns the directory."""
    if out.exists():
        shutil.rmtree(out)
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
    return out
