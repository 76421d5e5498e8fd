"""The app at 80x24, driven by keys alone, on a seeded temporary database with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input

from coordinator_tui.services.desk_views import day_appointments, open_callbacks
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks import CallbacksScreen
from coordinator_tui.tui.screens.checkin import CheckinScreen, first_to_come
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.patients import PatientsScreen
from coordinator_tui.tui.screens.schedule import ScheduleScreen
from tests.conftest import CLINIC_DAY, LOCAL_NOW
from tests.tui.screen import screen_text, settle

SIZE = (80, 24)


async def test_walk_the_four_desks_by_keys(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert app.focused is app.screen.query_one("#checkin-search", Input)
        expected = day_appointments(ctx, desk_user, CLINIC_DAY)
        assert app.screen.query_one("#arrivals", DataTable).row_count == len(expected)
        first = expected[first_to_come(expected, ctx.now()) or 0]  # where the list opens
        assert first.patient_name[:22] in screen_text(app)

        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)
        assert str(expected[0].patient_name[:6]) in screen_text(app) or app.screen.schedule is not None

        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert app.screen.query_one("#patients-table", DataTable).row_count == 50

        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbacksScreen)
        assert app.screen.query_one("#callbacks-table", DataTable).row_count == len(open_callbacks(ctx, desk_user))

        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)


async def test_alt_digits_switch_desks_where_function_keys_do_not_arrive(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key, screen in (("alt+2", ScheduleScreen), ("alt+3", PatientsScreen),
                            ("alt+4", CallbacksScreen), ("alt+1", CheckinScreen)):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, screen), key


async def test_f1_lists_every_desk_key_and_esc_backs_out(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.lines)
        for key in ("F2 / Alt+1", "F3 / Alt+2", "F4 / Alt+3", "F5 / Alt+4", "[", "]", "t"):
            assert key in listed, key
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)


async def test_schedule_moves_by_day_and_back_to_today(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        tomorrow = CLINIC_DAY + timedelta(days=1)
        assert app.screen.day == tomorrow
        assert app.screen.schedule.day == tomorrow
        assert tomorrow.strftime("%a %d %b %Y") in screen_text(app)
        await pilot.press("t")
        await settle(app, pilot)
        assert app.screen.day == CLINIC_DAY


async def test_checkin_search_narrows_todays_list(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        target = day_appointments(ctx, desk_user, CLINIC_DAY)[5]
        family = target.patient_name.split(",")[0]
        await pilot.press(*family[:4])
        await settle(app, pilot)
        table = app.screen.query_one("#arrivals", DataTable)
        assert 1 <= table.row_count < len(day_appointments(ctx, desk_user, CLINIC_DAY))
        assert str(target.id) in {row.value for row in table.rows}
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#checkin-search", Input).value == ""


async def test_header_shows_clinic_day_time_and_user(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        shot = screen_text(app)
        assert f"{LOCAL_NOW:%a %d %b %Y %H:%M}" in shot
        assert "Dana Demo" in shot and "Riverside" in shot


async def test_an_unexpected_error_shows_no_traceback_or_patient_data(ctx, desk_user, monkeypatch, capsys):
    monkeypatch.delenv("COORDINATOR_DEBUG", raising=False)
    app = CoordinatorApp(ctx, desk_user)
    secret = day_appointments(ctx, desk_user, CLINIC_DAY)[0].patient_name

    def explode():
        patient = secret  # a local a traceback would print  # noqa: F841
        raise RuntimeError("boom")

    app.action_explode = explode
    with pytest.raises(RuntimeError):  # the test harness re-raises what the app caught
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.bind("f11", "explode")
            await pilot.press("f11")
            await pilot.pause()
    rendered = capsys.readouterr().err  # what the terminal shows after the app closes
    assert "RuntimeError" in rendered
    assert secret not in rendered and "Traceback" not in rendered
    from coordinator_tui.config import data_dir

    reports = list((data_dir() / "crash-reports").iterdir())
    assert len(reports) == 1 and (reports[0].stat().st_mode & 0o777) == 0o600
    text = reports[0].read_text()
    assert "RuntimeError" in text and "explode" in text
    assert secret not in text and "boom" not in text


async def test_a_live_refresh_tick_while_the_screen_stack_is_empty_is_skipped(ctx, desk_user):
    """Textual empties the screen stack for a moment while it swaps modes or shuts down; a desk's
    poll timer firing then must skip its tick, not crash the app (CI once caught exactly that)."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        desk = app.screen
        assert isinstance(desk, CheckinScreen)
        stack = list(app._screen_stack)
        app._screen_stack.clear()
        try:
            desk._poll_changes()
        finally:
            app._screen_stack.extend(stack)
        await settle(app, pilot)
        assert app.screen is desk
