"""How much a database holds, read without changing it: what a destructive command (a schema
downgrade) must say before it drops anything."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlalchemy import inspect, text

from coordinator_tui.errors import StorageError
from coordinator_tui.store.engine import describe_storage_error, make_engine, sqlite_path

# Bookkeeping, not clinic data: the schema revision and the search index (rebuilt from patients).
_NOT_DATA = ("alembic_version", "sqlite_", "patient_search_")


@dataclass(frozen=True)
class Contents:
    patients: int
    rows: int  # every row of clinic data, patients included

    @property
    def empty(self) -> bool:
        return self.rows == 0


def _data_tables(names) -> list[str]:
    return sorted(n for n in names if not n.startswith(_NOT_DATA))


def contents(url: str) -> Contents:
    path = sqlite_path(url)
    if path is None:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return _count(_data_tables(inspect(conn).get_table_names()),
                              lambda sql: conn.execute(text(sql)).scalar())
        finally:
            engine.dispose()
    immutable = "&immutable=1" if not path.with_name(path.name + "-wal").exists() else ""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True, timeout=10)
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return _count(_data_tables(names), lambda sql: conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None


def _count(tables: list[str], scalar) -> Contents:
    counts = {t: int(scalar(f'SELECT count(*) FROM "{t}"')) for t in tables}
    return Contents(patients=counts.get("patients", 0), rows=sum(counts.values()))
