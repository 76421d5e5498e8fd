"""The one place that knows how we talk to PostgreSQL (psycopg 3; issue 20).

- READ COMMITTED transactions; every session runs in UTC (timestamps are `timestamptz`).
- A write transaction (the engine's WRITE_OPTION) first takes WRITE_LOCK, a transaction-scoped
  advisory lock: the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE. The services decide
  from what they read inside their write (a slot is free, the next receipt number), so writers
  take turns as they do on SQLite; a PostgreSQL write transaction holds it for milliseconds.
- The audit chain's head is locked inside the audit write (AUDIT_LOCK), also for the audit
  events a read transaction appends (a look at a record): the chain stays linear.
- Only the audit writer inserts into audit_events: it sets `coordinator.audit_writer` for the
  insert (SET LOCAL semantics), and a trigger (migration 0004) refuses any other insert.
"""

from __future__ import annotations

import select

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

# Advisory lock keys (any 64-bit numbers, fixed for every process of every version).
WRITE_LOCK = 0x636F6F7264  # "coord"
AUDIT_LOCK = 0x6175646974  # "audit"
WRITER_SETTING = "coordinator.audit_writer"


def make_engine(url: str) -> Engine:
    from coordinator_tui.store.engine import WRITE_OPTION

    engine = create_engine(
        url,
        hide_parameters=True,
        isolation_level="READ COMMITTED",
        # No ping at checkout (pool_pre_ping was a round trip before every unit of work, one
        # of a lookup's three): `_closed_by_server` below asks the socket instead.
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 10,
                      "application_name": "coordinator"},
    )
    event.listen(engine, "checkout", _on_checkout)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    return engine


def make_fixed_engine(url: str, settings: tuple[tuple[str, str], ...]) -> Engine:
    """A pool of read connections opened with `settings` (name, value) fixed for the session,
    in autocommit (store.engine.Database.read_driver): no BEGIN, SET LOCAL or COMMIT per unit
    of work. Statements read at READ COMMITTED, each with its own snapshot, as they do inside
    a transaction; statements sent together in a pipeline run as one implicit transaction."""
    options = " ".join(["-c timezone=UTC", *(f"-c {name}={value}" for name, value in settings)])
    engine = create_engine(url, hide_parameters=True, isolation_level="AUTOCOMMIT",
                           connect_args={"options": options, "connect_timeout": 10,
                                         "application_name": "coordinator"})
    event.listen(engine, "checkout", _on_checkout)
    return engine


def _on_checkout(dbapi_connection, _record, _proxy) -> None:
    # A desk survives a server restart or a failover between two units of work: a pooled
    # connection the server has closed is swapped for a new one (the pool retries).
    if _closed_by_server(dbapi_connection):
        raise DisconnectionError("the database server closed this pooled connection")


def _closed_by_server(connection) -> bool:
    """An idle pooled connection the server has ended, known without a round trip.

    Between units of work the server sends nothing unasked (pooled connections never LISTEN),
    so a socket with something to read means it has gone: end of stream after a restart, a
    stop or a killed backend, or the FATAL it sends before it closes. A link that died silently
    shows nothing, as a ping would have waited for TCP to give up on it too."""
    if connection.closed or connection.broken:
        return True
    import psycopg

    try:
        readable, _w, _x = select.select([connection.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


def lock_audit_head(connection) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK})")


def set_audit_writer(connection, on: bool) -> None:
    connection.exec_driver_sql(
        f"SELECT set_config('{WRITER_SETTING}', '{'on' if on else 'off'}', true)")


def connect_params(url: str) -> dict:
    """What psycopg.connect takes for a SQLAlchemy postgresql+psycopg URL, several hosts included
    (a primary and its standby: `?host=a:5432&host=b:5432&target_session_attrs=read-write`)."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.engine import make_url

    _args, params = PGDialect_psycopg().create_connect_args(make_url(url))
    params.pop("context", None)
    return {k: v for k, v in params.items() if v is not None}
