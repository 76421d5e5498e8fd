"""SQLite file-level work for backups and restores (kept here, with the other SQLite specifics).

- `online_copy` uses SQLite's online backup API in steps. The source connection holds ONE read
  transaction for the whole copy: in WAL mode that never blocks a writer, every step reads the
  same snapshot (a consistent copy), and the copy does not restart when another desk commits
  (a stepped backup without it restarts on every foreign commit and may never finish).
- `check_file` tells a damaged or foreign file from a good one without writing anything.
- `other_connections` asks the WAL index whether any other process has the database open.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from coordinator_tui.store.engine import BUSY_TIMEOUT_MS

SQLITE_MAGIC = b"SQLite format 3\x00"
# Byte 128 of the -shm file is SQLite's "dead man switch": every connection to a WAL database
# holds a shared POSIX lock on it while open (os_unix.c, UNIX_SHM_DMS).
_SHM_DMS_OFFSET = 128

Progress = Callable[[int, int], None]


def _readonly(path: Path, *, immutable: bool) -> sqlite3.Connection:
    flag = "&immutable=1" if immutable else ""
    conn = sqlite3.connect(f"file:{path}?mode=ro{flag}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)
    return conn


def online_copy(source: Path, dest: Path, *, pages: int = 2048,
                progress: Progress | None = None) -> int:
    """Copy the live database `source` into the (empty, already created) file `dest` and turn
    the copy into a single self-contained file (rollback journal, not WAL). Returns the number
    of pages copied."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None,
                          timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(str(dest), isolation_level=None)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts the snapshot
        total = [0]

        def step(_status: int, remaining: int, count: int) -> None:
            total[0] = count
            if progress is not None:
                progress(count - remaining, count)

        src.backup(dst, pages=pages, progress=step, sleep=0.05)
        src.execute("COMMIT")
        # The copy inherits the WAL flag from the source's header: make it one plain file.
        dst.execute("PRAGMA journal_mode = DELETE").fetchone()
        return total[0] or dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dst.close()
        src.close()


def check_file(path: Path) -> str | None:
    """None when `path` is a whole, undamaged SQLite database; otherwise what is wrong, in a
    few words. Reads only (immutable: no journal or -shm is created beside the file)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages_in_header = int.from_bytes(header[28:32], "big")
    size = path.stat().st_size
    if page_size < 512 or page_size & (page_size - 1):
        return "is damaged (bad page size in its header)"
    if size % page_size or (pages_in_header and pages_in_header * page_size > size):
        return "is damaged (the file is cut short)"
    wal = path.with_name(path.name + "-wal")
    try:
        conn = _readonly(path, immutable=not wal.exists())
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
            fk = conn.execute("PRAGMA foreign_key_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if "not a database" in text or "encrypted" in text:
            return "is not an SQLite database"
        return "is damaged (SQLite cannot read it)"
    if rows != ["ok"]:
        return "is damaged (integrity check failed)"
    if fk is not None:
        return "is damaged (records point at missing rows)"
    return None


def count_rows(path: Path, table: str) -> int | None:
    """Rows in `table` of the database at `path`, or None when it cannot be read."""
    if not path.is_file():
        return None
    wal = path.with_name(path.name + "-wal")
    try:
        conn = _readonly(path, immutable=not wal.exists())
        try:
            return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def other_connections(path: Path) -> bool:
    """True when another process has the database at `path` open (a desk, a cron job...).

    Tries an exclusive lock on the WAL index's dead-man-switch byte, which every open WAL
    connection holds shared. The caller must not hold connections to `path` itself: POSIX
    locks belong to the process, and closing our descriptor drops the process's locks.
    Local file systems only (network file systems may not honour POSIX locks)."""
    import fcntl

    shm = path.with_name(path.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: assume someone is there
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_OFFSET)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_OFFSET)
        return False
    finally:
        os.close(fd)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file and remove it, so nothing of the old database is left
    in a -wal file that SQLite would replay over a restored one."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()


def to_single_file(path: Path) -> None:
    """Leave the database at `path` in rollback-journal mode: one file, no -wal to carry."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()
    finally:
        conn.close()
    if path.with_name(path.name + "-wal").exists():
        raise OSError(f"{path.name} still has a write-ahead log")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# A temporary copy beside its target is named ".TARGET.PID.RANDOM.TAG" (owner-only from birth,
# mkstemp). A backup or restore killed mid-copy (SIGKILL, power cut) cannot remove its own: the
# next run in that folder removes every such file whose process is gone (issue #22: full copies
# of the database used to be left behind, hidden, for ever).
ABANDONED_UNKNOWN_AGE = 600  # seconds: a file without a process id is left alone this long
ABANDONED_ANYWAY = 86_400  # untouched for a day: abandoned even if its process id was reused


def temp_beside(target: Path, tag: str) -> Path:
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=f".{tag}",
                                dir=target.parent)
    os.close(fd)
    return Path(name)


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def remove_abandoned(folder: Path, tag: str, *, now: float | None = None) -> list[Path]:
    """Remove this user's temporary copies in `folder` whose process has ended (and their
    journals). Returns what was removed."""
    import time

    now = time.time() if now is None else now
    removed = []
    try:
        candidates = list(folder.glob(f".*.{tag}"))
    except OSError:
        return removed
    for path in candidates:
        try:
            info = path.lstat()
        except OSError:
            continue
        if info.st_uid != os.getuid() or not path.is_file() or path.is_symlink():
            continue
        parts = path.name[: -len(tag) - 1].rsplit(".", 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        if pid == os.getpid():
            continue
        if pid is not None and not _process_gone(pid) and now - info.st_mtime < ABANDONED_ANYWAY:
            continue
        if pid is None and now - info.st_mtime < ABANDONED_UNKNOWN_AGE:
            continue
        for extra in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(path) + extra).unlink()
        removed.append(path)
    return removed
