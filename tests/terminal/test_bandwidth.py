"""Bytes on the wire at 80x24 (issue 13, item 6): the installed command in tmux, every byte it
writes captured raw by `tmux pipe-pane`, on a clinic seeded for a fixed day with the app's clock
set there (COORDINATOR_CLOCK), so what is drawn does not depend on the hour the test runs.

One desk session, three figures, each against its target: a search typed letter by letter
(mean per key <= 1.5 KB), one express check-in (Enter on the search, Enter on the checklist, the
board back with the cursor in the search box: <= 12 KB) and the minute the clock turns while
nobody types (<= 1 KB: the header's clock and the wait times are the only writers).
benchmarks/bench_bandwidth.py prints the same figures.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers.realterm import (
    COORDINATOR,
    Tmux,
    app_command,
    appointment_status,
    needs_real_terminal,
    sign_in,
    unique_waiting,
    wait_for,
)

pytestmark = needs_real_terminal

# 25 s before the minute turns: sign-in, the search and the check-in are done by then (the clock
# test below waits for the next minute if they were not).
CLOCK = "2026-11-23T10:45:35-05:00"
DAY = "2026-11-23"
SEARCH_KEY_MEAN = 1500
CHECKIN = 12000
IDLE_MINUTE = 1000


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A seeded clinic for DAY with one uniquely named patient made express-ready."""
    from coordinator_tui.clock import StartedAtClock, parse_instant
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.staff import actor_for
    from coordinator_tui.store.engine import Database, url_for_path
    from tests.helpers.checkin import make_ready

    db = tmp_path_factory.mktemp("bandwidth") / "clinic.sqlite"
    seeded = subprocess.run([str(COORDINATOR), "seed", "--patients", "300", "--db", str(db), "--date", DAY],
                            capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    ctx = AppContext(db=Database(url_for_path(db)),
                     settings=Settings(db_url=url_for_path(db), clinic_tz="America/New_York"),
                     clock=StartedAtClock(parse_instant(CLOCK)))
    try:
        actor = actor_for(ctx, "demo")
        row = unique_waiting(ctx, actor, ctx.today())
        assert row is not None, "no uniquely named waiting patient in the seeded clinic"
        make_ready(ctx, actor, row.id)
    finally:
        ctx.db.dispose()
    return db, row


def answered(pane: Tmux, before: int, quiet: float = 0.7) -> int:
    """Bytes written for one key: wait for the app to start answering, then to fall quiet."""
    wait_for(lambda: pane.raw_size() > before, timeout=5, step=0.02)
    return pane.wait_quiet(quiet) - before


def test_search_checkin_and_idle_minute_within_targets(clinic, tmp_path):
    db, row = clinic
    family = row.patient_name.split(",")[0].lower()
    home = tmp_path / "home"
    home.mkdir()
    command = app_command(db, home, "xterm-256color", COORDINATOR_CLOCK=CLOCK)
    with Tmux(command, tmp_path / "raw.bin") as pane:
        sign_in(pane)
        pane.wait_quiet(1.5)

        per_key = []
        for letter in family:
            before = pane.raw_size()
            pane.type(letter)
            per_key.append(answered(pane, before))
        mean = sum(per_key) / len(per_key)

        before = pane.raw_size()
        pane.keys("Enter")
        pane.wait_screen("Ready - Enter checks in")
        pane.wait_quiet(0.7)
        pane.keys("Enter")
        assert wait_for(lambda: appointment_status(db, row.id) == "arrived"), pane.screen()
        pane.wait_screen("Checked in:")
        checkin = pane.wait_quiet(1.5) - before

        # The minute turns while nobody types: everything written from now until it is drawn.
        start = pane.raw_size()
        minute = "10:47" if "10:46" in pane.lines()[0] else "10:46"
        assert wait_for(lambda: minute in pane.lines()[0], timeout=75), pane.screen()
        idle = pane.wait_quiet(1.5) - start

    figures = f"per key {per_key} (mean {mean:.0f} B), check-in {checkin} B, minute {idle} B"
    assert mean <= SEARCH_KEY_MEAN, figures
    assert checkin <= CHECKIN, figures
    assert idle <= IDLE_MINUTE, figures
