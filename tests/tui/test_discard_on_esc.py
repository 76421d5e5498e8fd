"""Esc on a form: closes it at once when nothing was typed, else asks "Discard changes? y/n"
first (n or Esc goes back to the form, the typing kept), as the patient form always did. The
QA pass (s16) found the new callback (F8), booking, payment and referral forms threw the typing
away on Esc without a word."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.widgets import Input

from coordinator_tui.store.models import Callback, Payment, Referral
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.new_callback import NewCallbackScreen
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.screens.checkin.dialogs import DemographicsDialog, PaymentDialog
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from coordinator_tui.tui.screens.schedule.book_patient import BookForPatientScreen
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.helpers.checkin import open_checklist_of, unique_row
from tests.helpers.keys import ESC, burst
from tests.helpers.schedule import mrn_of
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)
ASKED = "Discard changes? y/n"


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


async def asks_then_keeps_then_discards(app, pilot, form, box: Input) -> None:
    """Esc asks; n and Esc each go back to `form` with `box` as typed; Esc, y closes it."""
    typed = box.value
    for back in ("n", "escape"):
        await press(app, pilot, "escape")
        assert ASKED in screen_text(app), back
        await press(app, pilot, back)
        assert app.screen is form and ASKED not in screen_text(app), back
        assert box.value == typed
    await press(app, pilot, "escape", "y")
    assert app.screen is not form and ASKED not in screen_text(app)


async def test_new_callback_esc_asks_before_losing_a_typed_note(ctx, desk_user):
    total = count(ctx, Callback)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Nothing typed: Esc closes at once.
        await press(app, pilot, "f8")
        assert isinstance(app.screen, NewCallbackScreen)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CheckinScreen) and ASKED not in screen_text(app)
        # The patient chosen and a note typed: Esc asks first.
        await press(app, pilot, "f8", *mrn_of(ctx, 12), "enter", "enter", "enter", "enter",
                    *"ring after 3")
        form = app.screen
        note = form.query_one("#newcb-note", Input)
        assert isinstance(form, NewCallbackScreen) and note.value == "ring after 3"
        await asks_then_keeps_then_discards(app, pilot, form, note)
        assert isinstance(app.screen, CheckinScreen)
    assert count(ctx, Callback) == total


async def test_new_callback_from_the_record_the_patient_filled_in_is_not_typing(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f4", *mrn_of(ctx, 11), "enter", "f8")
        assert isinstance(app.screen, NewCallbackScreen) and app.screen.patient_id == 11
        await press(app, pilot, "escape")
        assert isinstance(app.screen, PatientRecordScreen) and ASKED not in screen_text(app)
        await press(app, pilot, "f8", "ctrl+u", "3")  # reason 3 typed over the default
        assert isinstance(app.screen, NewCallbackScreen)
        await press(app, pilot, "escape")
        assert ASKED in screen_text(app)


async def test_keys_typed_ahead_of_the_question_answer_it_then_go_back_to_the_note(ctx, desk_user):
    """A burst (one SSH packet) of Esc, n and more note: the n answers the question, not the
    form, and the letters after it land in the note the cursor was in; Esc y in one burst
    closes the form and nothing reaches the desk's Find box."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f8", *mrn_of(ctx, 12), "enter", "enter", "enter", "enter", *"ring")
        form = app.screen
        note = form.query_one("#newcb-note", Input)
        await burst(app, ESC, "n", " at 3")
        assert app.screen is form and app.focused is note and note.value == "ring at 3"
        await burst(app, ESC, "y")
        assert isinstance(app.screen, CheckinScreen)
        assert app.screen.query_one("#checkin-search", Input).value == ""


async def test_booking_esc_asks_when_a_field_was_changed(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f4", *mrn_of(ctx, 5), "enter", "b")
        assert isinstance(app.screen, BookForPatientScreen)
        await press(app, pilot, "escape")  # the defaults only: closes at once
        assert isinstance(app.screen, PatientRecordScreen) and ASKED not in screen_text(app)
        await press(app, pilot, "b", "ctrl+u", *"NEW", "enter")
        form = app.screen
        assert isinstance(form, BookForPatientScreen)
        await asks_then_keeps_then_discards(app, pilot, form, form.query_one("#book-type", Input))
        assert isinstance(app.screen, PatientRecordScreen)


async def test_payment_and_address_dialogs_esc_ask_before_losing_what_was_typed(ctx, desk_user):
    payments = count(ctx, Payment)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        checklist = await open_checklist_of(app, pilot, unique_row(ctx, desk_user))
        await press(app, pilot, "p")
        assert isinstance(app.screen, PaymentDialog)
        await press(app, pilot, "escape")  # the amount filled in for the desk is not typing
        assert app.screen is checklist and ASKED not in screen_text(app)
        await press(app, pilot, "p", "enter", "k", "enter", *"4417")
        dialog = app.screen
        assert isinstance(dialog, PaymentDialog)
        await asks_then_keeps_then_discards(app, pilot, dialog, dialog.query_one("#reference", Input))
        assert app.screen is checklist
        await press(app, pilot, "d")
        assert isinstance(app.screen, DemographicsDialog)
        await press(app, pilot, "escape")
        assert app.screen is checklist and ASKED not in screen_text(app)
        await press(app, pilot, "d", *"12 Elm St")
        dialog = app.screen
        await asks_then_keeps_then_discards(app, pilot, dialog, dialog.query_one("#address", Input))
        assert isinstance(app.screen, ChecklistScreen)
    assert count(ctx, Payment) == payments


async def test_new_referral_esc_asks_before_losing_what_was_typed(ctx, desk_user):
    referrals = count(ctx, Referral)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f4", *mrn_of(ctx, 5), "enter", "a")
        assert isinstance(app.screen, PromptModal)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, PatientRecordScreen) and ASKED not in screen_text(app)
        await press(app, pilot, "a", "enter", *"AUTH-77")
        form = app.screen
        await asks_then_keeps_then_discards(app, pilot, form, form.query_one("#field-number", Input))
        assert isinstance(app.screen, PatientRecordScreen)
    assert count(ctx, Referral) == referrals
