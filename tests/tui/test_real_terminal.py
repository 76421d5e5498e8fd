"""A real terminal: the installed `coordinator` command in tmux at 80x24 with TERM=linux. An
express-ready demo patient is checked in by keys (letters, Enter, Enter), then the status is read
back from the database file with sqlite3."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coordinator_tui.clock import SystemClock
from coordinator_tui.config import Settings
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff import actor_for
from coordinator_tui.store.engine import Database, url_for_path
from tests.services.test_checkin import make_ready

COORDINATOR = Path(sys.executable).parent / "coordinator"


def unique_waiting(ctx, actor, day):
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.domain.vocab import AppointmentStatus as S

    everyone = day_appointments(ctx, actor, day)
    for row in everyone:
        family = row.patient_name.split(",")[0]
        if row.status not in (S.SCHEDULED, S.CONFIRMED) or not (family.isascii() and family.isalpha()):
            continue
        if sum(name_key(family) in name_key(o.patient_name) for o in everyone) == 1:
            return row
    return None


def wait_for(predicate, timeout=30.0, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: no real terminal to drive")
@pytest.mark.skipif(not COORDINATOR.exists(), reason="the coordinator command is not installed in this venv")
def test_check_in_by_keys_in_a_real_80x24_linux_terminal(tmp_path):
    db = tmp_path / "real.sqlite"
    settings = Settings(db_url=url_for_path(db), clinic_tz="America/New_York")
    today = SystemClock().now().astimezone(settings.tz).date()  # the app's "today": the real clock
    seeded = subprocess.run([str(COORDINATOR), "seed", "--patients", "300", "--db", str(db),
                             "--date", today.isoformat()], capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    ctx = AppContext(db=Database(url_for_path(db)), settings=settings)
    actor = actor_for(ctx, "demo")
    row = unique_waiting(ctx, actor, today)
    assert row is not None, "no uniquely named waiting patient in the seeded clinic"
    make_ready(ctx, actor, row.id)
    ctx.db.dispose()

    socket = f"coord-test-{os.getpid()}"
    tmux = ["tmux", "-L", socket]
    command = (f"env TERM=linux HOME={tmp_path} XDG_DATA_HOME={tmp_path}/data "
               f"XDG_CONFIG_HOME={tmp_path}/config {COORDINATOR} --db {db} run --user demo")
    subprocess.run([*tmux, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", "-s", "desk",
                    command], check=True, timeout=30)

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "desk"], capture_output=True,
                              text=True, timeout=10).stdout

    def status() -> str:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT status FROM appointments WHERE id = ?", (row.id,)).fetchone()[0]
        finally:
            conn.close()

    try:
        assert wait_for(lambda: "Password" in screen()), screen()  # sign in first, as a desk does
        time.sleep(1.0)
        subprocess.run([*tmux, "send-keys", "-t", "desk", "-l", "demo"], check=True, timeout=10)
        subprocess.run([*tmux, "send-keys", "-t", "desk", "Enter"], check=True, timeout=10)
        assert wait_for(lambda: "Check-in" in screen() and "Expected" in screen()), screen()
        family = row.patient_name.split(",")[0].lower()
        for letter in family:
            subprocess.run([*tmux, "send-keys", "-t", "desk", "-l", letter], check=True, timeout=10)
        subprocess.run([*tmux, "send-keys", "-t", "desk", "Enter"], check=True, timeout=10)
        assert wait_for(lambda: "Ready - Enter checks in" in screen()), screen()
        subprocess.run([*tmux, "send-keys", "-t", "desk", "Enter"], check=True, timeout=10)
        assert wait_for(lambda: status() == "arrived"), screen()
        assert wait_for(lambda: "Checked in" in screen() or "Find:" in screen())
    finally:
        subprocess.run([*tmux, "send-keys", "-t", "desk", "C-q"], timeout=10)
        time.sleep(0.5)
        subprocess.run([*tmux, "kill-server"], timeout=10, capture_output=True)
    assert status() == "arrived"
