"""The database's lifecycle as the command line and the app see it: open, bring current, probe
before the first frame, undo a failed first write, warm the page cache.

The command line and the screens reach the store only through services (import contracts in
pyproject.toml); these are the few store calls they need that are not a use case of their own.
Each import stays inside its function, as it was in the callers: `coordinator` starts without
loading Alembic or the ORM until a command needs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_database(url: str):
    """The engine wrapper (store.engine.Database) for `url`; nothing is connected yet."""
    from coordinator_tui.store.engine import Database

    return Database(url)


def ensure_current(url: str, *, create: bool = True) -> bool:
    """Bring the schema to this version's head; True when a migration ran (store.migrate)."""
    from coordinator_tui.store.migrate import ensure_current as _ensure_current

    return _ensure_current(url, create=create)


def startup_facts(url: str, username: str | None):
    """What the sign-in screen needs, read without the ORM; None when not SQLite."""
    from coordinator_tui.store.startup_probe import probe

    return probe(url, username)


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other databases."""
    from coordinator_tui.store.engine import sqlite_path as _sqlite_path

    return _sqlite_path(url)


@contextmanager
def undone_on_failure(path: Path | None) -> Iterator[None]:
    """Run the body; if it raises, undo what it did to the database files at `path`."""
    from coordinator_tui.store.file_guard import undone_on_failure as _undone_on_failure

    with _undone_on_failure(path):
        yield


def warm_page_cache(path: Path | None) -> int:
    """Read the database file once so the first searches are as quick as the rest."""
    from coordinator_tui.store.page_warmer import warm_page_cache as _warm

    return _warm(path)


RECONNECT_PAUSE_SECONDS = 0.5


def reconnect(ctx, say, *, seconds: float = 120.0, pause: float = RECONNECT_PAUSE_SECONDS) -> bool:
    """After a lost connection (errors.ConnectionLost): say one line, then try a read every
    `pause` until the server answers (the pool connects anew: with a URL naming a primary and
    its standby, `host=a,b` and target_session_attrs=read-write, to whichever takes writes now).
    True once connected again, False after `seconds`. A write that failed is not retried here:
    whether its commit reached the server is unknown, so the desk looks before saving again."""
    import time

    from sqlalchemy import select

    from coordinator_tui.errors import ConnectionLost

    say("the database server cannot be reached: reconnecting")
    deadline = time.monotonic() + seconds
    while True:
        try:
            with ctx.db.read() as session:
                session.execute(select(1))  # a session connects only when asked something
        except ConnectionLost:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            continue
        say("reconnected to the database server")
        return True
