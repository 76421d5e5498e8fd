"""Views' audit events, on disk before the view is shown, waiting for the chain (issue 23 point 2).

SQLite has one write lock per clinic file. A view (a check-in checklist, a patient's record)
reads without it, but its audit event is a write: appended to the chain it would wait in line
behind every desk's writes, so opening a record at a busy clinic took as long as the queue.

Instead a view's event goes to this journal, a small SQLite file beside the database
(`NAME.views`, WAL, synchronous=FULL): one INSERT and its commit, on disk before the view is
returned, never behind the clinic's writers (a journal transaction holds its own lock for about
a millisecond). The events reach the keyed chain in the clinic file inside the next write
transaction of any desk (services/audit.py brings them in before its own event) or, at an idle
desk, in a write of their own half a second later (services/view_audit.py).

Never lost, never twice:
- an event is in this file (committed, fsynced) before the view is shown;
- the clinic file records, per journal, the last sequence number brought into the chain
  (`audit_view_marks`), in the same transaction as the events; events are deleted from the
  journal only after that commit, so a desk killed at any moment leaves each event either here,
  or in the chain with the mark past it (then it is deleted, not brought in again);
- sequence numbers are never reused (AUTOINCREMENT), and each journal file has a random id, so
  a journal deleted and made again starts a new mark;
- a gap in the numbers (rows deleted by hand) is reported by the mover, not hidden.

The file holds what the chain will hold (who viewed which record, when); it is created with the
database file's permission bits, as its other companions are.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".views"
JOURNAL_FILES = (SUFFIX, SUFFIX + "-wal", SUFFIX + "-shm")  # beside the database, as its companions
BUSY_TIMEOUT_MS = 10_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS journal (id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
    "user_id INTEGER, action TEXT NOT NULL, patient_id INTEGER, entity TEXT, entity_id INTEGER, "
    "detail TEXT)",
)
_FIELDS = "at, user_id, action, patient_id, entity, entity_id, detail"
_COLUMNS = "seq, " + _FIELDS


@dataclass(frozen=True)
class JournalEvent:
    seq: int
    at: str  # datetime.isoformat() of the view's instant: the chain hashes exactly this
    user_id: int | None
    action: str
    patient_id: int | None
    entity: str | None
    entity_id: int | None
    detail: str | None  # JSON text, as the chain stores it


def journal_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


class ViewJournal:
    """One per clinic file per process; its methods may be called from any thread."""

    def __init__(self, database: Path):
        self.database = database
        self.path = journal_path(database)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._id: str | None = None
        self._inode: tuple[int, int] | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid() and not self._replaced():
            return self._conn
        # A first use, a forked child, or the file gone from under this process (deleted, or
        # set aside by a restore): open the file at the path, carrying over what is stranded.
        stranded = self._stranded()
        conn = self._open()
        for event in stranded:
            conn.execute(f"INSERT INTO events ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (event.at, event.user_id, event.action, event.patient_id, event.entity,
                          event.entity_id, event.detail))
        return conn

    def _open(self) -> sqlite3.Connection:
        mode = (self.database.stat().st_mode & 0o666) or 0o600
        try:  # made here with the database's bits, whatever the umask
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        except FileExistsError:
            pass  # another desk made it first
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")  # two desks making the file: one writes its id
            for statement in _SCHEMA:
                conn.execute(statement)
            row = conn.execute("SELECT id FROM journal").fetchone()
            if row is None:
                row = (secrets.token_hex(8),)
                conn.execute("INSERT INTO journal (id) VALUES (?)", row)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid, self._id, self._inode = conn, os.getpid(), row[0], _inode(self.path)
        return conn

    def _replaced(self) -> bool:
        return _inode(self.path) != self._inode

    def _stranded(self) -> list[JournalEvent]:
        """The events of this process's old file not yet in the chain (past its mark in the
        clinic file): a desk shown those views must not lose them with the file."""
        old, ident = self._conn, self._id
        self._conn = None
        if old is None or self._pid != os.getpid():
            return []
        try:
            rows = old.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq").fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            old.close()
        mark = _mark_in(self.database, ident) if rows else 0
        return [JournalEvent(*row) for row in rows if row[0] > mark]

    @property
    def ident(self) -> str:
        with self._lock:
            self._connection()
            return self._id

    def append(self, at: str, user_id: int | None, action: str, patient_id: int | None,
               entity: str | None, entity_id: int | None, detail: str | None) -> int:
        """Write one event and commit it (on disk when this returns); its sequence number."""
        with self._lock:
            cursor = self._connection().execute(
                f"INSERT INTO events ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, user_id, action, patient_id, entity, entity_id, detail))
            return cursor.lastrowid

    def waiting(self) -> bool:
        """Whether any event is here (brought into the chain or not): one indexed read."""
        if self._conn is None and not self.path.exists():
            return False  # never written by this process, and no file: nothing waits
        with self._lock:
            return self._connection().execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None

    def after(self, seq: int) -> list[JournalEvent]:
        """The events numbered above `seq`, in order."""
        with self._lock:
            rows = self._connection().execute(
                f"SELECT {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
        return [JournalEvent(*row) for row in rows]

    def forget_through(self, seq: int) -> None:
        """Delete the events up to `seq`: only once the chain's mark has passed them."""
        with self._lock:
            self._connection().execute("DELETE FROM events WHERE seq <= ?", (seq,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def _mark_in(database: Path, ident: str | None) -> int:
    """How far the clinic file has brought in the journal `ident` (0: not at all, or unknown)."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
            row = conn.execute("SELECT moved_through FROM audit_view_marks WHERE journal = ?",
                               (ident,)).fetchone()
    except sqlite3.Error:
        return 0
    return row[0] if row else 0


_journals: dict[Path, ViewJournal] = {}
_journals_lock = threading.Lock()


def journal_for(database: Path) -> ViewJournal:
    """The process's journal for this clinic file (by its real path: a desk that opened the
    clinic through a link writes the same journal as the others)."""
    journal = _journals.get(database)
    if journal is not None:
        return journal
    try:
        real = database.resolve()
    except OSError:
        real = database
    with _journals_lock:
        journal = _journals.get(real)
        if journal is None:
            journal = _journals[real] = ViewJournal(real)
        _journals[database] = journal
        return journal


def close_journal(database: Path) -> None:
    """Close this process's connection to the journal of `database`, if open (the database is
    being let go: its three files stop being held open). Used again, it reopens."""
    journal = _journals.get(database)
    if journal is None:
        try:
            journal = _journals.get(database.resolve())
        except OSError:
            return
    if journal is not None:
        journal.close()
