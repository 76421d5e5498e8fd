"""The estimate of what the patient will owe, as the receipt-style sheet the desk reads out (or
prints with `coordinator eligibility estimate`). Up/Down scroll; Esc, Enter or o close."""

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
                Binding("up", "scroll(-1)", "Up", show=False),
                Binding("down", "scroll(1)", "Down", show=False)]

    def __init__(self, sheet: str) -> None:
        super().__init__()
        self.sheet = sheet

    def compose(self) -> ComposeResult:
        with self.cover(box_classes="estimate-box"):
            with VerticalScroll(id="estimate-sheet", can_focus=False):
                yield Static(self.sheet.rstrip("\n"), markup=False)
            yield Static("Up/Down scroll  Esc closes", classes="dialog-hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#estimate-sheet", VerticalScroll).scroll_relative(y=lines, animate=False)
