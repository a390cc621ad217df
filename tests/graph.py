"""The dependency graph of a recorded run, as the engine would order it.

A resource waits for: its explicit and property dependencies, its parent (a child registers
only once its parent has, and a component registers only once its own dependencies have),
and, when it depends on a component, every resource inside that component.
"""

from __future__ import annotations

from collections import defaultdict

from review.harness import Record


class Graph:
    def __init__(self, records: list[Record]) -> None:
        self.records = {r.key: r for r in records}
        self.children: dict[str, list[str]] = defaultdict(list)
        for record in records:
            if record.parent:
                self.children[record.parent].append(record.key)
        self._closures: dict[str, frozenset[str]] = {}

    def descendants(self, key: str) -> list[str]:
        out, stack = [], list(self.children.get(key, []))
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(self.children.get(child, []))
        return out

    def waits_for(self, key: str) -> frozenset[str]:
        """Everything ``key`` waits for before it is created (transitively)."""
        if key in self._closures:
            return self._closures[key]
        seen: set[str] = set()
        stack = [key]
        while stack:
            current = self.records.get(stack.pop())
            if current is None:
                continue
            direct = list(current.dependencies)
            for dep in current.dependencies:
                if dep in self.records and not self.records[dep].custom:
                    direct += self.descendants(dep)  # depending on a component waits for all inside it
            if current.parent:
                direct.append(current.parent)
            if current.provider:
                direct.append(current.provider)  # a resource waits for its provider
            for dep in direct:
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        self._closures[key] = frozenset(seen)
        return self._closures[key]
