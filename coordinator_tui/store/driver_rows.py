"""A million-row read as plain tuples straight from the driver: on SQLite the sqlite3 cursor of
the session's own connection (same transaction), skipping SQLAlchemy's per-row Result work (a
sixth of the A/R aging's CSV time at a million patients, benchmarks/bench_ledger.py); on
PostgreSQL SQLAlchemy's server-side cursor (`yield_per`), so the client never holds every row."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from coordinator_tui.errors import StorageError


def driver_rows(session: Session, stmt: TextClause, params: dict, *, batch: int) -> Iterator[tuple]:
    """Rows of a text() statement with plain named parameters (no expanding ones)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield from session.execute(stmt, params, execution_options={"yield_per": batch}).tuples()
        return
    plain = plain_params(params)
    cursor = conn.connection.driver_connection.cursor()
    cursor.arraysize = batch
    try:
        yield from cursor.execute(stmt.text, plain)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"the database could not be read: {exc}") from None
    finally:
        cursor.close()


def plain_params(params: dict) -> dict:
    """Parameters as the sqlite3 module takes them (dates as the ISO text SQLAlchemy stores)."""
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}
