"""A report as every output shows it: the desk, the command line (txt, csv, json) and the PDF
read the same rows, so the numbers cannot differ between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from coordinator_tui.domain.money import format_cents


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: int
    numeric: bool = True
    money: bool = False  # integer cents, printed as dollars


@dataclass(frozen=True)
class Report:
    name: str  # as typed on the command line: "no-shows"
    title: str
    start: date
    end: date
    by: str | None  # the cut the rows are grouped by ("provider", "lead"...), None for none
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]  # raw values: int, float (minutes, percent), str, None
    # The chart: (label, value or None, the number as printed beside the bar).
    bars: tuple[tuple[str, float | None, str], ...] = ()
    bars_title: str = ""
    # A trend by week for the sparkline and the line chart: (week's Monday, value or None).
    trend: tuple[tuple[date, float | None], ...] = ()
    trend_title: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    headline: str = ""  # the period's one figure, for the desk's status line

    @property
    def period_words(self) -> str:
        if self.start == self.end:
            return f"{self.start:%a %Y-%m-%d}"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def cell(value, column: Column) -> str:
    """One value as the table prints it: floats with one decimal, none as '-'."""
    if value is None:
        return "-"
    if column.money and isinstance(value, int):
        return format_cents(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
