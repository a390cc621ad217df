"""Outputs that carry ordering without hiding their value."""

from __future__ import annotations

from typing import TypeVar

import pulumi

T = TypeVar("T")


def after(value: pulumi.Output[T], *resources: pulumi.Resource) -> pulumi.Output[T]:
    """``value``, with ``resources`` added to the dependencies of whatever consumes it.

    Unlike ``Output.all(value, r.id).apply(...)``, the value stays known during a preview while
    one of ``resources`` is being created or replaced, so a replace-forcing input (a KMS key
    name, a reserved range) is never shown as unknown and no replacement is planned.
    """
    async def dependencies() -> set[pulumi.Resource]:
        return set(await value.resources()) | set(resources)

    return pulumi.Output(dependencies(), value.future(), value.is_known(), value.is_secret())
