"""Fast bulk inserts for seeding and imports: DBAPI executemany in large transactions.

The ORM costs several times the raw statement per row; a million-patient seed goes through here.
Values must already be in SQLAlchemy's SQLite storage formats (see `sql_date`, `sql_instant`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection


def sql_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def sql_instant(value: datetime | None) -> str | None:
    """An aware instant in the text form UTCDateTime stores (naive UTC, microseconds)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_many(conn: Connection, table: str, columns: Sequence[str],
                rows: Iterable[Sequence]) -> int:
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    batch = list(rows)
    if batch:
        conn.exec_driver_sql(sql, batch)
    return len(batch)
