"""A big SQLite read split into parts that run in processes of their own, all on one snapshot:
the threads of store/snapshot_reads.py share one GIL, so the Python work on each row (turning it
into text) ran one part at a time; a forked process has its own. Used by the A/R aging export at
a million patients (services/accounts/aging_parts.py).

Each child opens its own connection and takes a read transaction; the parent checks with
`PRAGMA data_version` on a watching connection that nobody committed while they were taken
(its value changes when someone else commits), else tells them to take them again; after a few
tries, None: the caller reads another way. Children are forked (no imports, the parent's code and
the part's `fn` as they are), send their results through a pipe and end with os._exit (they never
touch the parent's connections). Linux (fork) and SQLite only."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path

TRIES = 3
GO, AGAIN, TAKEN, END = "go", "again", "taken", "end"


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _part(path: str, busy_ms: int, sql: str, params: dict, fn, batch: int, pipe: Connection) -> None:
    """In the child: take a snapshot until told to go, then send fn(rows) per batch and fn.summary()."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
        while True:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()  # the snapshot is taken here
            pipe.send(TAKEN)
            order = pipe.recv()
            if order == GO:
                break
            conn.execute("ROLLBACK")
            if order != AGAIN:
                return
        cursor = conn.cursor()
        cursor.arraysize = batch
        cursor.execute(sql, params)
        while rows := cursor.fetchmany():
            pipe.send(fn(rows))
        pipe.send((END, fn.summary()))
    except BaseException as exc:  # noqa: BLE001 - the parent raises it; no SQL parameters in sqlite3's text
        pipe.send((END, exc if isinstance(exc, sqlite3.Error) else RuntimeError(type(exc).__name__)))


def in_processes(path: Path, busy_ms: int, watch: sqlite3.Connection, jobs: list[tuple[str, dict, object]],
                 batch: int, *, taken: Callable[[int], None] | None = None) -> Iterator[tuple[int, object]] | None:
    """Job i (sql, parameters, fn) read in child i; yields (i, fn(rows)) in this process as batches
    arrive, and once each part ends calls the parent's fn.merge(the child's fn.summary()). None
    when the snapshots could not be taken on one state of the database (see above). `taken(try)`
    runs when every child has taken its snapshot, before the check (a test's seam to commit)."""
    forked = multiprocessing.get_context("fork")
    pipes, children = [], []
    before = _data_version(watch)  # before any child takes its snapshot
    try:
        for sql, params, fn in jobs:
            mine, theirs = forked.Pipe()
            child = forked.Process(target=_part, args=(str(path), busy_ms, sql, params, fn, batch, theirs),
                                   daemon=True)
            child.start()
            theirs.close()
            pipes.append(mine)
            children.append(child)
        for attempt in range(TRIES):
            if not all(_expect_taken(p) for p in pipes):
                raise RuntimeError("a part of the read stopped before it began")
            if taken is not None:
                taken(attempt)
            after = _data_version(watch)
            if after == before:
                break
            if attempt == TRIES - 1:
                return _stopped(pipes, children)
            before = after
            for p in pipes:
                p.send(AGAIN)
        for p in pipes:
            p.send(GO)
    except BaseException:
        _stopped(pipes, children)
        raise
    return _results(pipes, children, [fn for _sql, _params, fn in jobs])


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


def _expect_taken(pipe: Connection) -> bool:
    try:
        return pipe.recv() == TAKEN
    except EOFError:
        return False


def _stopped(pipes, children) -> None:
    for p in pipes:
        try:
            p.send("stop")
        except OSError:
            pass
    for child in children:
        child.join(timeout=1)
        if child.is_alive():
            child.kill()
            child.join()
    for p in pipes:
        p.close()
    return None


def _results(pipes: list[Connection], children, fns: list) -> Iterator[tuple[int, object]]:
    where = {id(p): i for i, p in enumerate(pipes)}
    open_pipes = list(pipes)
    finished = False
    try:
        while open_pipes:
            for p in wait(open_pipes):
                try:
                    item = p.recv()
                except EOFError:
                    raise RuntimeError("a part of the read ended without its results") from None
                i = where[id(p)]
                if isinstance(item, tuple) and len(item) == 2 and item[0] == END:
                    if isinstance(item[1], BaseException):
                        raise item[1]
                    fns[i].merge(item[1])
                    open_pipes.remove(p)
                else:
                    yield i, item
        finished = True
    finally:
        if finished:
            for child in children:
                child.join()
            for p in pipes:
                p.close()
        else:
            for child in children:
                if child.is_alive():
                    child.kill()
            _stopped(pipes, children)

