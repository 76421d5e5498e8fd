"""A desk on PostgreSQL whose server goes away (issue 20 item 7, the desk side): one line says
it is reconnecting, no traceback, and once the server answers again a second line says so and
the desk reloads. Its own private server (tests/helpers/pg_standby.py), stopped in immediate
mode as a crash would, then started again."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.desk import LOST_LINE, DeskScreen
from tests.conftest import CLINIC_DAY, CLINIC_TZ
from tests.helpers import pg_standby
from tests.helpers.screen import settle


@pytest.fixture
def server(monkeypatch):
    try:
        pg_standby.binary("initdb")
    except RuntimeError as missing:
        if os.environ.get("CI", "").lower() == "true":  # CI installs PostgreSQL: never skip there
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    folder = Path(tempfile.mkdtemp(prefix="coord-lost-"))
    folder.chmod(0o711)
    running: list[pg_standby.Server] = []
    monkeypatch.setenv("COORDINATOR_AUDIT_KEY", str(folder / "clinic.audit-key"))
    monkeypatch.setenv("COORDINATOR_AUDIT_ANCHOR", str(folder / "clinic.audit-anchor"))
    try:
        yield pg_standby.start_primary(folder / "primary", pg_standby.free_ports(1)[0], running)
    finally:
        for started in running:
            started.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _clinic(server, clock):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.database import ensure_current, open_database
    from coordinator_tui.services.demo.clinic import seed_clinic

    server.sql(f"CREATE DATABASE clinic OWNER {pg_standby.ROLE}")
    url = pg_standby.url("clinic", server)
    ensure_current(url)
    ctx = AppContext(db=open_database(url), settings=Settings(db_url=url, clinic_tz=CLINIC_TZ),
                     clock=clock)
    seed_clinic(ctx, patients=20, seed=7, day=CLINIC_DAY)
    return ctx


async def _until(app, pilot, what, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, [n.message for n in app._notifications]
        await pilot.pause(0.2)


def _told(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_the_desk_says_it_is_reconnecting_and_when_it_is_back(server, clock):
    ctx = _clinic(server, clock)
    app = CoordinatorApp(ctx, actor_for(ctx, "demo"))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            desk = app.screen
            assert isinstance(desk, DeskScreen)
            await _until(app, pilot, lambda: getattr(desk, "_link_up", None) is True)
            server.stop_hard()
            await _until(app, pilot, lambda: LOST_LINE in _told(app))
            assert _told(app).count(LOST_LINE) == 1  # one line, not one a poll
            server.start()
            await _until(app, pilot, lambda: "Reconnected to the database server." in _told(app))
            assert LOST_LINE not in _told(app)  # cleared once the server answers
            assert app.screen is desk and app.is_running
    finally:
        ctx.db.dispose()
