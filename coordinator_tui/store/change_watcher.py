"""Seeing another desk's commits: `PRAGMA data_version` on one dedicated connection changes when
ANY OTHER connection commits to the database file (ours included, as the app writes through its
pool, never through this connection). Cheap: one pragma, no table read.

The SQLite-specific part of live refresh lives here; a PostgreSQL store would use LISTEN/NOTIFY
behind the same `changed()` call.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ChangeWatcher:
    def __init__(self, path: Path | str):
        # check_same_thread=False: polled from worker threads, one at a time (guarded by a lock).
        # Never written through (a read-only URI cannot open a WAL database whose -shm is missing).
        self._conn = sqlite3.connect(str(Path(path)), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 2000")
        self._lock = threading.Lock()
        self.queries = 0  # statements issued since opening (the idle cost of a desk)
        self._last = self._version()

    def _version(self) -> int:
        self.queries += 1
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True once after each time another connection has committed since the last call."""
        with self._lock:
            current = self._version()
            if current == self._last:
                return False
            self._last = current
            return True

    def close(self) -> None:
        with self._lock:
            self._conn.close()
