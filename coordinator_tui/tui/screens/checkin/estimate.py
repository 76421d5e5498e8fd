"""The estimate of what the patient will owe, as the receipt-style sheet the desk reads out (or
prints with `coordinator eligibility estimate`). Up/Down scroll; p prints it (the desk's printer, or
an owner-only file when none is set); Esc, Enter or o close."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from coordinator_tui.tui.widgets.dialog import Dialog


class EstimateDialog(Dialog[None]):
    DEFAULT_CSS = """
    EstimateDialog .estimate-box { width: 46; }
    EstimateDialog #estimate-sheet { height: auto; max-height: 18; }
    """
    BINDINGS = [Binding("escape,enter,o", "dismiss(None)", "Close"),
                Binding("p", "print_sheet", "Print"),
                Binding("up", "scroll(-1)", "Up", show=False),
                Binding("down", "scroll(1)", "Down", show=False)]

    def __init__(self, sheet: str, patient_id: int | None = None) -> None:
        super().__init__()
        self.sheet = sheet
        self.patient_id = patient_id

    def compose(self) -> ComposeResult:
        with self.cover(box_classes="estimate-box"):
            with VerticalScroll(id="estimate-sheet", can_focus=False):
                yield Static(self.sheet.rstrip("\n"), markup=False)
            yield Static("Up/Down scroll  p print  Esc closes", classes="dialog-hint", id="estimate-hint")

    def action_print_sheet(self) -> None:
        from coordinator_tui.services.paper import print_text_sheet
        from coordinator_tui.tui.service_call import call_service

        ctx, actor, sheet, patient_id = self.app.ctx, self.app.actor, self.sheet, self.patient_id
        # The job title is seen by everyone on the print server: it never names the patient.
        call_service(self, lambda: print_text_sheet(ctx, actor, sheet, title="Estimate", kind="estimate",
                                                    patient_id=patient_id),
                     lambda printed: self.query_one("#estimate-hint", Static).update(
                         f"Printed: {printed.where}"[:40] + "  Esc closes"), group="print")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#estimate-sheet", VerticalScroll).scroll_relative(y=lines, animate=False)
