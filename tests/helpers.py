"""Small helpers for component tests: run one component, from its own args, under fresh mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import config
from review.harness import Record, StackRun, run_program


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
