"""A paste (bracketed: the terminal says where it starts and ends) goes into the box with the
cursor as the text the user saw: control characters copied with a cell (a tab, a line break, an
escape sequence, a bell) never stay in a box, and a pasted line break never acts as Enter."""

from __future__ import annotations

from datetime import date

from textual import events
from textual.widgets import Input

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.patients.form import PatientFormScreen
from tests.helpers.keys import burst, quiet
from tests.helpers.lookup import add_patient

SIZE = (80, 24)


async def paste(app, text: str) -> None:
    event = events.Paste(text)
    event.set_sender(app)
    app.post_message(event)
    await quiet(app)


async def test_a_pasted_row_lands_in_find_as_text_and_is_not_submitted(ctx, desk_user):
    add_patient(ctx, "Pastequiz", "Ana", date(1971, 5, 6))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE):
        await quiet(app)
        await paste(app, "Pastequiz\tAna\x1b[31m\r\n\x07")
        assert isinstance(app.screen, CheckinScreen)  # no Enter: no checklist, no record opened
        box = app.screen.query_one("#checkin-search", Input)
        assert app.focused is box and box.value == "Pastequiz Ana"


async def test_a_paste_into_a_form_field_keeps_no_control_character(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await quiet(app)
        await pilot.press("f4")
        await quiet(app)
        await burst(app, "ctrl+n")
        assert isinstance(app.screen, PatientFormScreen)
        await paste(app, "\x1b[1mO'Brien\x1b[0m\r\n")
        assert isinstance(app.screen, PatientFormScreen)  # the form was not submitted
        assert app.focused.value == "O'Brien"


async def test_a_paste_of_nothing_but_control_characters_changes_nothing(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE):
        await quiet(app)
        await burst(app, "abc")
        await paste(app, "\r\n\t\x1b[2J\x07")
        assert app.screen.query_one("#checkin-search", Input).value == "abc"
