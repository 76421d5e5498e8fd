"""The patients desk's type-ahead at 80x24, by keys alone."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, Input

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.patients.desk import PatientsScreen
from tests.helpers.lookup import add_patient
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def open_desk(app, pilot):
    await settle(app, pilot)
    await pilot.press("f4")
    await settle(app, pilot)
    assert isinstance(app.screen, PatientsScreen)


async def test_type_ahead_follows_keys_and_esc_clears(ctx, desk_user):
    target = add_patient(ctx, "Quaxley", "Zebulon", date(1960, 1, 2), phone="617 555 0177")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        table = app.screen.query_one("#patients-table", DataTable)
        browse = table.row_count
        await pilot.press(*"quax")
        await settle(app, pilot)
        assert app.screen.shown_text == "quax"
        assert [row.value for row in table.rows] == [str(target)]
        text = screen_text(app)
        assert "Quaxley, Zebulon" in text and "•••-0177" in text and "555" not in text
        await pilot.press("space", "z", "e", "b")
        await settle(app, pilot)
        assert app.screen.shown_text == "quax zeb" and table.row_count == 1
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
                          "backspace", "backspace", *"0177")
        await settle(app, pilot)
        assert str(target) in {row.value for row in table.rows}  # digits are search text: last four
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#patients-search", Input).value == ""
        assert table.row_count == browse and app.screen.shown_text is None


async def test_a_stale_answer_is_never_drawn(ctx, desk_user):
    add_patient(ctx, "Quaxley", "Zebulon", date(1960, 1, 2))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        screen = app.screen
        await pilot.press(*"quaxley")
        await settle(app, pilot)
        table = screen.query_one("#patients-table", DataTable)
        before = [row.value for row in table.rows]
        assert before
        old = (screen._seq - 1, "quaxle", "stale", [])
        screen._show_hits(old)  # an answer for an older text arrives late
        assert screen.shown_text == "quaxley"
        assert [row.value for row in table.rows] == before


async def test_enter_and_a_digit_open_a_row(ctx, desk_user):
    first = add_patient(ctx, "Quaxley", "Anna", date(1960, 1, 2))
    second = add_patient(ctx, "Quaxley", "Bert", date(1961, 1, 2))
    app = CoordinatorApp(ctx, desk_user)
    opened: list[int] = []
    app.open_patient = opened.append
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await pilot.press(*"quaxley")
        await settle(app, pilot)
        await pilot.press("enter")  # Enter in the box opens the first row
        await pilot.press("down")  # into the list
        await pilot.press("2")  # a digit in the list opens that row
        await pilot.press("down", "enter")
        await settle(app, pilot)
    assert opened[:2] == [first, second]
    assert len(opened) == 3


async def test_enter_in_the_box_opens_the_first_patients_record(ctx, desk_user):
    from coordinator_tui.tui.screens.patients.record import PatientRecordScreen

    add_patient(ctx, "Quaxley", "Anna", date(1960, 1, 2))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await pilot.press(*"quaxley", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Quaxley" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, PatientRecordScreen)


async def test_ctrl_n_registers_a_new_patient_with_what_was_typed(ctx, desk_user):
    from coordinator_tui.tui.screens.patients.form import PatientFormScreen

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await pilot.press(*"zyxwell, anna 3/4/1985")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        assert app.screen.prefill == {"family_name": "Zyxwell", "given_name": "Anna", "birth_date": "1985-03-04"}


async def test_shift_tab_in_the_registration_form_stays_on_its_boxes(ctx, desk_user):
    """Shift+Tab from the first box went to the form's scroll area, which shows no cursor:
    what was typed next vanished."""
    from coordinator_tui.tui.screens.patients.form import PatientFormScreen

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        boxes = list(app.screen.query(Input))
        for _ in range(len(boxes) + 1):  # round the whole form, backwards
            await pilot.press("shift+tab")
            await settle(app, pilot)
            assert isinstance(app.focused, Input), app.focused
        await pilot.press("ctrl+f")  # the full form, every field
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("shift+tab")
            await settle(app, pilot)
            assert isinstance(app.focused, Input), app.focused
