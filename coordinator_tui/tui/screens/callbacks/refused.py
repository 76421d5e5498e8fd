"""Refused HL7 messages (i on the Callbacks desk; supervisors and admins): the EHR's messages we
refused and ours the EHR refused, newest first, with the direction, time, sender, control id
(MSH-10), type and reason; the highlighted row's whole reason under the list. r re-tries the
highlighted one once its cause is fixed (theirs is applied again now; ours goes back in the
outbox for `hl7 send`). No patient data beyond what a reason says. Esc goes back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable

COLUMNS = [("Way", 3), ("When", 12), ("Sender", 11), ("Control id", 12), ("Type", 7), ("Reason", 28)]
WAYS = {"in": "in", "out": "out"}


class RefusedMessagesScreen(DeskScreen):
    DESK_TITLE = "Callbacks: refused HL7 messages"
    HELP_KEYS = [("r", "Re-try the highlighted message (after fixing its cause)"),
                 ("ctrl+r", "Reload the list")]
    BINDINGS = [
        Binding("r", "retry", "Re-try", show=True),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading...", id="refused-summary", markup=False)
        yield LineTable(id="refused-table", cursor_type="row")
        yield Static("", id="refused-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#refused-table", LineTable)
        table.set_columns(COLUMNS)
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        from coordinator_tui.services.exchange.hl7_refused import refused_messages

        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: refused_messages(ctx, actor), self.show)

    def show(self, rows) -> None:
        self.rows = rows
        table = self.query_one("#refused-table", LineTable)
        table.clear()
        tz = self.app.ctx.settings.tz
        for r in rows:
            table.add_line(WAYS[r.direction], f"{r.at.astimezone(tz):%d %b %H:%M}", r.sender,
                           r.control_id, r.message_type, f"{r.code} {r.reason}", key=r.key)
        theirs = sum(1 for r in rows if r.direction == "in")
        self.query_one("#refused-summary", Static).update(
            f"Refused: {len(rows)} ({theirs} from the EHR, {len(rows) - theirs} of ours)   "
            f"r re-try the highlighted one" if rows else "No refused messages: nothing to re-try")
        self._detail(table.cursor_row)

    def _detail(self, index: int | None) -> None:
        text = ""
        if self.rows and index is not None and 0 <= index < len(self.rows):
            r = self.rows[index]
            tries = f"{r.attempts} {'try' if r.attempts == 1 else 'tries'}"
            text = f"{r.message_type} {r.control_id} ({tries}): {r.reason}"
        self.query_one("#refused-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def action_retry(self) -> None:
        from coordinator_tui.services.exchange.hl7_refused import retry_refused

        table = self.query_one("#refused-table", LineTable)
        if not self.rows or table.cursor_row is None:
            self.notify("Nothing to re-try: the list is empty.", severity="warning")
            return
        key = self.rows[table.cursor_row].key
        ctx, actor = self.app.ctx, self.app.actor

        def done(words: str) -> None:
            self.notify(words)
            self.action_reload()

        def refused(error: BaseException) -> None:
            self.notify(error_in_words(error), severity="error", timeout=10)
            self.action_reload()

        call_service(self, lambda: retry_refused(ctx, actor, key), done, refused=refused, group="retry")

    def action_back(self) -> None:
        self.dismiss(None)
