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
    POLL_SECONDS = 1.0  # while someone is using the desk
    IDLE_POLL_EVERY = 5  # polls skipped when idle: every 5 s
    IDLE_AFTER_SECONDS = 120

    def watch_for_changes(self, on_change: Callable[[], None]) -> None:
        """Call `on_change` (on the UI thread) within about a second of another desk's commit,
        while this screen is shown. The database is asked in a thread worker."""
        from time import monotonic

        from coordinator_tui.services.live import open_watcher

        self._watcher = open_watcher(self.app.ctx)
        self._watch_ticks = 0
        self._last_key = monotonic()
        self._on_change = on_change
        self.set_interval(self.POLL_SECONDS, self._poll_changes)

    def on_key(self, _event) -> None:
        from time import monotonic

        self._last_key = monotonic()

    def _poll_changes(self) -> None:
        from time import monotonic

        if self.app.screen is not self:
            return
        self._watch_ticks += 1
        idle = monotonic() - self._last_key > self.IDLE_AFTER_SECONDS
        if idle and self._watch_ticks % self.IDLE_POLL_EVERY:
            return
        watcher = self._watcher
        self.load(watcher.changed, self._changes_seen, group="watch")

    def _changes_seen(self, changed: bool) -> None:
        if changed:
            self._on_change()

    def on_unmount(self) -> None:
        watcher = getattr(self, "_watcher", None)
        if watcher is not None:
            watcher.close()

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
