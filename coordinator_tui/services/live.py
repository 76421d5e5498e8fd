"""Live refresh for the desks: a watcher that says when another desk has committed something."""

from __future__ import annotations

from coordinator_tui.services.context import AppContext
from coordinator_tui.store.change_watcher import ChangeWatcher


class NoWatcher:
    """For databases that are not a local file: never reports a change (desks reload on keys)."""

    def changed(self) -> bool:
        return False

    def close(self) -> None:
        pass


def open_watcher(ctx: AppContext) -> ChangeWatcher | NoWatcher:
    path = ctx.db.path
    return ChangeWatcher(path) if path is not None else NoWatcher()
