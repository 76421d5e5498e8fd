"""What the app must know before its first frame, read with the standard library's sqlite3.

Opening the app only needs three facts: are there staff accounts at all, is the named user (from
--user or $COORDINATOR_USER) an active account, and the clinic's name for the sign-in screen.
Reading them through the ORM would import SQLAlchemy's ORM and declare every model before the
first frame (about 150 ms on the desk PCs); one read-only sqlite3 query each costs well under a
millisecond. The ORM loads in the background once the sign-in screen is up.

For a database that is not SQLite, `probe` returns None and callers use the services instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from coordinator_tui.errors import StorageError
from coordinator_tui.store.engine import describe_storage_error, sqlite_path

CLINIC_NAME_KEY = "clinic_name"  # the settings-table key services.clinic uses too
DEMO_MARK_KEY = "demo_made_by"  # services.clinic.DEMO_MARK: written only by `coordinator demo`


@dataclass(frozen=True)
class StartupFacts:
    staff_accounts: int
    user_active: bool | None  # None: no username asked about, or no such account
    user_exists: bool
    clinic_name: str | None
    is_demo: bool = False  # made by `coordinator demo`: the sign-in screen names its logins


def probe(url: str, username: str | None) -> StartupFacts | None:
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None
    try:
        staff = conn.execute("SELECT count(*) FROM staff_users").fetchone()[0]
        user = (conn.execute("SELECT active FROM staff_users WHERE username = ?", (username,)).fetchone()
                if username else None)
        name = conn.execute("SELECT value FROM settings WHERE key = ?", (CLINIC_NAME_KEY,)).fetchone()
        demo = conn.execute("SELECT 1 FROM settings WHERE key = ?", (DEMO_MARK_KEY,)).fetchone()
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None
    finally:
        conn.close()
    return StartupFacts(staff_accounts=int(staff), user_exists=user is not None,
                        user_active=bool(user[0]) if user is not None else None,
                        clinic_name=name[0] if name else None, is_demo=demo is not None)


def connect_without_writing(path, url: str) -> sqlite3.Connection:
    """A read-only connection that writes nothing beside the file, not even -shm/-wal: with no
    -wal file the main file is the whole database, so it is opened as immutable. For looking at
    a file we may yet refuse."""
    immutable = "&immutable=1" if not path.with_name(path.name + "-wal").exists() else ""
    try:
        return sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None


def stored_setting(url: str, key: str) -> str | None:
    """One value of the settings table, read without writing anything (not even a -shm file);
    None when the key or the table is missing. For SQLite files only."""
    conn = connect_without_writing(sqlite_path(url), url)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # no settings table: not a clinic of ours
        return None
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None
    finally:
        conn.close()
    return row[0] if row else None
