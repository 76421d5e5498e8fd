"""Only the audit writer adds rows to the audit trail.

PostgreSQL: the trigger of migration 0004 checks the transaction-local setting
`coordinator.audit_writer`, which `writing(connection)` turns on for the insert and off after
(store/pg.py). SQLite:

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


def lock_head(connection) -> None:
    """PostgreSQL: hold the chain head until this transaction ends."""
    from coordinator_tui.store import pg

    pg.lock_audit_head(connection)


@contextmanager
def writing(pg_connection=None) -> Iterator[None]:
    """Inserts into audit_events in this thread are the writer's while the block runs (and on
    `pg_connection`, a PostgreSQL connection, in its transaction)."""
    _state.depth = getattr(_state, "depth", 0) + 1
    if pg_connection is not None:
        from coordinator_tui.store import pg

        pg.set_audit_writer(pg_connection, True)
    try:
        yield
    finally:
        _state.depth -= 1
        if pg_connection is not None:
            pg.set_audit_writer(pg_connection, False)
