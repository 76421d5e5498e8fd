"""The referrals work list (w on the Callbacks desk): authorisations ending soon or with few
visits left, outgoing referrals with no reply or appointment, incoming referrals not booked;
p switches to the pre-procedure list (the next 3 clinic days' visits missing a document or an
authorisation). f puts every new chase on the callback queue (once per referral and reason),
Enter opens the patient's record, Esc goes back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from coordinator_tui.services import referrals as svc
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable

# "Why" shows the whole detail ("unbooked since 2026-11-10", "2 of 3 visits left"): a reason
# label before it cut off the very date or count the coordinator chases by.
CHASE_COLUMNS = [("MRN", 9), ("Patient", 15), ("What", 16), ("Why", 26), ("Q", 3)]
# "Tue 24 10:40" is 12 cells: a narrower column cut the minute off.
PRE_COLUMNS = [("When", 12), ("MRN", 9), ("Patient", 16), ("Type", 5), ("Missing", 32)]


class ReferralsWorkScreen(DeskScreen):
    DESK_TITLE = "Callbacks: referrals to chase"
    HELP_KEYS = [("Enter", "Open the patient's record"),
                 ("p", "Switch: referrals to chase / pre-procedure list (next 3 clinic days)"),
                 ("f", "Put every new chase on the callback queue (once each)")]
    BINDINGS = [
        Binding("enter", "open", "Record", show=True),
        Binding("p", "switch", "Chase / pre-procedure"),
        Binding("f", "feed", "Feed queue"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.showing = "chase"
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading...", id="ref-summary", markup=False)
        yield LineTable(id="ref-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#ref-table", LineTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor, showing = self.app.ctx, self.app.actor, self.showing
        fetch = (lambda: svc.work_list(ctx, actor)) if showing == "chase" else \
            (lambda: svc.pre_procedure(ctx, actor))
        self.load(lambda: (showing, fetch()), self.show)

    def show(self, answer) -> None:
        showing, rows = answer
        if showing != self.showing:
            return
        self.rows = rows
        table = self.query_one("#ref-table", LineTable)
        table.clear(columns=True)
        tz = self.app.ctx.settings.tz
        if showing == "chase":
            table.set_columns(CHASE_COLUMNS)
            for index, r in enumerate(rows):
                table.add_line(r.mrn, r.patient, r.label.replace("authorisation ", "auth ", 1), r.detail,
                               "yes" if r.fed else "-", key=str(index))
            waiting = sum(1 for r in rows if not r.fed)
            text = f"To chase: {len(rows)} ({waiting} not on the queue yet)   p pre-procedure list"
        else:
            table.set_columns(PRE_COLUMNS)
            for index, r in enumerate(rows):
                table.add_line(f"{r.starts_at.astimezone(tz):%a %d %H:%M}", r.mrn, r.patient, r.type_code,
                               ", ".join(r.missing), key=str(index))
            text = f"Next 3 clinic days: {len(rows)} visit(s) missing something   p referrals to chase"
        self.query_one("#ref-summary", Static).update(text)

    def action_switch(self) -> None:
        self.showing = "pre" if self.showing == "chase" else "chase"
        self.action_reload()

    def action_feed(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor

        def fed(count: int) -> None:
            self.notify(f"{count} chase(s) added to the callback queue" if count else
                        "Everything here is already on the callback queue")
            self.action_reload()

        self.load(lambda: svc.feed_callbacks(ctx, actor), fed, group="feed")

    def action_open(self) -> None:
        table = self.query_one("#ref-table", LineTable)
        if not self.rows or table.cursor_row is None:
            return
        row = self.rows[table.cursor_row]
        patient_id = getattr(row, "patient_id", None)
        if patient_id is not None and hasattr(self.app, "open_patient"):
            self.app.open_patient(patient_id)
        elif patient_id is None:
            self.notify(f"{row.mrn}: open the record from the Patients desk (F4)")

    def on_data_table_row_selected(self, _event) -> None:
        self.action_open()

    def action_back(self) -> None:
        self.dismiss(None)
