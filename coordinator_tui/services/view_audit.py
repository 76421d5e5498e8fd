"""The audit event of a view (a check-in checklist, a patient's record), written before the desk
shows the view, without waiting for any writer (issue 23 point 2).

A view reads in a read transaction, which never takes SQLite's write lock. Its one audit event:
- on SQLite, goes to the view journal beside the clinic file (store/view_journal.py): committed
  and on disk before the view is returned, behind no clinic writer. The next write transaction
  of any desk appends it to the chain before its own event (services/audit.py); at a desk that
  writes nothing meanwhile, a background thread does so SETTLE_SECONDS later, in a write
  transaction of its own (in line with the other writers, but no person waits for it);
- on PostgreSQL, is appended to the chain in a short write transaction of its own (no one lock
  for the clinic there: writers wait only for the chain's head).
Either way, if the event cannot be written the view fails and shows nothing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from datetime import datetime

from coordinator_tui.errors import StorageError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.engine import Database
from coordinator_tui.store.view_journal import journal_for

SETTLE_SECONDS = 0.5  # an idle desk's views reach the chain this long after the last one
IDLE_EXIT_SECONDS = 30.0  # the settling thread ends after this long without a view
MAX_RETRIES = 20  # a settle refused (database busy, gone): tries before leaving it to a write


def record_view(ctx: AppContext, actor: Actor, action: str, at: datetime, **fields) -> None:
    """Record one view's audit event; it is on disk when this returns."""
    if ctx.db.path is None:
        with ctx.db.write() as session:
            audit.record(session, actor, action, at, **fields)
        return
    try:
        audit.journal_view(ctx, actor, action, at, **fields)
    except (OSError, sqlite3.Error):
        raise StorageError("the view could not be recorded in the audit trail (its journal "
                           "beside the database cannot be written); nothing is shown") from None
    _settler_for(ctx.db).kick()


def settle(db: Database) -> int:
    """Bring the journal's waiting view events into the chain now (a write transaction, only if
    some are waiting): before the trail is shown or checked. The number appended."""
    path = db.path
    try:
        if path is None or not path.exists() or not journal_for(path).waiting():
            return 0
    except (OSError, sqlite3.Error):
        raise StorageError("the views' audit journal beside the database cannot be read") from None
    with db.write() as session:
        return audit.bring_in_views(session)


class _Settler:
    """One thread per clinic database per process, started by a view and ending when idle."""

    def __init__(self, db: Database):
        self._db = weakref.ref(db)
        self._kicked = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        self._kicked.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="view-audit-settler",
                                                 daemon=True)
                self._thread.start()

    def _run(self) -> None:
        failures = 0
        while True:
            if not self._kicked.wait(IDLE_EXIT_SECONDS):
                with self._lock:  # a kick that came as we gave up keeps us going
                    if not self._kicked.is_set():
                        self._thread = None
                        return
            time.sleep(SETTLE_SECONDS)  # from the first unsettled view: a busy desk still settles
            self._kicked.clear()
            db = self._db()
            if db is None:
                return
            try:
                settle(db)
                failures = 0
            except Exception:  # busy or gone: try again shortly, then leave it to the next write
                failures += 1
                if failures < MAX_RETRIES:
                    self._kicked.set()
            del db


_settlers: weakref.WeakKeyDictionary[Database, _Settler] = weakref.WeakKeyDictionary()
_settlers_lock = threading.Lock()


def _settler_for(db: Database) -> _Settler:
    with _settlers_lock:
        settler = _settlers.get(db)
        if settler is None:
            settler = _settlers[db] = _Settler(db)
        return settler
