"""Small helpers for component tests: run one component, from its own args, under fresh mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import config
from config import loader
from review.harness import Record, StackRun, manifests, run_program


def run_component(spec: config.PlatformSpec, build: Callable[[], Any]) -> StackRun:
    """Register what ``build`` builds, alone, under mocks; returns the records."""
    records, exports = run_program(build, spec.stack)
    return StackRun(stack=spec.stack, spec=spec, records=records, exports=exports)


def only(records: list[Record]) -> Record:
    assert len(records) == 1, [r.key for r in records]
    return records[0]


def key_name(run: StackRun, purpose: str) -> str:
    """The full name of the stack's KMS key for ``purpose`` in its primary region, as GCP returns it."""
    (ring,) = [r for r in run.records if r.type == "gcp:kms/keyRing:KeyRing" and r.inputs["location"] == run.spec.region]
    return (f"projects/{run.spec.project}/locations/{run.spec.region}/keyRings/{ring.inputs['name']}"
            f"/cryptoKeys/{purpose}")


def objects(run: StackRun, kind: str, namespace: str | None = None) -> list[dict]:
    """The rendered Kubernetes objects of ``kind`` (in ``namespace``)."""
    return [m for m in manifests(run) if m["kind"] == kind
            and (namespace is None or m["metadata"].get("namespace") == namespace)]


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
