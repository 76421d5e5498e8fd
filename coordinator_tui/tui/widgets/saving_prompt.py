"""A PromptModal that saves itself: Enter on the last field or Ctrl+S checks the form, then runs
`save(values)` (a service call) in a thread worker. Success dismisses with its result; a refused
save (UserError: bad input, no permission, another desk first) stays open with the message on
the form, so the user can correct it. Esc backs out without saving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding
from textual.worker import Worker, WorkerState

from coordinator_tui.errors import UserError
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
        self.run_worker(lambda: self.save(values), thread=True, exclusive=True, group="save",
                        exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "save":
            return
        if event.state == WorkerState.SUCCESS:
            self.saving = False
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.saving = False
            error = event.worker.error
            self.show_error(str(error) if isinstance(error, UserError)
                            else f"Something went wrong ({type(error).__name__}); nothing was changed.")
