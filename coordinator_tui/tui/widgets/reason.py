"""The one reason prompt: one line of text that must not be empty (why a check-in is undone,
why a payment is voided, why a patient is checked in with items outstanding). Enter gives the
reason, Esc backs out with None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.tui.widgets.dialog import Dialog


class ReasonPrompt(Dialog[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, title: str, detail: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail

    def compose(self) -> ComposeResult:
        with self.cover():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, markup=False)
            yield Horizontal(Label("Reason:", classes="field-label"),
                             Input(id="reason", classes="field", max_length=300), classes="field-row")
            yield Static("", classes="dialog-error")
            yield Static("Enter saves  Esc backs out", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.query_one(".dialog-error", Static).update("! a reason is needed")
            return
        self.dismiss(text)
