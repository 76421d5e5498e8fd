"""Live refresh on PostgreSQL (issue 20 item 5), on a real server (COORDINATOR_TEST_PG): another
process's commit reaches a desk's listener within a second; reads and rolled-back writes send
nothing; a listener whose backend is killed reconnects and asks for a full refresh."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from coordinator_tui.store.engine import Database
from coordinator_tui.store.pg_listen import PgChangeWatcher, conninfo
from tests.helpers.pg_clinic import create_database, database_url, drop_database, pg_server_url

REPO = Path(__file__).resolve().parents[2]

# Another desk: opens the database as the app does and commits one write transaction, then
# prints the wall-clock instant its commit returned.
WRITER = """
import sys, time
from sqlalchemy import text
from coordinator_tui.store.engine import Database
db = Database(sys.argv[1])
with db.read() as session:  # warm up: connect and import before the timed write
    session.execute(text("SELECT 1"))
with db.write() as session:
    session.execute(text("INSERT INTO probe (note) VALUES ('from another desk')"))
print(time.time(), flush=True)
db.dispose()
"""


@pytest.fixture
def pg_url():
    server = pg_server_url()
    name = create_database(server)
    url = database_url(server, name)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (id serial PRIMARY KEY, note text)"))
    db.dispose()
    yield url
    drop_database(server, name)


@pytest.fixture
def watcher(pg_url):
    listening = PgChangeWatcher(pg_url)
    assert listening.connected.wait(10)
    yield listening
    listening.close()


def test_another_process_commit_reaches_the_listener_within_a_second(pg_url, watcher):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, pg_url], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watcher.wait(60), writer.communicate()[1][-2000:]
    heard = time.time()
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-2000:]
    committed = float(out.split()[0])
    assert heard - committed < 1.0, heard - committed
    assert watcher.changed() is False  # reported once


def test_reads_and_rolled_back_writes_send_nothing(pg_url, watcher):
    db = Database(pg_url)
    try:
        with db.read() as session:
            session.execute(text("SELECT count(*) FROM probe"))
        with pytest.raises(RuntimeError), db.write() as session:
            session.execute(text("INSERT INTO probe (note) VALUES ('never saved')"))
            raise RuntimeError("the desk's check refused it")
        assert watcher.wait(1.5) is False
        with db.write() as session:
            session.execute(text("INSERT INTO probe (note) VALUES ('saved')"))
        assert watcher.wait(5) is True
    finally:
        db.dispose()


def test_a_killed_listener_reconnects_and_asks_for_a_full_refresh(pg_url, watcher):
    import psycopg

    first = watcher.backend_pid
    with psycopg.connect(conninfo(pg_url), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone()[0]
    assert watcher.wait(10), "no refresh after the listener's connection was killed"
    assert watcher.connected.wait(10) and watcher.reconnects == 1 and watcher.backend_pid != first
    db = Database(pg_url)  # and it listens again: the next commit is heard
    try:
        with db.write() as session:
            session.execute(text("INSERT INTO probe (note) VALUES ('after the reconnect')"))
        assert watcher.wait(5) is True
    finally:
        db.dispose()


def test_a_desk_on_postgresql_listens(pg_url):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.live import open_watcher

    ctx = AppContext(db=Database(pg_url), settings=Settings(db_url=pg_url))
    opened = open_watcher(ctx)
    try:
        assert isinstance(opened, PgChangeWatcher) and opened.pushed
        assert opened.connected.wait(10)
        with ctx.db.write() as session:
            session.execute(text("INSERT INTO probe (note) VALUES ('a check-in')"))
        assert opened.wait(5) and opened.queries == 0
    finally:
        opened.close()
        ctx.db.dispose()
