"""Fast bulk inserts for seeding and imports: DBAPI executemany in large transactions.

The ORM costs several times the raw statement per row; a million-patient seed goes through here.
Values must already be in SQLAlchemy's SQLite storage formats (see `sql_date`, `sql_instant`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def indexes_built_after(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes and triggers, let the caller bulk insert, then create
    them again from their own stored SQL.

    Keeping eight indexes on random keys current row by row costs most of a million-patient seed;
    building each once from sorted data afterwards is several times faster. Run it inside ONE
    transaction (SQLite DDL is transactional): interrupted, everything rolls back and no index or
    trigger is ever missing. Triggers are skipped during the inserts, so the caller must do in
    bulk what they would have done (see `fill_search_vocabulary`). Uniqueness constraints
    declared on a table (its automatic indexes) are kept and checked throughout.
    """
    marks = ", ".join("?" for _ in tables)
    saved = conn.exec_driver_sql(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL", tuple(tables)).fetchall()
    for kind, name, _sql in saved:
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in saved:
        conn.exec_driver_sql(sql)


def fill_search_vocabulary(conn: Connection) -> None:
    """What the patients' search triggers (migration 0002) do row by row, for every patient at
    once: each family and given name key enters the vocabulary (and, by the vocabulary's own
    trigger, its trigram index) unless it is there already."""
    for kind, key, sound in (("f", "family_key", "family_phonetic"), ("g", "given_key", "given_phonetic")):
        conn.exec_driver_sql(
            f"INSERT INTO patient_search_vocab (kind, key, phonetic) "
            f"SELECT '{kind}', {key}, min({sound}) FROM patients "
            f"WHERE {key} NOT IN (SELECT key FROM patient_search_vocab WHERE kind = '{kind}') "
            f"GROUP BY {key}")
