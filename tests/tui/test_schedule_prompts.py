"""The Schedule desk's dialogs at 80x24 by keys alone: choosing among many patients, the names
(never internal numbers) in move and cancel, the cursor on the field in error, and a past slot
refused before any form opens."""

from __future__ import annotations

import sqlite3

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.helpers.schedule import appointments_of, book_first_slot, open_future_day, press
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


def crowded_prefix(seeded_path) -> tuple[str, int]:
    """A family-name prefix more than 8 patients share, and how many do."""
    conn = sqlite3.connect(seeded_path)
    try:
        return conn.execute("SELECT substr(family_key, 1, 3) p, count(*) c FROM patients "
                            "WHERE merged_into_id IS NULL GROUP BY p HAVING c BETWEEN 10 AND 30 "
                            "ORDER BY c, p LIMIT 1").fetchone()
    finally:
        conn.close()


async def test_which_patient_says_more_match_and_books_nobody_without_a_number(ctx, desk_user, seeded_path):
    prefix, matching = crowded_prefix(seeded_path)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        await press(app, pilot, "b", *prefix, "enter", "enter", "enter")
        assert isinstance(app.screen, PromptModal)
        text = screen_text(app)
        assert "Which patient?" in text and "8. " in text and "9. " not in text
        assert "more patients match: type more of the name" in text, text
        assert app.focused.value == ""  # no patient chosen for the user
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PromptModal) and "Type the patient's number, 1-8" in screen_text(app)
        conn = sqlite3.connect(seeded_path)
        third = conn.execute("SELECT id FROM patients WHERE family_key >= ? AND family_key < ? "
                             "AND merged_into_id IS NULL ORDER BY family_key, given_key LIMIT 1 OFFSET 2",
                             (prefix, prefix + "\uffff")).fetchone()[0]
        conn.close()
        await press(app, pilot, "3", "enter")
        assert isinstance(app.screen, ScheduleScreen)
    assert matching > 8 and len(appointments_of(ctx, third)) == 1


def patient_name(ctx, patient_id) -> str:
    from coordinator_tui.store.models import Patient

    with ctx.db.read() as session:
        patient = session.get(Patient, patient_id)
        return f"{patient.family_name}, {patient.given_name}"


async def test_move_and_cancel_name_the_patient_and_time_not_an_internal_number(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 11)
        name = patient_name(ctx, 11)[:22]
        at = app.screen.schedule.times[0].astimezone(ctx.settings.tz).strftime("%H:%M")
        await press(app, pilot, "m")
        summary = screen_text(app).splitlines()[1]
        assert f"MOVING {name} {at}" in summary and f"#{appt.id}" not in summary, summary
        assert "m on a free slot" in summary  # the whole line fits 80 columns
        await press(app, pilot, "down", "m")
        text = screen_text(app)
        assert isinstance(app.screen, PromptModal) and f"Move {name} to " in text and f"#{appt.id}" not in text
        await press(app, pilot, "escape", "escape", "up", "c")
        text = screen_text(app)
        assert f"Cancel {name} {at}" in text and f"#{appt.id}" not in text, text


async def test_a_refused_cancel_puts_the_cursor_on_the_field_in_error(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 12)
        await press(app, pilot, "c", "enter", "enter", "enter")  # no reason
        assert "Say why it is cancelled" in screen_text(app) and app.focused.id == "field-reason"
        await press(app, pilot, *"sick", "tab", "ctrl+u", *"x", "enter", "enter")  # by: neither p nor c
        assert "Cancelled by p(atient) or c(linic)" in screen_text(app) and app.focused.id == "field-by"
        await press(app, pilot, "ctrl+u", "c", "enter", "enter")
        assert isinstance(app.screen, ScheduleScreen)
    [cancelled] = appointments_of(ctx, 12)
    assert (cancelled.id, cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == \
        (appt.id, "cancelled", "sick", "clinic")


async def go_to_past_free_slot(app, pilot, ctx):
    """Move the grid cursor by keys to a free slot today that has already ended."""
    from datetime import timedelta

    from textual.widgets import DataTable

    from coordinator_tui.tui.screens.schedule.schedule import PER_PAGE

    screen = app.screen
    schedule, now = screen.schedule, ctx.now()
    target = next((column, row) for row, start in enumerate(schedule.times)
                  if start + timedelta(minutes=schedule.slot_minutes) <= now
                  for column in range(min(PER_PAGE, len(schedule.providers)))
                  if schedule.cell(column, row).kind == "free")
    grid = screen.query_one("#schedule-grid", DataTable)
    row, column = grid.cursor_coordinate
    keys = ["up"] * (row - target[1]) + (["right"] * (target[0] + 1 - column) if target[0] + 1 >= column
                                         else ["left"] * (column - target[0] - 1))
    await press(app, pilot, *keys)
    assert screen.current() == target
    return schedule.times[target[1]]


async def test_b_on_a_slot_that_has_passed_is_refused_before_any_form(ctx, desk_user, seeded_path,
                                                                  clinic_open):
    before = sqlite3.connect(seeded_path).execute("SELECT count(*) FROM appointments").fetchone()
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f3")
        await go_to_past_free_slot(app, pilot, ctx)
        await press(app, pilot, "b")
        assert isinstance(app.screen, ScheduleScreen), "a form opened for a past slot"
        assert "That time has already passed" in " ".join(n.message for n in app._notifications)
    assert sqlite3.connect(seeded_path).execute("SELECT count(*) FROM appointments").fetchone() == before


async def test_moving_to_a_slot_that_has_passed_is_refused_before_the_reason(ctx, desk_user, clinic_open):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 13)
        await press(app, pilot, "m", "t")
        await go_to_past_free_slot(app, pilot, ctx)
        await press(app, pilot, "m")
        assert isinstance(app.screen, ScheduleScreen) and app.screen.moving is not None
        assert "That time has already passed" in " ".join(n.message for n in app._notifications)
    [still] = appointments_of(ctx, 13)
    assert (still.id, still.status) == (appt.id, "scheduled")


async def test_a_schedule_prompt_draws_nothing_outside_its_border(ctx, desk_user):
    """Issue 13: the grid behind a prompt showed through beside its border ('12:0│ Number')."""
    from textual.containers import Vertical

    from tests.helpers.screen import drawn_outside

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f3", "g")
        assert isinstance(app.screen, PromptModal) and "Go to date" in screen_text(app)
        assert drawn_outside(app, app.screen.query_one(Vertical).region) == []


async def test_a_patient_nobody_matches_keeps_the_booking_form_open_as_typed(ctx, desk_user, seeded_path):
    """It closed with a notice, and the type and date typed went with it."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        await press(app, pilot, "b", *"zzqxv", "enter", "ctrl+u", *"NEW", "enter", "enter")
        assert isinstance(app.screen, PromptModal)
        text = screen_text(app)
        assert "No patient matches 'zzqxv'" in text and "NEW" in text
        boxes = app.screen.values()
        assert boxes["patient"] == "zzqxv" and boxes["type"] == "NEW"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ScheduleScreen)
