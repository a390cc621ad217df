"""Evaluate every rule offline over a stack's resources (the review's records), as the pack would."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from policy.rules import RULES, Context, Finding, Resource


def resource_of(record: Any) -> Resource:
    """A review record (review.harness.Record: camelCase inputs, like a preview's props) as rules see it."""
    return Resource(type=record.type, name=record.name, props=record.inputs, protect=record.protect,
                    parent=record.parent)


def evaluate(records: Iterable[Any], context: Context) -> list[Finding]:
    """Every violation of every rule, in rule order."""
    resources = [resource_of(r) for r in records if r.custom and not getattr(r, "read", False)]
    return [finding for rule in RULES for finding in rule.evaluate(resources, context)]
