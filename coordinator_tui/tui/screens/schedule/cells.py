"""What the Schedule desk draws in a grid cell and a list row: a word or symbol first, colour
only adds (16 colours and NO_COLOR stay readable)."""

from __future__ import annotations

from rich.text import Text

from coordinator_tui.services.schedule.schedule_view import (
    BLOCKED,
    BOOKED,
    CONTINUES,
    FREE,
    Cell,
    DayAppointment,
)
from coordinator_tui.tui.formatting import STATUS_STYLE

COL_WIDTH = 11
LIST_COLUMNS = (("Time", 5), ("Patient", 24), ("Age", 3), ("Type", 4), ("Status", 11), ("Wait", 4))


def cell_text(cell: Cell, now, *, width: int = COL_WIDTH) -> Text:
    """What one grid cell shows: a word or symbol first, colour only adds."""
    if cell.kind == FREE:
        return Text("· free", style="dim")
    if cell.kind == BLOCKED:
        return Text(f"▓ {cell.note or 'blocked'}"[:width], style="reverse")
    if cell.kind == CONTINUES:
        return Text("│", style="dim")
    if cell.kind == BOOKED:
        appt = cell.appointment
        symbol, style = STATUS_STYLE[appt.status]
        if appt.held_too_long(now):
            symbol, style = "!", "bold red"
        waited = appt.waited_minutes(now)
        tail = f"{waited}m" if waited is not None else type_word(appt)
        if cell.extra:
            tail = f"+{cell.extra}"
        room = width - 1 - len(tail) - 1
        name = appt.patient_name.replace(", ", " ")
        return Text(f"{symbol}{name[:room]:<{room}} {tail}", style=style)
    return Text("░ closed", style="dim")


def type_word(appt: DayAppointment) -> str:
    """The type code; "PRO?" when the type needs an authorisation the visit was not booked on."""
    return f"{appt.type_code[:3]}?" if appt.needs_auth else appt.type_code


def status_word(appt: DayAppointment, now) -> Text:
    symbol, style = STATUS_STYLE[appt.status]
    if appt.held_too_long(now):
        return Text(f"! {appt.status.label}"[:11], style="bold red")
    return Text(f"{symbol} {appt.status.label}", style=style)
