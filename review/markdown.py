"""Markdown the review writes: tables (tabulate's GitHub format) and money."""

from __future__ import annotations

from tabulate import tabulate


def table(headers: list[str], rows: list[list[object]]) -> str:
    return tabulate([[str(c) for c in row] for row in rows], headers=headers, tablefmt="github",
                    disable_numparse=True) + "\n"


def money(amount: float) -> str:
    return f"${amount:,.0f}"
