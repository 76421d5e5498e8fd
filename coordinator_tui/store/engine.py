"""The one place that knows how we talk to SQLite.

- Pragmas on every connection: WAL, foreign keys, busy timeout, synchronous=FULL, mmap_size.
- Write transactions start with BEGIN IMMEDIATE: a deferred read-then-write transaction fails at
  once with "database is locked" when another process writes, whatever the busy timeout.
  SQLAlchemy's documented recipe for pysqlite: isolation_level=None on the DBAPI connection and a
  `begin` event that emits our own BEGIN.
- The database file (and its directory, when we make it) is created readable by its owner only.
- PostgreSQL (postgresql+psycopg://, issue 20): READ COMMITTED transactions, the session in UTC;
  a write transaction first takes one transaction-scoped advisory lock (store/pg.py), the
  counterpart of BEGIN IMMEDIATE: the services decide from what they read inside the write, as
  they do on SQLite. Files, pragmas and the sqlite3 audit function do not apply there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from coordinator_tui.errors import ConnectionLost, StorageError
from coordinator_tui.folders import make_private_dirs
from coordinator_tui.store import audit_guard, view_journal
from coordinator_tui.store.write_queue import begin_immediate, write_turn

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000
# Reads through a memory map of the file (up to this many bytes; SQLite caps it at its
# compile-time limit, 2 GiB in Python's builds): a page is read where it lies in the OS page
# cache instead of copied by a read() call into the connection's own cache. At 1M patients the
# lookup's row fetches (an index walk, then a table seek per row) took 25% less time (60 rows
# by family name plus a birth date's rows: mean 238 -> 177 us). Writes still go through
# write(), so durability is unchanged; WAL frames are read as before.
MMAP_BYTES = 2**31
STATEMENT_CACHE = 256
WRITE_OPTION = "coordinator_write"


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other databases."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise StorageError("an in-memory database cannot be shared between desks; give a file path")
    return Path(parsed.database).expanduser()


def key_base(url: str) -> Path | None:
    """What the audit key and anchor files are named after (store/audit_files.py): the SQLite
    file itself; for a PostgreSQL database, a name in the user's data folder made of its host,
    port and database (one key per clinic database, whatever the role). A URL naming a primary
    and its standby is named after the first host: the same files as the primary's own URL."""
    path = sqlite_path(url)
    if path is not None or not is_postgresql(url):
        return path
    from coordinator_tui.config import data_dir

    parsed = make_url(url)
    host, port = parsed.host, parsed.port
    listed = parsed.query.get("host")  # a primary and its standby: ?host=db1:5432&host=db2:5432
    if host is None and listed:
        first = listed if isinstance(listed, str) else listed[0]
        if not first.startswith("/"):  # a socket folder stays 'local', as it always was
            host, _, given = first.partition(":")
            port = int(given) if given.isdigit() else port
    name = f"{host or 'local'}-{port or 5432}-{parsed.database or 'postgres'}"
    return data_dir() / "postgresql" / name


def url_for_path(path: Path | str) -> str:
    return f"sqlite:///{Path(path).expanduser()}"


def prepare_file(path: Path, *, create: bool) -> None:
    """Check the path is usable, and create an empty owner-only file when asked.

    Refuses before anything is written: a directory, an unwritable folder, a missing file
    when `create` is False.
    """
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StorageError(f"cannot read and write {path}")
        if not os.access(path.parent, os.W_OK):
            # SQLite needs to create the -wal and -shm files beside the database.
            raise StorageError(f"cannot write in {path.parent} (the database needs it for its journal)")
        return
    if not create:
        raise no_database(path)
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise StorageError(f"cannot create {path}: {parent} is not a directory")
    try:
        make_private_dirs(parent)  # 0700 each, whatever the umask
        if not os.access(parent, os.W_OK):
            raise PermissionError
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        # Another desk starting at the same moment made it first: use theirs (the migration
        # lock decides who fills it).
        prepare_file(path, create=False)
    except PermissionError:
        raise StorageError(f"cannot write in {parent}") from None
    except OSError as exc:
        raise StorageError(f"cannot create {path}: {exc.strerror}") from None


def no_database(where: Path | str) -> StorageError:
    """The refusal of a command that works on an existing clinic, given none."""
    return StorageError(f"no database at {where} (create one with 'coordinator db upgrade "
                        f"--db {where}' or 'coordinator seed'/'demo')")


def owner_only(path: Path) -> None:
    """Make a database file we are about to fill (and its journals) readable by its owner only.

    Only for a file that holds nothing yet: a clinic's existing file keeps the mode its admin
    chose (docs/ssh.md shares one with a desk group)."""
    for suffix in ("", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            try:
                companion.chmod(0o600)
            except PermissionError:  # another user's file: patient data must not go in it
                raise StorageError(f"cannot make {companion} readable by its owner only "
                                   "(it belongs to another user)") from None


def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see `_on_begin`)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    finally:
        cursor.close()
    audit_guard.register(dbapi_connection)  # the audit trail's insert trigger asks it


def _on_begin(conn) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        # In line for the lock (store/write_queue.py) when Database.write put us there.
        begin_immediate(conn, _file_of(conn.engine.url), BUSY_TIMEOUT_MS)
    else:
        conn.exec_driver_sql("BEGIN")


@lru_cache(maxsize=64)
def _file_of(url) -> Path | None:
    return sqlite_path(url.render_as_string(hide_password=False))


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def make_engine(url: str) -> Engine:
    # hide_parameters: SQL parameters (names, birth dates...) never reach a log line or an
    # exception message, even when someone turns SQLAlchemy's logging on to debug.
    if is_postgresql(url):
        from coordinator_tui.store import pg
        from coordinator_tui.store.pg_listen import send_on_commit

        engine = pg.make_engine(url)
        send_on_commit(engine)  # live refresh: LISTEN/NOTIFY (store/pg_listen.py)
        return engine
    # sqlite3 keeps a connection's prepared statements by text, 128 by default: the lookup
    # alone sends 134 (its list questions are built per size; bench_lookup at 1M), and the
    # desks' other statements share the pooled connections. Preparing again is not free (the
    # MRN probe 11 -> 72 us, the duplicates question 122 -> 432 us).
    engine = create_engine(url, hide_parameters=True, connect_args={"cached_statements": STATEMENT_CACHE})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


# What psycopg/libpq say when the server went away mid-session, or when no host of the URL is a
# server taking writes (the primary is down and the standby not promoted yet: `host=a,b` with
# target_session_attrs=read-write). Lower case.
LOST_WORDS = ("server closed the connection", "terminating connection", "connection is lost",
              "connection is closed", "consuming input failed", "could not receive data",
              "could not send data", "connection refused", "hot standby mode",
              "session is read-only", "database system is shutting down",
              "database system is starting up", "database system is in recovery mode",
              "no connection to the server")


def connection_lost(exc: BaseException, url: str) -> bool:
    """The database server cannot be reached now (a desk may reconnect): PostgreSQL only."""
    if not is_postgresql(url):
        return False
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(words in text for words in LOST_WORDS)


def describe_storage_error(exc: BaseException, url: str) -> str:
    """One line for a person, without SQL or parameters (they may hold patient data)."""
    original = getattr(exc, "orig", exc)
    text = str(original).lower()
    where = sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    if connection_lost(exc, url):
        return f"cannot reach the database server at {where} (stopped, restarting or failing over)"
    if "file is not a database" in text or "file is encrypted" in text:
        return f"{where} is not a coordinator database (not an SQLite file)"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return f"cannot open {where} for writing"
    if "connection" in text and ("refused" in text or "failed" in text or "timeout" in text):
        return f"cannot reach the database server at {where}"
    if "password authentication failed" in text or "does not exist" in text and "database" in text:
        return f"cannot sign in to the database at {where} (role, password or database name)"
    if "locked" in text or "busy" in text or "deadlock detected" in text:
        return "the database is busy at another desk; please try again"
    if ("overlaps another active appointment" in text  # migration 0008's triggers
            or "ex_appointments_no_overlap" in text):  # PostgreSQL's exclusion constraint
        return "that time is already booked for this provider; nothing was saved"
    if "cannot last more than a day" in text or "ck_appointments_at_most_a_day" in text:
        return "an appointment cannot last more than a day; nothing was saved"
    if "disk" in text and ("full" in text or "i/o" in text):
        return "the disk holding the database is full or failing; nothing was saved"
    return f"the database at {where} could not be used ({type(original).__name__})"


class Database:
    """Owns the engine; hands out one Session per unit of work.

    `read()` is a deferred transaction; `write()` is BEGIN IMMEDIATE and commits on success,
    rolls back on any exception.
    """

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._fixed: dict[tuple, Engine] = {}  # PostgreSQL: read pools by settings (read_driver)

    # The ORM is imported on the first unit of work, not at start-up: the sign-in screen draws
    # without it (about 100 ms of imports on these machines).
    @cached_property
    def _read_sessions(self) -> sessionmaker:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def _write_sessions(self) -> sessionmaker:
        from sqlalchemy.orm import sessionmaker

        from coordinator_tui.store.outbox import after_flush

        maker = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}),
                             expire_on_commit=False)
        event.listen(maker, "after_flush", after_flush)  # HL7 outbox (store/outbox.py)
        return maker

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @cached_property
    def key_base(self) -> Path | None:
        """What the audit key and anchor files are named after (`key_base`): the SQLite file,
        or a name for the PostgreSQL database; the audit writer names them the same way."""
        return key_base(self.url)

    @cached_property
    def _file(self) -> Path | None:
        return sqlite_path(self.url)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._guard(), self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_driver(self, fixed: tuple[tuple[str, str], ...] = ()) -> Iterator[Any]:
        """A read transaction on a pooled connection's own DB-API connection (sqlite3, psycopg),
        for prebuilt raw statements: the patient lookup, on every keystroke. No SQLAlchemy
        Connection, Transaction or begin event around it: on SQLite the transaction's CPU went
        from 64 to 13 us, on PostgreSQL 190 -> 145 us (with one statement), and `read()` costs
        0.1-0.2 ms more again. A DB-API error becomes the StorageError or ConnectionLost that
        `read()` raises, and a connection it left unusable is dropped from the pool.

        `fixed` (PostgreSQL; nothing on SQLite): settings (name, value) of the session. The
        connection then comes from a pool of its own opened with them, in autocommit
        (store/pg.make_fixed_engine): the lookup sent BEGIN, its settings (SET LOCAL) and
        COMMIT in every search, 0.35 ms of the desk's CPU and 0.1 ms of the server's."""
        engine = self.fixed_engine(fixed) if fixed and self._file is None else self.engine
        dialect = engine.dialect
        with self._guard():
            pooled = engine.raw_connection()  # the pool's checkout events run as ever
        raw = pooled.driver_connection
        try:
            if self._file is not None:
                raw.execute("BEGIN")  # SQLite: isolation_level None, we begin (as `_on_begin`)
            yield raw
            raw.commit()  # nothing to send when the search already ended it (PostgreSQL)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, raw, None)
            if lost:
                pooled.invalidate(exc)
            lost = lost or connection_lost(exc, self.url)
            raise (ConnectionLost if lost and is_postgresql(self.url) else StorageError)(
                describe_storage_error(exc, self.url)) from None
        finally:
            pooled.close()  # back to the pool, which rolls back a transaction left open

    def fixed_engine(self, fixed: tuple[tuple[str, str], ...]) -> Engine:
        """PostgreSQL: the pool `read_driver(fixed)` reads from (made on first use)."""
        engine = self._fixed.get(fixed)
        if engine is None:
            from coordinator_tui.store import pg

            made = pg.make_fixed_engine(self.url, fixed)
            engine = self._fixed.setdefault(fixed, made)  # two threads at once: one pool kept
            if engine is not made:
                made.dispose()
        return engine

    def read_scalar(self, statement, params: dict):
        """One value from one prebuilt read statement, on a pooled connection without a Session:
        the hot look-ups (a patient's balance) cost ~2x less than through `read()`."""
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(statement, params).scalar_one()

    @contextmanager
    def write(self) -> Iterator[Session]:
        # SQLite: wait in line for the write lock (store/write_queue.py), then BEGIN IMMEDIATE.
        with self._guard(), write_turn(self._file), self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, DatabaseError) as exc:
            kind = ConnectionLost if connection_lost(exc, self.url) else StorageError
            raise kind(describe_storage_error(exc, self.url)) from None

    def dispose(self) -> None:
        self.engine.dispose()
        for engine in self._fixed.values():
            engine.dispose()
        if self._file is not None:
            view_journal.close_journal(self._file)
