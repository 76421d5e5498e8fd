"""A big SQLite read split over several connections that see one snapshot, so its parts run on
every core at once (the sqlite3 module lets go of the GIL while SQLite works) and still add up
like one read: the A/R aging at a million patients (services/accounts/aging_parts.py).

Each connection's read transaction is its own snapshot. They are the same snapshot when no other
connection committed while they were taken, and `PRAGMA data_version` on a watching connection
says so: its value changes whenever someone else commits. A commit in between: taken again; the
database still moving after a few tries: None, and the caller reads in one connection. SQLite
only (PostgreSQL: None)."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

TRIES = 3
_DONE = object()  # a part's last item


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


@contextmanager
def one_snapshot(engine: Engine, parts: int, *, taken: Callable[[int], None] | None = None
                 ) -> Iterator[list[sqlite3.Connection] | None]:
    """`parts` sqlite3 connections, each in a read transaction, all on the same snapshot; or None
    (not SQLite, or other desks committed through every try). `taken(i)` runs after the i-th
    snapshot is taken (a test's seam to commit in between)."""
    if engine.dialect.name != "sqlite" or parts < 2:
        yield None
        return
    held = [engine.raw_connection() for _ in range(parts + 1)]  # the pool's: same pragmas as every desk
    watch, readers = held[0].driver_connection, [h.driver_connection for h in held[1:]]
    try:
        ready = None
        for _ in range(TRIES):
            before = _data_version(watch)
            for i, conn in enumerate(readers):
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()  # the snapshot is taken here
                if taken is not None:
                    taken(i)
            if _data_version(watch) == before:
                ready = readers
                break
            for conn in readers:
                conn.execute("ROLLBACK")
        yield ready
    finally:
        for conn in readers:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        for h in held:
            h.close()


def in_parts(readers: list[sqlite3.Connection], jobs: list[tuple[str, dict, Callable[[list], object]]],
             batch: int) -> Iterator[tuple[int, object]]:
    """Job i (sql, parameters, fn) read with readers[i] in a thread of its own, `batch` rows at a
    time; yields (i, fn(rows)) in the calling thread as the parts finish batches (interleaved).
    A failure in a part is raised here; leaving early (an error, Ctrl+C) interrupts the parts'
    SQL and waits for their threads."""
    out: queue.Queue = queue.Queue(maxsize=4 * len(jobs))  # a few batches ahead of the writer, no more
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(i: int) -> None:
        sql, params, fn = jobs[i]
        try:
            cursor = readers[i].cursor()
            cursor.arraysize = batch
            cursor.execute(sql, params)
            while not stop.is_set() and (rows := cursor.fetchmany()):
                put((i, fn(rows)))
            cursor.close()
            put((i, _DONE))
        except BaseException as exc:  # noqa: BLE001 - raised in the calling thread
            put((i, exc))

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"part-{i}") for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    finished = False
    try:
        running = len(jobs)
        while running:
            i, item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield i, item
        finished = True
    finally:
        stop.set()
        if not finished:
            for conn in readers:
                conn.interrupt()
        for thread in threads:
            thread.join()
