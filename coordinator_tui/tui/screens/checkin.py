"""Check-in: today's expected patients in time order, with status, time in status and counts."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Label, Static

from coordinator_tui.domain.names import name_key
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.desk_views import AppointmentRow, day_appointments
from coordinator_tui.tui.formatting import clock, minutes_between, status_text
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader

LATE_AFTER = timedelta(minutes=10)
WAITING = {S.ARRIVED}
HERE = {S.ARRIVED, S.ROOMED, S.WITH_PROVIDER}


def is_late(row: AppointmentRow, now) -> bool:
    return row.status in (S.SCHEDULED, S.CONFIRMED) and now - row.starts_at > LATE_AFTER


class CheckinScreen(DeskScreen):
    DESK_TITLE = "Check-in"
    BINDINGS = [
        Binding("escape", "clear_search", "Clear", show=True),
        Binding("ctrl+r", "reload", "Reload", show=True),
        Binding("down", "focus_table", "List", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppointmentRow] = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="checkin-counts", classes="desk-summary")
        with Horizontal(classes="search-row"):
            yield Label("Find:", classes="search-label")
            yield Input(placeholder="today's patient: name, birth date, phone, MRN",
                        id="checkin-search", classes="search-box")
        yield DataTable(id="arrivals", cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#arrivals", DataTable)
        # Fixed widths: 80 columns hold every column, and no row has to be measured.
        for label, width in (("#", 3), ("Time", 5), ("Patient", 22), ("Age", 3), ("Prov", 9),
                             ("Type", 4), ("Status", 11), ("Wait", 5)):
            table.add_column(label, width=width)
        self.query_one("#checkin-search", Input).focus()
        self.action_reload()
        self.set_interval(60, self.action_reload)
        self.watch_for_changes(self.action_reload)  # another desk's check-in shows within ~1 s

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: day_appointments(ctx, actor, ctx.today()), self._show)

    def action_clear_search(self) -> None:
        self.query_one("#checkin-search", Input).value = ""

    def action_focus_table(self) -> None:
        self.query_one("#arrivals", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._render_rows()

    def _show(self, rows: list[AppointmentRow]) -> None:
        self.rows = rows
        self._render_rows()

    def _render_rows(self) -> None:
        ctx = self.app.ctx
        now, tz = ctx.now(), ctx.settings.tz
        wanted = name_key(self.query_one("#checkin-search", Input).value)
        expected = [r for r in self.rows if r.status is not S.CANCELLED]
        counts = {
            "expected": len(expected),
            "arrived": sum(r.status in HERE or r.status is S.CHECKED_OUT for r in expected),
            "waiting": sum(r.status in WAITING for r in expected),
            "late": sum(is_late(r, now) for r in expected),
            "no-show": sum(r.status is S.NO_SHOW for r in expected),
        }
        self.query_one("#checkin-counts", Static).update(
            "  ".join(f"{label.capitalize()} {value}" for label, value in counts.items())
        )
        table = self.query_one("#arrivals", DataTable)
        table.clear()
        shown = [r for r in self.rows if not wanted or name_key(r.patient_name).startswith(wanted)
                 or wanted in name_key(r.patient_name)]
        for number, row in enumerate(shown, start=1):
            wait = ""
            if row.status in WAITING and row.arrived_at:
                wait = f"{minutes_between(row.arrived_at, now)}m"
            elif row.status in HERE and row.status_since:
                wait = f"{minutes_between(row.status_since, now)}m"
            table.add_row(str(number), clock(row.starts_at, tz), row.patient_name[:22], str(row.age),
                          row.provider[:9], row.type_code, status_text(row.status, late=is_late(row, now)),
                          wait, key=str(row.id))
