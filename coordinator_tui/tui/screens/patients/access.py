"""Who looked at this patient? A supervisor's list of audit events for one record: when, who,
what. Pushed from the patient record with `w`; Esc back, r reload."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.services.staff.audit_views import AccessLine, patient_access
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter

COLUMNS = (("When", 16), ("Who", 12), ("What", 44))


class PatientAccessScreen(DeskScreen):
    DESK_TITLE = "Who looked"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "reload", "Reload")]

    def __init__(self, patient_id: int, mrn: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.mrn = mrn

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static(f"Who looked at {self.mrn}: loading...", id="access-title", markup=False)
        yield DataTable(id="access-table", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#access-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        self.load(lambda: patient_access(ctx, actor, pid), self.show)

    def action_back(self) -> None:
        self.dismiss()

    def show(self, lines: list[AccessLine]) -> None:
        tz = self.app.ctx.settings.tz
        glass = sum(1 for line in lines if line.break_glass)
        note = f", {glass} under EMERGENCY ACCESS" if glass else ""
        self.query_one("#access-title", Static).update(
            f"Who looked at {self.mrn}: {len(lines)} events, newest first{note}")
        table = self.query_one("#access-table", DataTable)
        table.clear()
        for line in lines:
            table.add_row(f"{line.at.astimezone(tz):%m/%d/%Y %H:%M}", line.username[:12],
                          line.what[:44])
