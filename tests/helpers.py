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
