"""A small keyboard form in a modal: labelled one-line fields, Enter moves to the next field and
submits on the last, Esc backs out (returns None). Used for dates, reasons and booking. A form
worth typing into (`ask_before_discard`: a referral) asks "Discard changes? y/n" before Esc
throws away anything typed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.tui.widgets.confirm import back_out
from coordinator_tui.tui.widgets.dialog import Dialog


class PromptModal(Dialog[dict | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Back")]

    def __init__(self, title: str, fields: list[tuple[str, str, str]], *, info: str = "",
                 check=None, ask_before_discard: bool = False) -> None:
        """`fields`: (name, label, default). `check(values)` returns None, an error text, or
        (field name, error text) to also put the cursor on the field to correct."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.info = info
        self.check = check
        self.ask_before_discard = ask_before_discard

    def compose(self) -> ComposeResult:
        with self.cover(box_classes="prompt-box"):
            yield Static(self.title_text, classes="prompt-title")
            if self.info:
                yield Static(self.info, classes="prompt-info", markup=False)
            for name, label, default in self.fields:
                with Horizontal(classes="prompt-row"):
                    yield Label(label)
                    yield Input(default, id=f"field-{name}", max_length=300)
            yield Static("Enter: next / done   Esc: back", classes="prompt-info")
            yield Static("", id="prompt-error", classes="prompt-error", markup=False)

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict:
        return {name: self.query_one(f"#field-{name}", Input).value for name, _l, _d in self.fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        values = self.values()
        problem = self.problem(values)
        if problem:
            self.show_error(problem)
            return
        self.dismiss(values)

    def problem(self, values: dict) -> str | None:
        """check(values); an error that names a field moves the cursor there, so what is typed
        next corrects it instead of landing in the last field."""
        problem = self.check(values) if self.check else None
        if isinstance(problem, tuple):
            field, problem = problem
            self.query_one(f"#field-{field}", Input).focus()
        return problem

    def show_error(self, text: str) -> None:
        self.query_one("#prompt-error", Static).update(text)

    def action_dismiss_none(self) -> None:
        typed = self.values() != {name: default for name, _label, default in self.fields}
        back_out(self, self.ask_before_discard and typed)
