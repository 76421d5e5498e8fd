"""Live refresh on PostgreSQL: LISTEN/NOTIFY instead of SQLite's `PRAGMA data_version` polling
(change_watcher.py), behind the same `changed()`.

Sending: every write transaction (a connection with the write option, store/engine.py) sends
`pg_notify('coordinator_changes', <pid>)` just before it commits, inside the transaction, so the
notification is delivered at commit and only if it commits (PostgreSQL's rule). One seam, the
engine's `commit` event, catches every writer: the ORM sessions, seeding, imports, raw Core.
Read transactions send nothing (a desk that reloads on a notification cannot set off another).
The payload is the writer's process id: small, and no patient data.

Listening: each desk keeps one dedicated autocommit connection that LISTENs, read by a daemon
thread waiting in psycopg's `notifies(timeout=...)` generator. A notification sets a flag that
`changed()` reports once. NOTIFY has no replay: when the connection drops (server restart, a
terminated backend, a failover) the thread reconnects, LISTENs again and reports a change, so
the desk reloads everything it shows. TCP keepalives find a link that died silently.
"""

from __future__ import annotations

import os
import threading

from sqlalchemy import Engine, event

from coordinator_tui.store.engine import WRITE_OPTION

CHANNEL = "coordinator_changes"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', %s)"


def _notify_on_commit(conn) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.connection.dbapi_connection.execute(_NOTIFY, (str(os.getpid()),))


def send_on_commit(engine: Engine) -> None:
    """Every write transaction of this engine tells the listeners it committed."""
    if not event.contains(engine, "commit", _notify_on_commit):
        event.listen(engine, "commit", _notify_on_commit)


def conninfo(url: str) -> str:
    """A SQLAlchemy postgresql+psycopg URL as libpq takes it, several hosts included."""
    from psycopg.conninfo import make_conninfo

    from coordinator_tui.store.pg import connect_params

    return make_conninfo(**connect_params(url))


class PgChangeWatcher:
    """`changed()` is True once after any write transaction committed since the last call (any
    desk's, this one's included, as with SQLite's data_version), and once after a reconnect."""

    pushed = True  # changed() reads a flag, no query: a desk may ask it as often as it likes
    WAIT_SECONDS = 0.5  # how long one notifies() wait lasts: how soon close() is noticed
    RETRY_SECONDS = 0.5

    def __init__(self, url: str):
        self._conninfo = conninfo(url)
        self._changed = threading.Event()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.queries = 0  # statements issued by changed(): none, a flag is read (the idle cost)
        self.reconnects = 0
        self.backend_pid: int | None = None
        self._thread = threading.Thread(target=self._listen, name="pg-change-listener", daemon=True)
        self._thread.start()

    def _connect(self):
        import psycopg

        conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5, keepalives=1,
                               keepalives_idle=5, keepalives_interval=2, keepalives_count=3)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def _listen(self) -> None:
        import psycopg

        first = True
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except psycopg.Error:
                self._stop.wait(self.RETRY_SECONDS)
                continue
            self.backend_pid = conn.info.backend_pid
            if not first:
                self.reconnects += 1
                self._changed.set()  # what was sent while we were away is lost: reload all
            first = False
            self.connected.set()
            try:
                while not self._stop.is_set():
                    for _notification in conn.notifies(timeout=self.WAIT_SECONDS):
                        self._changed.set()
            except psycopg.Error:
                pass  # the connection dropped: connect again
            finally:
                self.connected.clear()
                try:
                    conn.close()
                except psycopg.Error:
                    pass

    def changed(self) -> bool:
        """True once after each change (or reconnect) since the last call."""
        if not self._changed.is_set():
            return False
        self._changed.clear()
        return True

    def wait(self, timeout: float) -> bool:
        """Block until a change is reported (for tests and command-line watchers); consumes it."""
        if self._changed.wait(timeout):
            self._changed.clear()
            return True
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.WAIT_SECONDS + 5)
