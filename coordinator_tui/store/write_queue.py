"""A fair queue of writers in front of SQLite's one write lock (issue 23, point 2).

SQLite has one write lock per file. A writer that finds it taken sleeps in SQLite's busy handler
(1, 2, 5 ... 100 ms) and retries; nobody is woken when the lock frees, and whoever retries first
wins, so with eight desks a writer could lose several rounds in a row and wait a second while the
lock sat idle between sleeps. Here writers take a ticket and wait for the writer before them,
in the kernel, before `BEGIN IMMEDIATE`: the lock passes straight to the next in line, in the
order they came.

How (POSIX byte-range locks on a small file beside the database, `NAME.write-queue`):

- bytes 0-7 hold the next ticket number; byte 8 is a short lock around taking one;
- a writer holding ticket t locks byte BASE + t (mod SLOTS) while it takes the ticket, then
  waits for byte BASE + t-1 (held by the writer before it until that one's transaction ends),
  runs its transaction, and unlocks its own byte, which wakes the writer after it.

The kernel drops a process's locks when it dies, so a desk killed with SIGKILL (or a dropped
SSH link) passes its turn on at once. The queue only orders the writers that use it; SQLite's
lock still decides who writes, so a writer outside it (the sqlite3 shell, another version)
is safe, only not queued. POSIX locks belong to a process, not a thread, so each process has
one open file per database and lets one thread at a time into the queue; a thread already in
its turn (a write inside a write) does not queue again.

Nothing in the file is patient data: it holds one number. It is created with the database
file's permission bits, so desks of one group (docs/ssh.md) share it; a desk that cannot open
it writes without queueing (SQLite's busy handler, as before)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".write-queue"
TICKET_LOCK = 8  # the byte locked while a ticket is taken
BASE = 64  # each ticket's byte: BASE + ticket % SLOTS
SLOTS = 1 << 20  # more writers than this waiting at once would share bytes; there are dozens
ENV_OFF = "COORDINATOR_WRITE_QUEUE"  # "off": no queue (the benchmark's floor)
WAIT_SECONDS = 10.0  # as long as SQLite's busy timeout (store/engine.py)


def queue_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


class _FileQueue:
    """One per database file per process."""

    def __init__(self, database: Path):
        self.database = database
        self.path = queue_path(database)
        self._fd: int | None = None
        self._pid = 0
        self._threads = threading.Lock()  # one thread of this process in the queue at a time
        self._held = threading.local()

    def _file(self) -> int | None:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            try:
                mode = (self.database.stat().st_mode & 0o666) or 0o600
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
                    os.fchmod(fd, mode)  # the database's bits, whatever the umask
                except FileExistsError:
                    fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
            except OSError:
                return None
            self._fd = fd
            self._pid = os.getpid()
        return self._fd

    def _ticket(self, fd: int) -> int:
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, TICKET_LOCK)
        try:
            raw = os.pread(fd, 8, 0)
            ticket = int.from_bytes(raw, "little") if len(raw) == 8 else 0
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, BASE + ticket % SLOTS)
            os.pwrite(fd, (ticket + 1).to_bytes(8, "little"), 0)
            return ticket
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, TICKET_LOCK)

    @contextmanager
    def turn(self) -> Iterator[None]:
        if getattr(self._held, "depth", 0):  # already this thread's turn
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        with self._threads:
            fd = self._file()
            if fd is None:
                yield
                return
            try:
                ticket = self._ticket(fd)
            except OSError:
                yield  # a file system without byte-range locks: SQLite alone orders writers
                return
            mine = BASE + ticket % SLOTS
            try:
                _wait_for(fd, BASE + (ticket - 1) % SLOTS)  # the writer ahead has finished
                self._held.depth, self._held.ticket, self._held.slot = 1, ticket, mine
                try:
                    yield
                finally:
                    self._held.depth, self._held.ticket, self._held.slot = 0, None, None
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, mine)

    def begin(self, conn, timeout_ms: int) -> bool:
        """BEGIN IMMEDIATE for the writer at the head of the line, then wake the next one.

        The head alone asks SQLite for the lock, every 0.2-1 ms (SQLite's busy handler sleeps
        up to 100 ms between tries, and a writer asleep when the lock frees leaves it idle).
        Once the lock is ours the next writer is woken: it becomes the head, and is awake and
        asking by the time this transaction commits, instead of waking only then (on a loaded
        machine a woken process can wait several milliseconds for a CPU, with the lock idle).
        False: this thread is not in line (the caller begins as usual)."""
        slot = getattr(self._held, "slot", None)
        if slot is None:
            return False
        raw = conn.connection.dbapi_connection
        try:
            raw.execute("PRAGMA busy_timeout = 0")
            deadline = time.monotonic() + timeout_ms / 1000
            delay = 0.0002
            while time.monotonic() < deadline:
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return True
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        break  # not a lock held elsewhere: let SQLAlchemy raise it below
                time.sleep(delay)
                delay = min(delay * 2, 0.001)
        finally:
            raw.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            self._let_next_in()
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # one more try, raising SQLAlchemy's error
        return True

    def _let_next_in(self) -> None:
        slot = getattr(self._held, "slot", None)
        if slot is not None and self._fd is not None:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, slot)
            self._held.slot = None


def _wait_for(fd: int, slot: int) -> bool:
    """Wait until the writer holding `slot` lets it go, at most WAIT_SECONDS (then go on
    without it: a desk stopped in its turn, Ctrl+Z over SSH, must not stop the others for ever;
    SQLite's lock and busy timeout still decide). True when the turn came."""
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
    except OSError:
        pass  # taken: the writer ahead is still at it
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)
        return True
    came = threading.Event()

    def wait() -> None:  # a blocking wait cannot time out, so a helper thread does it
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, slot)
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)
        except OSError:
            pass
        came.set()

    threading.Thread(target=wait, name="write-queue", daemon=True).start()
    return came.wait(WAIT_SECONDS)


_queues: dict[Path, _FileQueue] = {}
_queues_lock = threading.Lock()


def queue_for(database: Path) -> _FileQueue | None:
    """The process's queue for this database file, or None when queueing is off."""
    if os.environ.get(ENV_OFF, "").strip().lower() in ("off", "0", "no"):
        return None
    queue = _queues.get(database)
    if queue is not None:
        return queue
    try:
        real = database.resolve(strict=True)
    except OSError:
        return None  # no file yet: nothing to queue for
    with _queues_lock:
        queue = _queues.get(real)
        if queue is None:
            queue = _queues[real] = _FileQueue(real)
        _queues[database] = queue
        return queue


def begin_immediate(conn, database: Path | None, timeout_ms: int) -> None:
    """Start a write transaction: through the queue when this thread is in line for
    `database`, else a plain BEGIN IMMEDIATE (SQLite's busy handler waits)."""
    queue = _queues.get(database) if database is not None else None  # in line: it exists
    if queue is None or not queue.begin(conn, timeout_ms):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def current_ticket(database: Path) -> int | None:
    """The place in line of this thread's turn now (tests show the order writers were served)."""
    queue = queue_for(database)
    return getattr(queue._held, "ticket", None) if queue is not None else None


@contextmanager
def write_turn(database: Path | None) -> Iterator[None]:
    """Hold this process's place in the queue of writers to `database` (None: not SQLite)."""
    queue = queue_for(database) if database is not None else None
    if queue is None:
        yield
        return
    with queue.turn():
        yield
