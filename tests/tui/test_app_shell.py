"""The app at 80x24, driven by keys alone, on a seeded temporary database with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input

from coordinator_tui.services.desk_views import day_appointments, open_callbacks
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.desk import CallbacksScreen
from coordinator_tui.tui.screens.checkin.board import CheckinScreen, first_to_come
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.patients.desk import PatientsScreen
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from tests.conftest import CLINIC_DAY, LOCAL_NOW
from tests.helpers.screen import drawn_outside, screen_text, settle

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
        assert first.patient_name[:21] in screen_text(app)

        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)
        assert str(expected[0].patient_name[:6]) in screen_text(app) or app.screen.schedule is not None

        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientsScreen)
        table = app.screen.query_one("#patients-table", DataTable)
        # The browse list: a screenful of patients (no scroll bar; the next page comes at its end).
        assert table.row_count == table.size.height - table.header_height > 0

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


TEXTUAL_INTERNALS = ("Focus Next", "Focus Previous", "Copy", "copy", "Maximize", "Minimize", "Screenshot",
                     "Theme", "Toggle")


async def test_f1_lists_each_desks_real_actions_and_no_textual_internals(ctx, desk_user):
    """Issue 13: F1 showed 'tab Focus Next' and '^c Copy selected text' and left out Enter, u and
    the digits, the keys the desks are worked with."""
    app = CoordinatorApp(ctx, desk_user)
    wanted = {
        "f2": ("Enter", "u", "F6", "F7", "Esc"),          # check-in
        "f3": ("[", "]", "b", "f", "m", "c", "n", "s"),  # schedule
        "f4": ("Enter", "1-9", "^n", "Esc"),             # patients
        "f5": ("Enter", "m", "u", "o", "a"),             # callbacks
    }
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for desk_key, keys in wanted.items():
            await pilot.press(desk_key)
            await settle(app, pilot)
            await pilot.press("f1")
            await settle(app, pilot)
            assert isinstance(app.screen, HelpScreen)
            listed = dict(app.screen.lines)
            for key in (*keys, "F1", "F12 / ^l", "^q", "F8", "^p"):
                assert key in listed, (desk_key, key, listed)
            text = screen_text(app)
            assert "F2 / Alt+1" in text and f"{keys[0]:>17}  {listed[keys[0]]}" in text
            for internal in TEXTUAL_INTERNALS:
                assert not any(internal in words for words in listed.values()), (desk_key, internal)
            assert "tab" not in listed and "shift+tab" not in listed and "^c / super+c" not in listed
            await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, HelpScreen)


async def test_f1_on_the_callback_screen_names_the_five_outcomes(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        listed = dict(app.screen.lines)
        assert "reached" in listed["1-5"] and "busy" in listed["1-5"]
        assert "1-5" in screen_text(app)


async def test_esc_then_a_digit_at_human_pace_switches_desks(ctx, desk_user):
    """Issue 13: 'Esc then 1-4' (the fallback where F-keys and Alt don't arrive) worked only
    within ~50 ms, when the terminal merged the two keys into Alt+digit. An Esc with nothing to
    back out of (an empty Find box, a desk without one) now lets 1-4 switch desks for 1.5 s."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        search = app.screen.query_one("#checkin-search", Input)
        assert app.focused is search and search.value == ""
        for digit, screen in (("2", ScheduleScreen), ("3", PatientsScreen), ("4", CallbacksScreen),
                              ("1", CheckinScreen)):
            await pilot.press("escape")
            await pilot.pause(0.4)  # a person's pace, not a terminal's escape sequence
            await pilot.press(digit)
            await settle(app, pilot)
            assert isinstance(app.screen, screen), digit
        assert "Find:" in screen_text(app) and app.screen.query_one("#checkin-search", Input).value == ""


async def test_esc_that_backs_out_of_something_leaves_digits_as_digits(ctx, desk_user, monkeypatch):
    import coordinator_tui.tui.app as app_module

    monkeypatch.setattr(app_module, "ESC_DIGIT_SECONDS", 0.3)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        search = app.screen.query_one("#checkin-search", Input)
        # Esc clears what was typed: the digit after it is a search (a birth date, a phone).
        await pilot.press(*"ab")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("2")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and search.value == "2"
        assert "Find: 2" in screen_text(app)
        # Esc on the empty box, then too long a wait: the digit is typed.
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause(0.5)
        await pilot.press("3")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and search.value == "3"
        # Esc closing a dialog (F1's list) backs out of it, nothing more.
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("2")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and search.value == "2"
        # Esc then 1 on the check-in desk itself: already there, the 1 is typed.
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and search.value == "1"


async def test_f1_draws_nothing_outside_its_border_and_scrolls_to_the_end(ctx, desk_user):
    from textual.containers import VerticalScroll

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3", "f1")  # Schedule: the longest list
        await settle(app, pilot)
        assert drawn_outside(app, app.screen.query_one(VerticalScroll).region) == []
        assert "Command palette" not in screen_text(app)
        await pilot.press("end")
        await settle(app, pilot)
        assert "Command palette" in screen_text(app)  # the last lines, by keys


async def test_an_answer_for_a_screen_being_taken_down_is_dropped_not_drawn(ctx, desk_user):
    """A popped screen stays attached while Textual removes its children; an answer arriving
    then must be dropped, not drawn (CI once saw the availability screen's answer find no
    title widget). The seam asks `_still_shown`, which sees the removal under way."""
    from textual.containers import Vertical
    from textual.widgets import Static

    from coordinator_tui.tui.service_call import _still_shown

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        title = Static("waiting")
        holder = Vertical(title)
        await app.screen.mount(holder)
        assert _still_shown(holder) and _still_shown(title)
        removal = holder.remove()  # under way, not finished
        assert holder.is_attached and title.is_attached  # Textual alone would still draw here
        assert not _still_shown(holder) and not _still_shown(title)
        await removal
        assert not _still_shown(holder)
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
