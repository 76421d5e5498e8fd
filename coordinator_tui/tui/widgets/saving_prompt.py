"""A PromptModal that saves itself: Enter on the last field or Ctrl+S checks the form, then runs
`save(values)` (a service call) in a thread worker. Success dismisses with its result; a refused
save (UserError: bad input, no permission, another desk first) stays open with the message on
the form, so the user can correct it. Esc backs out without saving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding

from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.prompt import PromptModal


class SavingPrompt(PromptModal):
    BINDINGS = [Binding("ctrl+s", "save", "Save", key_display="^s")]

    def __init__(self, title: str, fields: list[tuple[str, str, str]], *, save: Callable[[dict], Any],
                 info: str = "", check=None) -> None:
        super().__init__(title, fields, info=info, check=check)
        self.save = save
        self.saving = False

    def on_input_submitted(self, event) -> None:
        event.prevent_default()  # PromptModal's own handler (dismiss unsaved) must not run too
        inputs = list(self.query("Input"))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        values = self.values()
        problem = self.problem(values)
        if problem:
            self.show_error(problem)
            return
        self.saving = True
        self.show_error("Saving…")
        call_service(self, lambda: self.save(values), self._saved, refused=self._refused, group="save")

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.dismiss(result)

    def _refused(self, error: BaseException) -> None:
        self.saving = False
        self.show_error(error_in_words(error))
