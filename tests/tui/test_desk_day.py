"""Issue 13 at the desks: the Check-in list opens at the patients still to come (not at 08:00's
finished visits), its counts agree with the Schedule desk's, and only a demo clinic's sign-in
screen names the demo logins. At the suite's clock, whatever instant that is."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

from textual.widgets import DataTable, Static

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.clinic import DEMO_MARK
from coordinator_tui.services.desk_views import AppointmentRow, day_appointments
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import LATE_AFTER, CheckinScreen, first_to_come
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from coordinator_tui.tui.screens.signin import DEMO_LOGINS
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


def _row(n: int, start: datetime, status: S) -> AppointmentRow:
    return AppointmentRow(n, start, start + timedelta(minutes=20), n, f"P{n}, X", f"M{n}", 40, "DR",
                          "FU", status, None, None, 1)


def test_first_to_come_skips_the_finished_morning():
    eight = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 in New York
    rows = [_row(1, eight, S.CHECKED_OUT), _row(2, eight + timedelta(minutes=20), S.NO_SHOW),
            _row(3, eight + timedelta(hours=1), S.SCHEDULED),  # late: an hour past
            _row(4, eight + timedelta(hours=2), S.CHECKED_OUT),
            _row(5, eight + timedelta(hours=2, minutes=40), S.ARRIVED),
            _row(6, eight + timedelta(hours=3), S.CONFIRMED)]
    at_11 = eight + timedelta(hours=3)
    ten_forty = eight + timedelta(hours=2, minutes=40)
    assert first_to_come(rows, ten_forty + LATE_AFTER) == 4  # waiting since 10:40: within the grace
    assert first_to_come(rows, ten_forty + LATE_AFTER + timedelta(minutes=1)) == 5
    assert first_to_come(rows, eight - timedelta(hours=1)) == 2  # the first still to come
    assert first_to_come(rows, eight + timedelta(hours=12)) == 5  # the day is over: the end
    assert first_to_come([], at_11) is None


async def test_check_in_opens_at_the_patients_still_to_come(ctx, desk_user):
    rows = day_appointments(ctx, desk_user, CLINIC_DAY)
    expected = first_to_come(rows, ctx.now())
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#arrivals", DataTable)
        assert isinstance(app.screen, CheckinScreen)
        assert table.cursor_row == expected
        highlighted = rows[expected]
        assert highlighted.patient_name[:21] in screen_text(app)
        to_come = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED, S.ARRIVED)
                   and r.starts_at >= ctx.now() - LATE_AFTER]
        assert highlighted == (to_come[0] if to_come else rows[-1])  # the day over: its end
        # A reload (another desk's change, the minute tick) keeps the desk on its row.
        await pilot.press("tab")
        await settle(app, pilot)
        table.move_cursor(row=max(0, expected - 1))
        app.screen.action_reload()
        await settle(app, pilot)
        assert table.cursor_row == max(0, expected - 1)


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return int(match.group(1))


async def test_check_in_and_schedule_count_the_same_booked_visits(ctx, desk_user):
    rows = day_appointments(ctx, desk_user, CLINIC_DAY)
    no_shows = sum(r.status is S.NO_SHOW for r in rows)
    cancelled = sum(r.status is S.CANCELLED for r in rows)
    assert no_shows and cancelled  # the seeded day has both: the numbers would differ otherwise
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        counts = str(app.screen.query_one("#checkin-counts", Static).render())
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)
        summary = str(app.screen.query_one("#schedule-day", Static).render())
    booked = _number(r"Booked (\d+)", counts)
    assert booked == _number(r"(\d+) booked", summary) == len(rows) - no_shows - cancelled
    assert _number(r"No-show (\d+)", counts) == _number(r"(\d+) no-show", summary) == no_shows
    assert _number(r"Expected (\d+)", counts) == sum(r.status in (S.SCHEDULED, S.CONFIRMED) for r in rows)
    assert len(summary) <= 80 and len(counts) <= 80


async def _sign_in_text(ctx) -> str:
    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        return screen_text(app)


async def test_only_a_demo_clinic_names_the_demo_logins(ctx, seeded_path):
    plain = await _sign_in_text(ctx)  # seeded, but not by `coordinator demo`
    assert "Sign in" in plain and "Demo clinic" not in plain and "demo / demo" not in plain
    conn = sqlite3.connect(seeded_path)
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, 'coordinator demo')", (DEMO_MARK,))
    conn.close()
    demo = " ".join((await _sign_in_text(ctx)).split())
    assert " ".join(DEMO_LOGINS.split()) in demo or ("Demo clinic: sign in as demo / demo" in demo
                                                    and "admin / demo" in demo), demo


async def test_the_minutes_reload_redraws_rows_in_place_without_moving_the_list(ctx, desk_user, clock):
    """The list reloads every minute (waits grow): it must not jump back to 08:00 or scroll
    under the desk's eyes, and only the rows that changed are redrawn."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        board = app.screen
        assert isinstance(board, CheckinScreen)
        table = board.query_one("#arrivals", DataTable)
        await pilot.press("down", "down", "down")  # into the list, the cursor on a later row
        await settle(app, pilot)
        cursor, scroll = table.cursor_row, table.scroll_y
        before = screen_text(app)
        clock.advance(minutes=1)
        board.action_reload()
        await settle(app, pilot)
        assert (table.cursor_row, table.scroll_y) == (cursor, scroll)
        after = screen_text(app)
    waits = [line for line in before.splitlines() if re.search(r"\d+m\s*$", line)]
    if waits:  # someone waiting on screen: their minutes moved on, in place
        assert after != before
