"""Fast bulk inserts for seeding and imports: DBAPI executemany in large transactions.

The ORM costs several times the raw statement per row; a million-patient seed goes through here.
Values must already be in SQLAlchemy's SQLite storage formats (see `sql_date`, `sql_instant`).
Statements use `?` placeholders; on PostgreSQL `driver_sql` turns them into psycopg's `%s`, and
`insert_many` turns 0/1 into booleans for the models' Boolean columns (PostgreSQL has no implicit
cast from an integer). Dates and instants as text are cast by PostgreSQL itself (the session
runs in UTC).
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


def driver_sql(conn: Connection, sql: str, params=None):
    """exec_driver_sql with `?` placeholders on either engine."""
    if conn.dialect.name == "postgresql":
        sql = sql.replace("%", "%%").replace("?", "%s")
    return conn.exec_driver_sql(sql, params) if params is not None else conn.exec_driver_sql(sql)


def _boolean_positions(table: str, columns: Sequence[str]) -> list[int]:
    from sqlalchemy import Boolean

    from coordinator_tui.store.models import Base

    described = Base.metadata.tables[table].columns
    return [i for i, name in enumerate(columns) if isinstance(described[name].type, Boolean)]


# On PostgreSQL a large batch goes through COPY: one stream instead of a statement per row
# (a year of clinic history, 750,000 rows, went from about 140 s to under 30 s).
COPY_FROM_ROWS = 1000


def _copy_rows(conn: Connection, table: str, columns: Sequence[str], batch: list) -> None:
    """COPY FROM STDIN inside the connection's transaction; PostgreSQL parses each text value
    as it would the same literal in an INSERT, and fires the same triggers and constraints."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in batch:
            copy.write_row(row)


def insert_many(conn: Connection, table: str, columns: Sequence[str],
                rows: Iterable[Sequence]) -> int:
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    batch = list(rows)
    if batch and conn.dialect.name == "postgresql":
        flags = _boolean_positions(table, columns)
        if flags:
            batch = [tuple(bool(v) if i in flags and v is not None else v
                           for i, v in enumerate(row)) for row in batch]
    if batch and conn.dialect.name == "postgresql" and len(batch) >= COPY_FROM_ROWS:
        _copy_rows(conn, table, columns, batch)
    elif batch:
        driver_sql(conn, sql, batch)
    if batch:
        if conn.dialect.name == "postgresql" and "id" in columns:
            # Ids given here do not move the table's sequence (SQLite takes max(id) + 1 itself).
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")
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
    if conn.dialect.name != "sqlite":  # PostgreSQL keeps its indexes current as rows come
        yield
        return
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
    trigger, its trigram index) unless it is there already. SQLite only: PostgreSQL's lookup
    keeps its vocabulary by its own trigger (migration 0014_pg_search)."""
    if conn.dialect.name != "sqlite":
        return
    for kind, key, sound in (("f", "family_key", "family_phonetic"), ("g", "given_key", "given_phonetic")):
        conn.exec_driver_sql(
            f"INSERT INTO patient_search_vocab (kind, key, phonetic) "
            f"SELECT '{kind}', {key}, min({sound}) FROM patients "
            f"WHERE {key} NOT IN (SELECT key FROM patient_search_vocab WHERE kind = '{kind}') "
            f"GROUP BY {key}")
