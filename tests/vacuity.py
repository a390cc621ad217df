"""Record-wide tests that loop over the example roster pass vacuously when it has nothing to check (no GenBI,
no exposed endpoint, ...). Each loop names what it checks with ``examined``; the same test then also runs on
the fixture tree, which has every feature, and fails there if a loop saw nothing: the fixture twin.

On the real tree an empty loop is fine (a team may run no GenBI); on the fixture tree it means the check
lost its subject.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")
_seen: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("examined", default=None)


def examined(items: Iterable[T], what: str) -> list[T]:
    """``items`` as a list, counted under ``what`` for the running twin (a no-op outside one)."""
    out = list(items)
    seen = _seen.get()
    if seen is not None:
        seen[what] = seen.get(what, 0) + len(out)
    return out


def begin() -> contextvars.Token:
    return _seen.set({})


def end(token: contextvars.Token) -> list[str]:
    """What the twin examined nothing of; stops counting."""
    seen = _seen.get() or {}
    _seen.reset(token)
    return sorted(what for what, count in seen.items() if count == 0)
