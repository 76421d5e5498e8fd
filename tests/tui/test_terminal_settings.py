"""What the app asks of the terminal: no animations (whatever TEXTUAL_ANIMATIONS says), a steady
cursor in search boxes, Esc+digit (Alt+digit) reaching the desks from a search box, and no desk
before signing in. (tests/terminal/ checks the same in real terminals.)"""

from __future__ import annotations

from textual.widgets import Input

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from coordinator_tui.tui.screens.signin import SignInScreen


async def test_no_animation_and_no_blinking_cursor(ctx, desk_user, monkeypatch):
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "full")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.animation_level == "none"
        box = app.focused
        assert isinstance(box, Input) and box.cursor_blink is False


async def test_esc_digit_from_the_search_box_switches_desk(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press("trade_mark_sign")  # what Textual makes of Esc 2
        await pilot.pause()
        assert isinstance(app.screen, ScheduleScreen)
        await pilot.press("inverted_exclamation_mark")  # Esc 1
        await pilot.pause()
        assert isinstance(app.screen, CheckinScreen)
        assert app.screen.query_one("#checkin-search", Input).value == ""


async def test_no_desk_before_signing_in(ctx):
    app = CoordinatorApp(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in ("f3", "alt+2", "trade_mark_sign"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, SignInScreen)
        assert app.return_code is None
