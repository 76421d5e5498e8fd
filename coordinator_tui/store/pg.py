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

from sqlalchemy import Engine, create_engine, event

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
        pool_pre_ping=True,  # a desk survives a server restart between two units of work
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 10,
                      "application_name": "coordinator"},
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    return engine


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
