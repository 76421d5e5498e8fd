"""A desk's pooled PostgreSQL connections (store/pg.py), on a real server (COORDINATOR_TEST_PG).

The pool no longer pings the server before every unit of work (a round trip each, one of a
lookup's three); a connection the server ended while it sat in the pool is found by its socket
and replaced, so the next unit of work still succeeds."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from coordinator_tui.store.engine import Database
from coordinator_tui.store.pg_listen import conninfo
from tests.helpers.pg_clinic import create_database, database_url, drop_database, pg_server_url


@pytest.fixture
def pg_url():
    server = pg_server_url()
    name = create_database(server)
    yield database_url(server, name)
    drop_database(server, name)


def _backend(db: Database) -> int:
    with db.read() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar()


def _ended(pid: int, url: str) -> None:
    with psycopg.connect(conninfo(url), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        for _ in range(100):  # until the backend has gone (and closed its socket)
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.05)


def test_a_connection_the_server_ended_in_the_pool_is_replaced(pg_url):
    db = Database(pg_url)
    try:
        first = _backend(db)
        _ended(first, pg_url)
        second = _backend(db)  # no error for the desk: a new connection
        assert second != first
        with db.write() as session:  # writes too
            assert session.execute(text("SELECT 1")).scalar() == 1
        assert _backend(db) == second  # and a live one is kept, not replaced each time
    finally:
        db.dispose()



SETTINGS = (("plan_cache_mode", "force_generic_plan"),)


def _fixed_backend(db: Database) -> int:
    with db.read_driver(SETTINGS) as raw:
        return raw.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_a_read_pool_with_fixed_settings_is_its_own_and_replaces_an_ended_connection(pg_url):
    """`read_driver(settings)` (the lookup's reads): a pool of its own, its connections opened
    with the settings and in autocommit; one the server ended is replaced as in the desk's pool,
    and the desk's own connections keep the server's settings. Disposed with the database."""
    db = Database(pg_url)
    try:
        first = _fixed_backend(db)
        assert first != _backend(db)
        with db.read_driver(SETTINGS) as raw:
            assert raw.autocommit and raw.execute("SHOW plan_cache_mode").fetchone()[0] == "force_generic_plan"
        with db.read() as session:
            assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        _ended(first, pg_url)
        second = _fixed_backend(db)  # no error for the desk: a new connection
        assert second != first and _fixed_backend(db) == second
        assert db.fixed_engine(SETTINGS) is db.fixed_engine(SETTINGS)
    finally:
        db.dispose()
    assert db.fixed_engine(SETTINGS).pool.checkedin() == 0  # disposed with the database
