"""The day schedule: every appointment of a day, by time and provider; [ ] move a day, t today."""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from coordinator_tui.services.desk_views import AppointmentRow, day_appointments
from coordinator_tui.tui.formatting import clock, status_text
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader


class ScheduleScreen(DeskScreen):
    DESK_TITLE = "Schedule"
    BINDINGS = [
        Binding("left_square_bracket", "shift_day(-1)", "[ Prev day", key_display="["),
        Binding("right_square_bracket", "shift_day(1)", "] Next day", key_display="]"),
        Binding("t", "today", "Today"),
        Binding("ctrl+r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="schedule-day", classes="desk-summary")
        yield DataTable(id="schedule-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#schedule-table", DataTable)
        for label, width in (("Time", 5), ("Prov", 9), ("Patient", 28), ("Age", 3), ("Type", 4),
                             ("Status", 11)):
            table.add_column(label, width=width)
        table.focus()
        self.day = self.app.ctx.today()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_shift_day(self, days: int) -> None:
        self.day = (self.day or self.app.ctx.today()) + timedelta(days=days)
        self.action_reload()

    def action_today(self) -> None:
        self.day = self.app.ctx.today()
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor, day = self.app.ctx, self.app.actor, self.day or self.app.ctx.today()
        self.load(lambda: (day, day_appointments(ctx, actor, day)), self._show)

    def _show(self, result: tuple[date, list[AppointmentRow]]) -> None:
        day, rows = result
        if day != self.day:
            return  # the user has already moved on to another day
        tz = self.app.ctx.settings.tz
        booked = [r for r in rows if r.status.value != "cancelled"]
        marker = " (today)" if day == self.app.ctx.today() else ""
        self.query_one("#schedule-day", Static).update(
            f"{day:%A %d %B %Y}{marker}   {len(booked)} booked, {len(rows) - len(booked)} cancelled"
        )
        table = self.query_one("#schedule-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(clock(row.starts_at, tz), row.provider[:9], row.patient_name[:28],
                          str(row.age), row.type_code, status_text(row.status), key=str(row.id))
