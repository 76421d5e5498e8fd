"""The queue of writers in front of SQLite's write lock (store/write_queue.py), with real
processes on a real file: writers are served in the order they asked, a writer killed in its
turn passes it on, and the queue's file beside the database holds no patient data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from coordinator_tui.store.engine import Database, url_for_path
from coordinator_tui.store.write_queue import ENV_OFF, current_ticket, queue_path

REPO = Path(__file__).resolve().parents[2]
WRITERS = 6
WRITES = 25

# One writer process: WRITES write transactions as fast as it can, each recording its place in
# line (the ticket) in a row; the row ids give the order the transactions committed in.
WRITER = """
import sys
from pathlib import Path
from sqlalchemy import text
from coordinator_tui.store.engine import Database, url_for_path
from coordinator_tui.store import write_queue
from coordinator_tui.store.write_queue import current_ticket
# Order is the point here, not the give-up time for a writer stopped in its turn (the next test):
# on a machine loaded far past its cores a turn can take longer than that time.
write_queue.WAIT_SECONDS = 600.0
path, writer, writes, go = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
db = Database(url_for_path(path))
while not go.exists():
    pass
for _ in range(writes):
    with db.write() as session:
        session.execute(text("INSERT INTO queue_probe (ticket, writer) VALUES (:t, :w)"),
                        {"t": current_ticket(path), "w": writer})
db.dispose()
"""

# A writer that takes its turn, says so, and never finishes (until it is killed).
STUCK = """
import sys, time
from pathlib import Path
from sqlalchemy import text
from coordinator_tui.store.engine import Database, url_for_path
path, ready = Path(sys.argv[1]), Path(sys.argv[2])
db = Database(url_for_path(path))
with db.write() as session:
    session.execute(text("INSERT INTO queue_probe (ticket, writer) VALUES (-1, -1)"))
    ready.touch()
    time.sleep(600)
"""


def _probe_table(path: Path) -> None:
    db = Database(url_for_path(path))
    with db.write() as session:
        session.execute(text("CREATE TABLE queue_probe (id INTEGER PRIMARY KEY, ticket INTEGER, "
                             "writer INTEGER)"))
    db.dispose()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != ENV_OFF}
    env["PYTHONPATH"] = str(REPO)
    return env


def test_writers_are_served_in_the_order_they_asked(db_path, tmp_path):
    _probe_table(db_path)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(n), str(WRITES), str(go)],
                              cwd=REPO, env=_env(), stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    time.sleep(0.5)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-500:]
    db = Database(url_for_path(db_path))
    with db.read() as session:
        rows = session.execute(text("SELECT ticket, writer FROM queue_probe ORDER BY id")).all()
    db.dispose()
    assert len(rows) == WRITERS * WRITES
    tickets = [ticket for ticket, _writer in rows]
    assert None not in tickets  # every write waited in line
    # Committed in the order they took their place: nobody overtook anybody, so no writer
    # waited for more than the writers already in line when it asked (at most WRITERS - 1).
    assert tickets == sorted(tickets) and len(set(tickets)) == len(tickets)
    assert len({writer for _ticket, writer in rows[:WRITERS * 3]}) > 1  # they really raced


def test_a_writer_killed_in_its_turn_passes_it_on(db_path, tmp_path):
    _probe_table(db_path)
    ready = tmp_path / "ready"
    stuck = subprocess.Popen([sys.executable, "-c", STUCK, str(db_path), str(ready)], cwd=REPO,
                             env=_env())
    try:
        end = time.monotonic() + 60
        while not ready.exists():
            assert stuck.poll() is None and time.monotonic() < end, "the stuck writer never started"
            time.sleep(0.01)
        db = Database(url_for_path(db_path))
        done = threading.Event()

        def write() -> None:
            with db.write() as session:
                session.execute(text("INSERT INTO queue_probe (ticket, writer) VALUES (0, 0)"))
            done.set()

        waiter = threading.Thread(target=write)
        waiter.start()
        assert not done.wait(0.5)  # in line behind the stuck writer
        os.kill(stuck.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert done.wait(5), "the next writer never got its turn after the holder died"
        assert time.monotonic() - killed < 5
        waiter.join()
        with db.read() as session:  # the killed writer's row was never committed
            assert session.execute(text("SELECT writer FROM queue_probe")).scalars().all() == [0]
        db.dispose()
    finally:
        if stuck.poll() is None:
            stuck.kill()
        stuck.wait()


# A writer that takes its place in line and then stops (a desk suspended with Ctrl+Z).
STOPPED = """
import sys, time
from pathlib import Path
from coordinator_tui.store.write_queue import write_turn
path, ready = Path(sys.argv[1]), Path(sys.argv[2])
with write_turn(path):
    ready.touch()
    time.sleep(600)
"""


def test_a_writer_stopped_in_its_turn_holds_the_others_up_only_for_a_while(db_path, tmp_path,
                                                                            monkeypatch):
    from coordinator_tui.store import write_queue

    monkeypatch.setattr(write_queue, "WAIT_SECONDS", 1.0)
    _probe_table(db_path)
    ready = tmp_path / "ready"
    stopped = subprocess.Popen([sys.executable, "-c", STOPPED, str(db_path), str(ready)], cwd=REPO,
                               env=_env())
    try:
        end = time.monotonic() + 60
        while not ready.exists():
            assert stopped.poll() is None and time.monotonic() < end, "the writer never started"
            time.sleep(0.01)
        db = Database(url_for_path(db_path))
        started = time.monotonic()
        with db.write() as session:
            session.execute(text("INSERT INTO queue_probe (ticket, writer) VALUES (0, 0)"))
        waited = time.monotonic() - started
        assert 0.9 <= waited < 8, waited
        with db.read() as session:
            assert session.execute(text("SELECT count(*) FROM queue_probe")).scalar() == 1
        db.dispose()
    finally:
        stopped.kill()
        stopped.wait()


def test_the_queue_file_has_the_database_mode_and_holds_one_number(db_path):
    db_path.chmod(0o640)
    db = Database(url_for_path(db_path))
    with db.write() as session:
        assert current_ticket(db_path) is not None
        session.execute(text("INSERT INTO settings (key, value) VALUES ('queue', 'probe')"))
    assert current_ticket(db_path) is None  # out of line once the transaction ended
    db.dispose()
    queue = queue_path(db_path)
    assert queue.stat().st_mode & 0o777 == 0o640
    assert queue.stat().st_size == 8  # the next ticket: no names, no rows


def test_a_write_inside_a_write_does_not_queue_behind_itself(db_path):
    """A thread already in its turn is not put in line again (it would wait for itself)."""
    db = Database(url_for_path(db_path))
    with db.write():
        outer = current_ticket(db_path)
        from coordinator_tui.store.write_queue import write_turn

        with write_turn(db_path):
            assert current_ticket(db_path) == outer
    db.dispose()


def test_with_the_queue_off_writers_do_not_queue(db_path, monkeypatch):
    monkeypatch.setenv(ENV_OFF, "off")
    db = Database(url_for_path(db_path))
    with db.write() as session:
        session.execute(text("INSERT INTO settings (key, value) VALUES ('queue', 'off')"))
        assert current_ticket(db_path) is None
    db.dispose()
