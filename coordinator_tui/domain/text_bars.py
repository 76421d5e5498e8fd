"""Horizontal text bars with their number printed beside them (GUIDE 13):

    Mon      ████████▌           18.2% 41/225

Exact and readable without colour (the number is text, the bar only adds to it), and testable
as text. Eighth blocks give the bar's end a finer step than one cell.
"""

from __future__ import annotations

from collections.abc import Sequence

FULL = "█"
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
SPARK = "▁▂▃▄▅▆▇█"


def bar(value: float, maximum: float, width: int) -> str:
    """A bar of `width` cells at most, `value / maximum` of it filled, padded to `width`."""
    if width <= 0:
        return ""
    if maximum <= 0 or value <= 0:
        return " " * width
    eighths = round(min(value, maximum) / maximum * width * 8)
    full, part = divmod(eighths, 8)
    drawn = FULL * full + EIGHTHS[part]
    if not drawn and value > 0:
        drawn = EIGHTHS[1]  # a value above zero never looks like zero
    return drawn.ljust(width)


def bar_lines(rows: Sequence[tuple[str, float | None, str]], width: int = 78,
              label_width: int | None = None) -> list[str]:
    """One line per (label, value, number as printed): label, bar, number; within `width`.
    A row without a value (nothing to divide) gets an empty bar and its number ('-')."""
    if not rows:
        return []
    label_width = label_width or min(16, max(len(label) for label, _v, _t in rows))
    number_width = max(len(text) for _l, _v, text in rows)
    bar_width = max(4, width - label_width - number_width - 2)
    maximum = max((value for _l, value, _t in rows if value is not None), default=0.0)
    lines = []
    for label, value, text in rows:
        drawn = bar(value or 0.0, maximum, bar_width)
        lines.append(f"{label[:label_width]:<{label_width}} {drawn} {text:>{number_width}}")
    return lines


def sparkline(values: Sequence[float | None]) -> str:
    """A one-line trend in block heights (for text output; the desk uses Textual's Sparkline)."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(SPARK[0 if span == 0 else round((value - low) / span * (len(SPARK) - 1))])
    return "".join(out)
