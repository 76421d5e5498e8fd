"""What the Callbacks desk's `s` (reminders) or `l` (letters) did, when some rows were left out
or a channel could not go: each channel's count (or why it was not sent: the printer said no),
then every row left out with its MRN and the reason (no valid mobile, an address without a
postal code, a template with an unknown placeholder...), so the desk can fix the record and
press the key again. When everything went, it is a notice, not a dialog.

Keys: Up/Down scroll, Esc or Enter closes."""

from __future__ import annotations

import textwrap

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from coordinator_tui.tui.widgets.dialog import Dialog

WIDTH = 60


def left_out_lines(results) -> list[str]:
    """Per channel or kind (services.reminders.desk.Sent): its summary, then its rows left out."""
    lines = []
    for sent in results:
        if sent.problem:
            lines.extend(textwrap.wrap(sent.summary(), WIDTH, subsequent_indent="    "))
            continue
        lines.append(sent.summary()[:WIDTH])
        for row in sent.skipped:
            lines.append(f"  {row.mrn} #{row.appointment_id}: {row.reason}"[:WIDTH])
    return lines


class LeftOutDialog(Dialog[None]):
    DEFAULT_CSS = """
    LeftOutDialog #left-out-rows { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close"),
                Binding("up", "scroll(-1)", "Up", show=False),
                Binding("down", "scroll(1)", "Down", show=False)]

    def __init__(self, title: str, results) -> None:
        super().__init__()
        self.title_text = title
        self.results = results
        self.lines = left_out_lines(results)

    def compose(self) -> ComposeResult:
        left_out = sum(line.startswith("  ") and not line.startswith("    ") for line in self.lines)
        refused = sum(bool(sent.problem) for sent in self.results)
        heading = f"{self.title_text}: {left_out} left out, with the reason"
        if refused:
            heading += f"; {refused} NOT sent"
        with self.cover():
            yield Static(heading, markup=False)
            with VerticalScroll(id="left-out-rows", can_focus=False):
                yield Static("\n".join(self.lines), markup=False)
            yield Static("Fix the record and press the key again.  Esc closes",
                         classes="dialog-hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#left-out-rows", VerticalScroll).scroll_relative(y=lines, animate=False)
