"""What every desk screen shares: the header line, the footer of keys, and loading data in a
thread worker so typing never waits on the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from coordinator_tui.errors import UserError


class DeskScreen(Screen):
    """A desk. Subclasses call `self.load(fetch, show)`: `fetch` runs in a thread (it may call
    services, never touch widgets), `show` runs on the UI thread with its result."""

    DESK_TITLE = ""

    def load(self, fetch: Callable[[], Any], show: Callable[[Any], None], *, group: str = "load") -> None:
        worker = self.run_worker(fetch, thread=True, exclusive=True, group=group, exit_on_error=False)
        worker._coordinator_show = show  # type: ignore[attr-defined]

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        show = getattr(worker, "_coordinator_show", None)
        if show is None:
            return
        if event.state == WorkerState.SUCCESS:
            show(worker.result)
        elif event.state == WorkerState.ERROR:
            error = worker.error
            if isinstance(error, UserError):
                self.notify(str(error), severity="error", timeout=8)
            else:
                # Never a traceback (it could hold patient data): the kind of failure only.
                self.notify(f"Something went wrong ({type(error).__name__}); nothing was changed.",
                            severity="error", timeout=8)
