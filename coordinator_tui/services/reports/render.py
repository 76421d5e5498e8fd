"""A report as text (80 columns: the table, then the chart as text bars with their numbers),
CSV (for a spreadsheet: raw numbers, cents as cents and dollars) and JSON."""

from __future__ import annotations

import csv
import io
import json
import textwrap

from coordinator_tui.domain.text_bars import bar_lines, sparkline
from coordinator_tui.services.reports.model import Report, cell

WIDTH = 80


def table_lines(report: Report) -> list[str]:
    widths = [max(c.width, len(c.heading)) for c in report.columns]

    def line(values) -> str:
        cells = []
        for value, column, width in zip(values, report.columns, widths, strict=True):
            shown = value if isinstance(value, str) and not column.numeric else cell(value, column)
            shown = shown[:width]
            cells.append(shown.rjust(width) if column.numeric else shown.ljust(width))
        return " ".join(cells).rstrip()

    head = line([c.heading for c in report.columns])
    out = [head, "-" * min(WIDTH, len(head))]
    out += [line(row) for row in report.rows]
    return out


def chart_lines(report: Report, width: int = WIDTH - 2) -> list[str]:
    return bar_lines(report.bars, width=width)


def to_text(report: Report, clinic: str = "") -> str:
    lines = [f"{report.title} - {report.period_words}" + (f" - {clinic}" if clinic else "")]
    lines += table_lines(report)
    if report.bars:
        lines += ["", report.bars_title]
        lines += chart_lines(report)
    if len(report.trend) > 1:
        first, last = report.trend[0], report.trend[-1]
        lines += ["", f"{report.trend_title}: {sparkline([v for _w, v in report.trend])} "
                      f"({first[0]:%m-%d} {_num(first[1])} .. {last[0]:%m-%d} {_num(last[1])})"]
    lines.append("")
    for note in report.notes:
        lines += textwrap.wrap(note, WIDTH - 1) or [""]
    return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _csv_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in report.columns])
    for row in report.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def to_json(report: Report) -> str:
    keys = [c.key for c in report.columns]
    document = {
        "report": report.name, "title": report.title, "from": report.start.isoformat(),
        "to": report.end.isoformat(), "by": report.by,
        "rows": [dict(zip(keys, row, strict=True)) for row in report.rows],
        "trend": [{"week": week.isoformat(), "value": None if v is None else round(v, 1)}
                  for week, v in report.trend],
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
