"""Only the audit writer adds rows to the audit trail (SQLite).

A trigger on `audit_events` (migration 0004_security) calls `coordinator_audit_writer()`, an SQL
function that exists only on connections opened by this package (registered in
`store.engine`) and answers 1 only while `services.audit.record` is inserting. Any other client
(the `sqlite3` shell, a script with its own connection) fails with "no such function" and the
INSERT is refused; so does an INSERT through our own engine outside the writer. Someone who can
run Python against the file can register the function too: the keyed chain (services/audit.py)
is what makes such a row show.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

WRITER_FUNCTION = "coordinator_audit_writer"

_state = threading.local()


def _writer_active() -> int:
    return 1 if getattr(_state, "depth", 0) > 0 else 0


def register(dbapi_connection: sqlite3.Connection) -> None:
    dbapi_connection.create_function(WRITER_FUNCTION, 0, _writer_active)


@contextmanager
def writing() -> Iterator[None]:
    """Inserts into audit_events in this thread are the writer's while the block runs."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
