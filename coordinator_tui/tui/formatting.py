"""How things look on the desk: status words with a symbol (colour only adds), times in the
clinic's zone, waits in whole minutes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from coordinator_tui.domain.vocab import AppointmentStatus, Priority

STATUS_STYLE = {
    AppointmentStatus.SCHEDULED: ("·", ""),
    AppointmentStatus.CONFIRMED: ("✓", ""),
    AppointmentStatus.ARRIVED: ("●", "bold yellow"),
    AppointmentStatus.ROOMED: ("▶", "cyan"),
    AppointmentStatus.WITH_PROVIDER: ("▶", "green"),
    AppointmentStatus.CHECKED_OUT: ("■", "dim"),
    AppointmentStatus.CANCELLED: ("x", "dim strike"),
    AppointmentStatus.NO_SHOW: ("!", "red"),
}


def status_text(status: AppointmentStatus, *, late_minutes: int | None = None) -> Text:
    """"● Arrived"; "! Late 25m" for an expected patient past the grace time."""
    symbol, style = STATUS_STYLE[status]
    if late_minutes is not None:
        return Text(f"! Late {late_minutes}m", style="bold red")
    return Text(f"{symbol} {status.label}", style=style)


def priority_text(priority: Priority) -> Text:
    style = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}[priority.value]
    return Text(priority.value.capitalize(), style=style)


def clock(instant: datetime, tz) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def minutes_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def vocab_words(vocabulary, value: str) -> str:
    """A stored vocabulary value as the words a screen shows ("no_show" -> "No-show follow-up"
    for a callback reason); an unknown value still loses its underscores."""
    try:
        return vocabulary(value).label
    except (ValueError, AttributeError):
        return str(value).replace("_", " ")


def cut(text: str, width: int) -> str:
    """`text` whole when it fits in `width` characters, else cut with an ellipsis: a reader sees
    that there is more ("da Conceição, Maria S…"), never a cut that looks like a whole name."""
    return text if len(text) <= width else text[:max(0, width - 1)] + "…"
