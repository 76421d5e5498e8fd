"""A standby takes over (issue 20 item 7; the set-up is docs/postgresql.md's).

A primary and its streaming-replication hot standby run on loopback in temp folders, the primary
committing synchronously to the standby. Two desk processes book visits through the services
(tests/helpers/standby_desk.py), on a URL naming both servers (only the one taking writes is
used), each writing down every booking it was told was saved. The primary is stopped hard
(immediate mode: no shutdown checkpoint, every client cut off) and the standby promoted. The
desks say in one line that they are reconnecting, not with a traceback, reconnect to the
promoted standby and book on; every booking a desk reported saved is on the promoted standby.

It starts its own two servers (on ports free at the time), so it needs the PostgreSQL binaries but no
COORDINATOR_TEST_PG; it runs in CI's PostgreSQL pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import CLINIC_DAY, make_context
from tests.helpers import engines, pg_standby

pytestmark = pytest.mark.postgresql_only("streaming replication and promotion are PostgreSQL's")

DESKS = 2
BEFORE, AFTER = 3, 3  # bookings each desk saves before the primary goes, and after the take-over
WAIT_SECONDS = 180  # a bound for a hang only: a loaded machine books a few a second


@pytest.fixture
def servers():
    # Not under pytest's tmp_path: that folder is root's own (0700) and the servers run as the
    # postgres user; the socket path must also stay short.
    folder = Path(tempfile.mkdtemp(prefix="coord-standby-"))
    folder.chmod(0o711)
    started: list[pg_standby.Server] = []
    try:
        primary_port, standby_port = pg_standby.free_ports(2)
        primary = pg_standby.start_primary(folder / "primary", primary_port, started)
        standby = pg_standby.start_standby(primary, folder / "standby", standby_port, started)
        yield primary, standby, folder
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _saved(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(line.split()[1]) for line in path.read_text().splitlines() if line.startswith("saved ")]


def _wait(condition, what: str, desks: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        for desk in desks:
            if desk.poll() is not None:
                pytest.fail(f"a desk ended before {what}: {desk.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {WAIT_SECONDS} s")
        time.sleep(0.2)


def _clinic_on(primary: pg_standby.Server, folder: Path, monkeypatch) -> None:
    from coordinator_tui.services.demo.clinic import seed_clinic
    from coordinator_tui.store.migrate import ensure_current

    primary.sql(f"CREATE DATABASE clinic OWNER {pg_standby.ROLE}")
    url = pg_standby.url("clinic", primary)
    monkeypatch.setenv("COORDINATOR_AUDIT_KEY", str(folder / "clinic.audit-key"))
    monkeypatch.setenv("COORDINATOR_AUDIT_ANCHOR", str(folder / "clinic.audit-anchor"))
    ensure_current(url)
    engines.register(folder / "clinic", url)
    try:
        ctx = make_context(folder / "clinic")
        seed_clinic(ctx, patients=40, seed=7, day=CLINIC_DAY)
        ctx.db.dispose()
    finally:
        engines.forget(folder / "clinic")


def test_the_standby_takes_over_and_no_saved_booking_is_lost(servers, monkeypatch):
    primary, standby, folder = servers
    _clinic_on(primary, folder, monkeypatch)
    assert pg_standby.replicating_synchronously(primary)
    url = pg_standby.url("clinic", primary, standby)
    stop = folder / "stop"
    saved = [folder / f"desk{n}.saved" for n in range(1, DESKS + 1)]
    desks = [subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.standby_desk", "--url", url, "--desk", str(n),
         "--day", CLINIC_DAY.isoformat(), "--saved", str(saved[n - 1]), "--stop", str(stop)],
        cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True,
        env={**os.environ}) for n in range(1, DESKS + 1)]
    try:
        _wait(lambda: all(len(_saved(s)) >= BEFORE for s in saved), "bookings on the primary",
              desks)
        primary.stop_hard()
        at_the_cut = [len(_saved(s)) for s in saved]
        time.sleep(1.0)  # the desks find the primary gone before the standby takes over
        standby.promote()
        _wait(lambda: all(len(_saved(s)) >= at_the_cut[i] + AFTER for i, s in enumerate(saved)),
              "bookings after the take-over", desks)
    finally:
        stop.touch()
        for desk in desks:
            try:
                desk.wait(timeout=60)
            except subprocess.TimeoutExpired:
                desk.kill()
    said = [desk.stderr.read() for desk in desks]
    for n, text in enumerate(said, start=1):
        assert desks[n - 1].returncode == 0, text
        assert "Traceback" not in text, text
        assert f"desk {n}: the database server cannot be reached: reconnecting" in text, text
        assert f"desk {n}: reconnected to the database server" in text, text
        # Reconnected means connected: once a take-over, not once a booking tried on the standby
        assert text.count("reconnecting") == text.count("reconnected") == 1, text
    assert standby.sql("SELECT pg_is_in_recovery()") .strip() == "f"  # promoted
    reported = sorted(i for s in saved for i in _saved(s))
    assert len(reported) == len(set(reported))
    on_standby = {int(i) for i in standby.sql(
        "SELECT id FROM appointments WHERE id IN (" + ",".join(map(str, reported)) + ")",
        "clinic").split()}
    assert set(reported) <= on_standby, sorted(set(reported) - on_standby)
