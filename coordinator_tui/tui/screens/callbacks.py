"""The callback queue: open items, most urgent first, overdue ones marked in words."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from coordinator_tui.services.desk_views import CallbackRow, open_callbacks
from coordinator_tui.tui.formatting import priority_text
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader


class CallbacksScreen(DeskScreen):
    DESK_TITLE = "Callbacks"
    BINDINGS = [Binding("ctrl+r", "reload", "Reload")]

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="callbacks-summary", classes="desk-summary")
        yield DataTable(id="callbacks-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#callbacks-table", DataTable)
        for label, width in (("#", 3), ("Priority", 8), ("Due", 14), ("Patient", 20),
                             ("Reason", 21)):
            table.add_column(label, width=width)
        self.query_one("#callbacks-table", DataTable).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: open_callbacks(ctx, actor), self._show)

    def _show(self, rows: list[CallbackRow]) -> None:
        ctx = self.app.ctx
        now, tz = ctx.now(), ctx.settings.tz
        overdue = sum(r.due_at < now for r in rows)
        self.query_one("#callbacks-summary", Static).update(f"Open {len(rows)}  Overdue {overdue}")
        table = self.query_one("#callbacks-table", DataTable)
        table.clear()
        for number, row in enumerate(rows, start=1):
            due_local = row.due_at.astimezone(tz)
            due = Text(f"{due_local:%d %b %H:%M}")
            if row.due_at < now:
                due = Text(f"OVERDUE {due_local:%d %b}", style="bold red")
            table.add_row(str(number), priority_text(row.priority), due, row.patient_name[:20],
                          row.reason.label, key=str(row.id))
