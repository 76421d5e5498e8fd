"""Working the callback queue by keys alone at 80x24."""

from __future__ import annotations

import sqlite3

from textual.widgets import DataTable

from coordinator_tui.services import callbacks as cb
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.desk import CallbacksScreen
from coordinator_tui.tui.screens.callbacks.work import CallbackWorkScreen
from tests.conftest import NOW_HHMM
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def test_work_an_item_record_a_failed_call_with_a_note_and_close_it(ctx, desk_user):
    first = cb.list_queue(ctx, desk_user)[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbacksScreen)
        assert "Open " in screen_text(app) and first.patient_name[:17] in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbackWorkScreen)
        shown = screen_text(app)
        assert first.mrn in shown and "speaks" in shown
        await pilot.press("n", *"rang twice", "enter", "3")  # note, then "no answer"
        await settle(app, pilot)
        assert "Recorded: No answer" in screen_text(app)
        await pilot.press("d")  # closing needs a reason: refused, nothing closed
        await settle(app, pilot)
        assert "Type the reason first" in screen_text(app)
        await pilot.press(*"sent a letter", "enter", "d")  # the refusal put the cursor in the note box
        await settle(app, pilot)
        assert isinstance(app.screen, CallbacksScreen)
    conn = sqlite3.connect(ctx.db.path)
    status, reason = conn.execute("SELECT status, close_reason FROM callbacks WHERE id = ?", (first.id,)).fetchone()
    outcome, note = conn.execute("SELECT outcome, note FROM callback_attempts WHERE callback_id = ?",
                                 (first.id,)).fetchone()
    conn.close()
    assert (status, reason, outcome, note) == ("done", "sent a letter", "no_answer", "rang twice")


async def test_filters_by_key(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        table = app.screen.query_one("#callbacks-table", DataTable)
        everything = table.row_count
        await pilot.press("o")
        await settle(app, pilot)
        assert "Showing: overdue" in screen_text(app)
        assert table.row_count == len(cb.list_queue(ctx, desk_user, cb.QueueFilter(overdue=True))) < everything
        await pilot.press("a", "m")
        await settle(app, pilot)
        assert table.row_count == 0 and "Showing: mine" in screen_text(app)
        await pilot.press("a")
        await settle(app, pilot)
        assert table.row_count == everything


async def test_a_repeated_failed_call_key_is_refused_not_escalated(ctx, desk_user, clock):
    first = cb.list_queue(ctx, desk_user)[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbackWorkScreen)
        await pilot.press("3")
        await settle(app, pilot)
        assert "Recorded: No answer" in screen_text(app)
        await pilot.press("3", "3")  # the key pressed again, twice, in the same minute
        await settle(app, pilot)
        text = screen_text(app)
        assert f"already recorded 'no answer' at {NOW_HHMM}; wait before calling again" in text
        assert "Escalated" not in text and "Attempts (1)" in text
        clock.advance(minutes=cb.REPEAT_FAILED_CALL_WINDOW.total_seconds() / 60)  # a real second call
        await pilot.press("4")
        await settle(app, pilot)
        assert "Recorded: Wrong number" in screen_text(app) and "Attempts (2)" in screen_text(app)
    conn = sqlite3.connect(ctx.db.path)
    outcomes = [r[0] for r in conn.execute("SELECT outcome FROM callback_attempts WHERE callback_id = ? ORDER BY id",
                                           (first.id,))]
    escalated = conn.execute("SELECT escalated_at FROM callbacks WHERE id = ?", (first.id,)).fetchone()[0]
    conn.close()
    assert outcomes == ["no_answer", "wrong_number"] and escalated is None


async def test_no_answer_moves_the_item_down_and_says_when_it_is_due_again(ctx, desk_user):
    """Issue 13: after `3 No answer` the item stayed first and OVERDUE."""
    first, second = cb.list_queue(ctx, desk_user)[:2]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbackWorkScreen) and first.mrn in screen_text(app)
        await pilot.press("3")
        await settle(app, pilot)
        assert "Recorded: No answer. Due again 12:45; Esc for the next item." in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbacksScreen)
        table = app.screen.query_one("#callbacks-table", DataTable)
        assert app.screen.items[0].id == second.id and app.screen.items[-1].id == first.id
        last = table.get_row_at(table.row_count - 1)
        assert str(last[2]) == "↻ 23 Nov 12:45"
        await pilot.press("enter")  # Enter now works the next item
        await settle(app, pilot)
        assert isinstance(app.screen, CallbackWorkScreen) and app.screen.callback_id == second.id
