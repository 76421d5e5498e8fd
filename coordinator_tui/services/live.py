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


def open_watcher(ctx: AppContext):
    """SQLite: `PRAGMA data_version` polling; PostgreSQL: LISTEN/NOTIFY (store/pg_listen.py)."""
    path = ctx.db.path
    if path is not None:
        return ChangeWatcher(path)
    if ctx.db.engine.dialect.name == "postgresql":
        from coordinator_tui.store.pg_listen import PgChangeWatcher

        return PgChangeWatcher(ctx.db.url)
    return NoWatcher()
