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
