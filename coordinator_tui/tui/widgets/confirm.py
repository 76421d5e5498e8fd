"""The one confirm dialog: a question answered y or n. Esc is no (Esc only ever backs out)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Static

from coordinator_tui.tui.widgets.dialog import Dialog


class ConfirmDialog(Dialog[bool]):
    """`ConfirmDialog(question, info=...)` dismisses with True for y, False for n or Esc."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, *, info: str = "") -> None:
        super().__init__()
        self.question = question
        self.info = info

    def compose(self) -> ComposeResult:
        # One Static is the whole box: the question in bold, then what it is about.
        text = Text(self.question if self.question.endswith("y/n") else f"{self.question} y/n",
                    style="bold")
        if self.info:
            text.append("\n" + self.info, style="not bold")
        with Container(classes="dialog-cover"):
            yield Static(text, classes="dialog-box confirm-box")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


DISCARD_QUESTION = "Discard changes? y/n"


def back_out(screen, changed: bool, result=None) -> None:
    """Esc on a form: it closes at once when nothing was typed, else only after "Discard
    changes? y/n" (n or Esc goes back to the form, the typing kept). Every form backs out this
    way. Keys typed after the Esc answer the question first (the key gate holds them until it
    is shown), so a typed-ahead y or n never lands in the form or the screen behind it."""
    if not changed:
        screen.dismiss(result)
        return
    screen.app.push_screen(ConfirmDialog(DISCARD_QUESTION),
                           lambda discard: screen.dismiss(result) if discard else None)
