"""The platform's policy rules, by area; RULES lists them in declaration order (docs/policy.md)."""

from __future__ import annotations

from policy.rules import gke, iam, keys, kubernetes, sql, stack, storage  # noqa: F401  (they register rules)
from policy.rules.base import RULES, Context, Finding, Resource, Rule, Unknown

__all__ = ["RULES", "Context", "Finding", "Resource", "Rule", "Unknown"]
