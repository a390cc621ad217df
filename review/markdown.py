"""Markdown the review writes: tables (tabulate's GitHub format), money and durations."""

from __future__ import annotations

from tabulate import tabulate


def table(headers: list[str], rows: list[list[object]]) -> str:
    return tabulate([[str(c) for c in row] for row in rows], headers=headers, tablefmt="github",
                    disable_numparse=True) + "\n"


def money(amount: float) -> str:
    return f"${amount:,.0f}"


def duration(seconds: float) -> str:
    """One way to print a duration everywhere in the review, so one figure reads the same in every table."""
    if seconds == float("inf"):
        return "not recoverable here"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"
