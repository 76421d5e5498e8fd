"""The check-in list's numbers are keys: digits typed in the list go to the row with that number
and Enter opens that row's checklist (before, digits did nothing and "2 Enter" opened row 1)."""

from __future__ import annotations

from textual.widgets import DataTable

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from tests.helpers.checkin import settle

SIZE = (80, 24)


def row_key(table: DataTable, index: int) -> str:
    return table.coordinate_to_cell_key((index, 0)).row_key.value


async def open_board(app, pilot) -> DataTable:
    await settle(app, pilot)
    await pilot.press("down")  # from the Find box into the list
    await settle(app, pilot)
    table = app.screen.query_one("#arrivals", DataTable)
    assert app.focused is table and table.row_count >= 12
    return table


async def test_a_digit_then_enter_opens_that_row(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_board(app, pilot)
        await pilot.press("home")
        wanted = row_key(table, 1)
        await pilot.press("2", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
        assert str(app.screen.appointment_id) == wanted


async def test_two_digits_reach_the_twelfth_row_and_a_number_past_the_end_starts_again(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_board(app, pilot)
        await pilot.press("1", "2")
        await settle(app, pilot)
        assert table.cursor_row == 11
        last = str(table.row_count)
        await pilot.press("escape", "down")  # another key ends the number
        await settle(app, pilot)
        await pilot.press(*last, "9")  # no row has number last*10+9: the 9 starts again
        await settle(app, pilot)
        assert table.cursor_row == 8
        assert isinstance(app.screen, CheckinScreen)
