"""The A/R aging's rows in batches for the streamed export (aging_export.py). On SQLite the read
is split by patient id into one part per core (at most 4), each on a connection of its own and
all on one snapshot, so SQLite's work and the formatting of the rows run on every core: at a
million patients one connection and one core were the export's floor (6.2 s, benchmarks/
bench_ledger.py). On Linux the parts are forked processes (store/snapshot_procs.py: threads
share one GIL, and the formatting is Python); elsewhere threads (store/snapshot_reads.py).
Every patient falls in exactly one part and the parts read the same snapshot, so the totals
still equal the ledger's sum. PostgreSQL (or SQLite when other desks kept committing while the
snapshots were taken): one read, a server-side cursor there."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from itertools import islice

from coordinator_tui.errors import StorageError
from coordinator_tui.services.accounts.aging_sql import aging_statement
from coordinator_tui.services.context import AppContext
from coordinator_tui.store.driver_rows import driver_rows, plain_params
from coordinator_tui.store.engine import BUSY_TIMEOUT_MS
from coordinator_tui.store.snapshot_procs import can_fork, in_processes
from coordinator_tui.store.snapshot_reads import in_parts, one_snapshot

PARTS = max(1, min(4, os.cpu_count() or 1))
BATCH = 1_000  # rows per batch: small enough that the parts take turns at the GIL often
ROWS_PER_FETCH = 5_000  # PostgreSQL: a server-side cursor, so the client never holds every row
_LOWEST, _BEYOND = -(2 ** 63), 2 ** 63 - 1


def split_ranges(conn: sqlite3.Connection, parts: int) -> list[tuple[int, int]]:
    """`parts` ranges lo <= patient id < hi with about as many summary rows (patients with a
    ledger) in each; together every id."""
    count = conn.execute("SELECT count(*) FROM ledger_summary").fetchone()[0]
    cuts = [conn.execute("SELECT patient_id FROM ledger_summary ORDER BY patient_id LIMIT 1 OFFSET ?",
                         (count * k // parts,)).fetchone()[0] for k in range(1, parts)] if count else []
    bounds = [_LOWEST, *cuts, _BEYOND]
    return list(zip(bounds, bounds[1:], strict=False))


def _jobs(conn: sqlite3.Connection, parts: int, as_of: date, width: int, min_balance_cents: int, make) -> list:
    jobs = []
    for i, id_range in enumerate(split_ranges(conn, parts)):
        # Every other part reads the arms backwards: while one groups the recent debits (long
        # SQLite work) the other already streams rows to be formatted.
        stmt, params = aging_statement(as_of, width, min_balance_cents=min_balance_cents, id_range=id_range,
                                       reverse=i % 2 == 1)
        jobs.append((stmt.text, plain_params(params), make()))
    return jobs


def aged_batches(ctx: AppContext, as_of: date, width: int, min_balance_cents: int,
                 make: Callable[[], Callable[[list], object]], parts: int = PARTS,
                 forked: bool = True) -> Iterator[object]:
    """fn(rows) for batches of aging rows (aging_sql.COLUMNS), every patient owing once, in no
    order; `make()` gives each part its own fn. `forked` (and Linux): the parts in processes of
    their own (store/snapshot_procs.py), fn with summary() and merge(summary) to bring its
    counts back; else in threads (store/snapshot_reads.py), fn called in the part's thread."""
    if forked and parts >= 2 and ctx.db.engine.dialect.name == "sqlite" and can_fork():
        held = ctx.db.engine.raw_connection()  # the watching connection (store/snapshot_procs.py)
        try:
            watch = held.driver_connection
            jobs = _jobs(watch, parts, as_of, width, min_balance_cents, make)
            try:
                batches = in_processes(ctx.db.path, BUSY_TIMEOUT_MS, watch, jobs, BATCH)
                if batches is not None:
                    with closing(batches):
                        for _part, made in batches:
                            yield made
                    return
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"the database could not be read: {exc}") from None
        finally:
            held.close()
        yield from _one_read(ctx, as_of, width, min_balance_cents, make())  # desks kept committing
        return
    with one_snapshot(ctx.db.engine, parts) as readers:
        if readers is None:
            yield from _one_read(ctx, as_of, width, min_balance_cents, make())
            return
        jobs = _jobs(readers[0], len(readers), as_of, width, min_balance_cents, make)
        try:
            with closing(in_parts(readers, jobs, BATCH)) as batches:
                for _part, made in batches:
                    yield made
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"the database could not be read: {exc}") from None


def _one_read(ctx: AppContext, as_of: date, width: int, min_balance_cents: int, fn) -> Iterator[object]:
    stmt, params = aging_statement(as_of, width, min_balance_cents=min_balance_cents)
    with ctx.db.read() as session:
        rows = driver_rows(session, stmt, params, batch=ROWS_PER_FETCH)
        while batch := list(islice(rows, BATCH)):
            yield fn(batch)
