"""Moving a clinic to another database: `coordinator db copy --from URL --to URL` (issue 20).

SQLite to PostgreSQL (a clinic joining a network), or back. The target is brought to the
current schema first (the same Alembic history on both engines), then every model table is
copied in foreign-key order, in batches, values through the models' own column types (so
booleans, dates and time-zone-aware instants are each engine's own), in ONE write transaction:
interrupted, or refused halfway, the target holds no clinic data at all, and a second run may
start again. Before that transaction commits, every table's row count is compared with the
source's; a mismatch rolls it all back.

Traps handled here:
- a self-referencing foreign key (patients.merged_into_id): inserted empty, set once the whole
  table is there, since a row may point at one copied after it;
- the audit trail accepts rows only from its writer (a trigger; store/audit_guard.py): the copy
  writes as the writer, in id order, so each row still follows the one before it;
- PostgreSQL identity sequences are moved past the copied ids (SQLite does that itself);
- the search index (FTS5 on SQLite, the name vocabulary on PostgreSQL) is not copied: the
  target's own triggers build it from the patients as they arrive;
- the audit chain is keyed (services/audit.py): the key file goes along, and the anchor file,
  so `coordinator audit verify` passes on the target (store/audit_files.py names both).

The source is read in one snapshot (SQLite's read transaction; REPEATABLE READ on PostgreSQL)
and not written here; `coordinator db copy` first brings a SQLite source's waiting views into its
chain (services/view_audit.py). Close the desks first: what they write after the snapshot is not
carried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Integer, Table, bindparam, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from coordinator_tui.errors import StorageError
from coordinator_tui.store import audit_files, audit_guard
from coordinator_tui.store.engine import (
    WRITE_OPTION,
    describe_storage_error,
    is_postgresql,
    key_base,
    make_engine,
    owner_only,
    prepare_file,
    sqlite_path,
)

BATCH_ROWS = 5000
NOT_COPIED = ("alembic_version",)  # the target's own, from its migration



@dataclass(frozen=True)
class Step:
    """How far the copy is: the table being copied and the whole."""
    table: str
    table_done: int
    table_rows: int
    done: int
    rows: int


Progress = Callable[[Step], None]


@dataclass(frozen=True)
class CopyReport:
    tables: dict[str, int]  # rows copied, per table, in the order copied
    migrate_seconds: float  # bringing the target to the current schema
    copy_seconds: float  # the rows, checked and committed
    key_file: Path | None  # where the audit key went (None: source and target share one)
    anchor_file: Path | None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def where(url: str) -> str:
    """A database named for a message: the file, or the URL without its password."""
    return str(sqlite_path(url) or make_url(url).render_as_string(hide_password=True))


def tables_in_order() -> list[Table]:
    from coordinator_tui.store.models import Base

    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


def _self_references(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _integer_key(table: Table) -> str | None:
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and isinstance(keys[0].type, Integer):
        return keys[0].name
    return None


@contextmanager
def _storage(url: str) -> Iterator[None]:
    try:
        yield
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_storage_error(exc, url)) from None


def check_source(url: str) -> None:
    from coordinator_tui.store.migrate import read_revision
    from coordinator_tui.store.schema_version import SCHEMA_HEAD

    path = sqlite_path(url)
    if path is not None:
        prepare_file(path, create=False)
    revision = read_revision(url)
    if revision is None:
        raise StorageError(f"{where(url)} holds no clinic (no coordinator schema); nothing to copy")
    if revision != SCHEMA_HEAD:
        raise StorageError(f"{where(url)} is at schema {revision}, this version copies "
                           f"{SCHEMA_HEAD}: run 'coordinator db upgrade' on it first; nothing "
                           "was written")


def check_target_empty(url: str, source_url: str) -> None:
    """Refuse, before anything is written, a target that holds anything of a clinic's."""
    from coordinator_tui.store.contents import contents
    from coordinator_tui.store.migrate import check_not_newer, read_revision

    anchors = audit_files.anchor_path(key_base(url))
    if _foreign_anchors(audit_files.anchor_path(key_base(source_url)), anchors):
        raise StorageError(f"the target's audit anchor file {anchors} already holds anchors "
                           "of another clinic (one that was there before?): move it away "
                           "first; nothing was written")
    path = sqlite_path(url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return  # a new file
    revision = read_revision(url)  # refuses another program's tables
    if revision is None:
        return
    check_not_newer(url, revision)
    held = contents(url)
    if not held.empty:
        raise StorageError(f"{where(url)} is not empty: it holds {held.patients:,} patients "
                           f"({held.rows:,} records in all); db copy only fills an empty "
                           "database; nothing was written")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _foreign_anchors(source: Path, target: Path) -> bool:
    """The target's anchor file holds lines the source's does not (a copy killed halfway left
    only the source's own: a second run goes on)."""
    return source != target and not set(_lines(target)) <= set(_lines(source))


def copy_clinic(source_url: str, target_url: str, *, progress: Progress | None = None,
                batch: int = BATCH_ROWS) -> CopyReport:
    from coordinator_tui.store.file_guard import undone_on_failure
    from coordinator_tui.store.migrate import ensure_current

    if make_url(source_url) == make_url(target_url):
        raise StorageError("--from and --to name the same database; nothing was written")
    check_source(source_url)
    check_target_empty(target_url, source_url)
    target_file = sqlite_path(target_url)
    started = time.perf_counter()
    with undone_on_failure(target_file):  # a new SQLite file is removed again on failure
        if target_file is not None:
            prepare_file(target_file, create=True)
            owner_only(target_file)
        ensure_current(target_url)
        migrated = time.perf_counter()
        with _audit_files_along(source_url, target_url) as (key, anchor):
            tables = _copy_rows(source_url, target_url, progress, batch)
    return CopyReport(tables, migrated - started, time.perf_counter() - migrated, key, anchor)


def _copy_rows(source_url: str, target_url: str, progress: Progress | None,
               batch: int) -> dict[str, int]:
    source = make_engine(source_url)
    target = make_engine(target_url)
    try:
        with _storage(source_url), source.connect() as src:
            if is_postgresql(source_url):
                src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin(), _storage(target_url), \
                    target.connect().execution_options(**{WRITE_OPTION: True}) as dst, \
                    dst.begin(), audit_guard.writing(dst if is_postgresql(target_url) else None):
                totals = {t.name: src.execute(select(func.count()).select_from(t)).scalar_one()
                          for t in tables_in_order()}
                counter = _Counter(totals, progress)
                copied = {}
                for table in tables_in_order():
                    copied[table.name] = _copy_table(src, dst, table, counter, batch)
                _check_counts(dst, copied)
                if is_postgresql(target_url):
                    _move_sequences(dst, copied)
                return copied
    finally:
        source.dispose()
        target.dispose()


class _Counter:
    def __init__(self, totals: dict[str, int], progress: Progress | None):
        self.totals, self.progress = totals, progress
        self.rows, self.done = sum(totals.values()), 0

    def add(self, table: str, table_done: int, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(Step(table, table_done, self.totals[table], self.done, self.rows))


def _copy_table(src: Connection, dst: Connection, table: Table, counter: _Counter,
                batch: int) -> int:
    total = counter.totals[table.name]
    if not total:
        counter.add(table.name, 0, 0)
    later = _self_references(table)
    key = _integer_key(table)
    pending: list[dict] = []  # self-references to set once every row is there
    done = 0
    order = list(table.primary_key.columns)
    result = src.execution_options(yield_per=batch).execute(select(table).order_by(*order))
    for chunk in result.partitions(batch):
        rows = [dict(r._mapping) for r in chunk]
        for row in rows:
            if later and any(row[c] is not None for c in later):
                pending.append({"_key": row[key], **{c: row[c] for c in later}})
                row.update(dict.fromkeys(later))
        _insert(dst, table, rows)
        done += len(rows)
        counter.add(table.name, done, len(rows))
    if pending:
        statement = update(table).where(table.c[key] == bindparam("_key")).values(
            {c: bindparam(c) for c in later})
        for start in range(0, len(pending), batch):
            dst.execute(statement, pending[start:start + batch])
    if done != total:
        raise StorageError(f"{table.name}: {done:,} rows read of {total:,}; nothing was written")
    return done


def _insert(dst: Connection, table: Table, rows: list[dict]) -> None:
    """A batch of rows: PostgreSQL's COPY (one stream; row by row through a pipeline it was
    several times slower), values made ready by the models' own types first; SQLite's
    executemany."""
    if dst.dialect.name != "postgresql":
        dst.execute(table.insert(), rows)
        return
    quote = dst.dialect.identifier_preparer.quote
    columns = [(c.name, c.type.dialect_impl(dst.dialect).bind_processor(dst.dialect))
               for c in table.columns]
    statement = (f"COPY {quote(table.name)} ({', '.join(quote(n) for n, _ in columns)}) "
                 "FROM STDIN")
    with dst.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[n] if p is None else p(row[n]) for n, p in columns])


def _check_counts(dst: Connection, copied: dict[str, int]) -> None:
    for table in tables_in_order():
        there = dst.execute(select(func.count()).select_from(table)).scalar_one()
        if there != copied[table.name]:
            raise StorageError(f"{table.name}: {there:,} rows in the target after copying "
                               f"{copied[table.name]:,}; nothing was written")


def _move_sequences(dst: Connection, copied: dict[str, int]) -> None:
    """PostgreSQL: the next id of each table past the copied ones (explicit ids do not move an
    identity sequence)."""
    for table in tables_in_order():
        key = _integer_key(table)
        if key is None or not copied[table.name]:
            continue
        dst.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key}'), "
            f"(SELECT max({key}) FROM {table.name}))")


@contextmanager
def _audit_files_along(source_url: str, target_url: str) -> Iterator[tuple[Path | None, Path | None]]:
    """The audit key and anchor go with the rows: in place before the rows commit, removed
    again (when this made them) if the copy fails."""
    source_base, target_base = key_base(source_url), key_base(target_url)
    made: list[Path] = []
    key = anchor = None
    source_key = audit_files.key_path(source_base)
    if source_key != audit_files.key_path(target_base) and source_key.exists():
        key = audit_files.key_path(target_base)
        if not key.exists():
            made.append(key)
        audit_files.merge_keys(source_key, target_base)
    source_anchor = audit_files.anchor_path(source_base)
    if source_anchor != audit_files.anchor_path(target_base) and source_anchor.exists():
        anchor = audit_files.anchor_path(target_base)
        if not anchor.exists():
            made.append(anchor)
        there = set(_lines(anchor))
        missing = [line for line in _lines(source_anchor) if line not in there]
        audit_files.append_lines(anchor, target_base, "".join(f"{line}\n" for line in missing))
    try:
        yield key, anchor
    except BaseException:
        for path in made:
            path.unlink(missing_ok=True)
        raise
