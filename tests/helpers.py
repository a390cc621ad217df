"""Small helpers for component tests: run one component, from its own args, under fresh mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import config
from config import loader
from review.harness import Record, StackRun, is_manifest, run_program


def run_component(spec: config.PlatformSpec, build: Callable[[], Any]) -> StackRun:
    """Register what ``build`` builds, alone, under mocks; returns the records."""
    records, exports = run_program(build, spec.stack)
    return StackRun(stack=spec.stack, spec=spec, records=records, exports=exports)


def only(records: list[Record]) -> Record:
    assert len(records) == 1, [r.key for r in records]
    return records[0]


def key_name(run: StackRun, purpose: str, region: str | None = None) -> str:
    """The full name of the stack's KMS key for ``purpose`` in ``region`` (default: its primary region)."""
    region = region or run.spec.region
    (ring,) = [r for r in run.records if r.type == "gcp:kms/keyRing:KeyRing" and r.inputs["location"] == region]
    return f"projects/{run.spec.project}/locations/{region}/keyRings/{ring.inputs['name']}/cryptoKeys/{purpose}"


SERVING_CLUSTER = "pulumi:providers:kubernetes::cluster-k8s"


def objects(run: StackRun, kind: str, namespace: str | None = None, cluster: str | None = SERVING_CLUSTER) -> list[dict]:
    """The rendered Kubernetes objects of ``kind`` (in ``namespace``) in the serving cluster (``cluster``: the
    provider's key; None: every cluster's, a warm standby's too)."""
    return [r.inputs for r in run.records if is_manifest(r) and r.inputs["kind"] == kind
            and (cluster is None or r.provider == cluster)
            and (namespace is None or r.inputs["metadata"].get("namespace") == namespace)]


def named(run: StackRun, kind: str, namespace: str, name: str) -> dict:
    (found,) = [m for m in objects(run, kind, namespace) if m["metadata"]["name"] == name]
    return found


def load_error(root, stack: str = "prod") -> str:
    """The loader's message for a broken tree: one line, or the test fails."""
    with pytest.raises(config.ConfigError) as caught:
        loader.load(stack, loader.stack_config_from_file(stack, root), root)
    message = str(caught.value)
    assert "\n" not in message
    return message


def table_rows(markdown: str) -> list[list[str]]:
    """Every row of every Markdown table in ``markdown``, as stripped cells (header and separator rows too)."""
    return [[cell.strip() for cell in line.strip()[1:-1].split("|")]
            for line in markdown.splitlines() if line.startswith("|") and line.rstrip().endswith("|")]
