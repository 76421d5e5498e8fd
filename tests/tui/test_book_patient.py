"""Booking started from a patient, by keys alone at 80x24: from the patient record (b), and
"reached -> book now" on a callback, which closes the item as done in the same transaction; Ctrl+F
puts the cursor on the first free slot and says in words which one Enter books."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from textual.widgets import DataTable

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import CallbackReason
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import schedule as booking
from coordinator_tui.store.models import Appointment, Callback, Patient
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.desk import CallbacksScreen
from coordinator_tui.tui.screens.callbacks.work import CallbackWorkScreen
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from coordinator_tui.tui.screens.schedule.book_patient import BookForPatientScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)
FUTURE = CLINIC_DAY + timedelta(days=20)  # beyond the demo's bookings


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def mrn_of(ctx, patient_id):
    with ctx.db.read() as session:
        return session.get(Patient, patient_id).mrn


def future_appointments(ctx, patient_id):
    with ctx.db.read() as session:
        return session.scalars(select(Appointment).where(
            Appointment.patient_id == patient_id,
            Appointment.starts_at >= day_bounds_utc(FUTURE, ctx.settings.tz)[0]).order_by(Appointment.id)).all()


async def open_record_by_keys(app, pilot, ctx, patient_id):
    await press(app, pilot, "f4")
    await press(app, pilot, *mrn_of(ctx, patient_id))
    await press(app, pilot, "enter")
    assert isinstance(app.screen, PatientRecordScreen) and app.screen.patient_id == patient_id


async def fill_and_find(app, pilot, *, provider="", after="T+20", part="pm", desired="T+25"):
    """Type over each field (ctrl+u clears), Enter to the next; Enter on the last finds."""
    screen = app.screen
    assert isinstance(screen, BookForPatientScreen)
    for value in ("FU", provider, after, part, desired):
        await press(app, pilot, "ctrl+u", *value, "enter")
    return screen


async def test_book_from_the_patient_record_by_keys(ctx, desk_user):
    pid = 5
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_record_by_keys(app, pilot, ctx, pid)
        await press(app, pilot, "b")
        screen = await fill_and_find(app, pilot)
        assert screen.slots, screen_text(app)
        tz = ctx.settings.tz
        first = screen.slots[0]
        assert first.starts_at.astimezone(tz).date() >= FUTURE and first.starts_at.astimezone(tz).hour >= 12
        assert "free slot(s)" in screen_text(app) and mrn_of(ctx, pid) in screen_text(app)
        await press(app, pilot, "down", "enter")  # the second slot
        assert isinstance(app.screen, PatientRecordScreen)
        [appt] = future_appointments(ctx, pid)
        assert appt.starts_at == screen.slots[1].starts_at and appt.provider_id == screen.slots[1].provider_id
        # What the patient asked for is kept apart from what was booked.
        assert appt.desired_date == FUTURE + timedelta(days=5)
        assert appt.starts_at.astimezone(tz).date() != appt.desired_date
        assert "Upcoming appointments" in screen_text(app)


async def test_bad_input_and_a_slot_taken_meanwhile_are_refused_with_a_message(ctx, desk_user, seeded_path):
    from tests.conftest import make_context

    pid = 6
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_record_by_keys(app, pilot, ctx, pid)
        await press(app, pilot, "b")
        screen = await fill_and_find(app, pilot, provider="NOBODY")
        assert "No provider 'NOBODY'" in screen_text(app) and not screen.slots
        assert app.focused.id == "book-provider"  # the cursor is on the field to fix
        await press(app, pilot, "ctrl+u", "tab", "ctrl+u", *"2/30", "ctrl+f")
        assert "not a real date" in screen_text(app) and app.focused.id == "book-after"
        await press(app, pilot, "ctrl+u", *"T+20", "enter", "ctrl+u", *"evening\x07", "ctrl+f")
        assert "Part of day" in screen_text(app) and not screen.slots
        await press(app, pilot, "ctrl+u", *"pm", "ctrl+f")
        assert screen.slots
        slot = screen.slots[0]
        # Another desk books that very slot before this desk presses Enter.
        other = make_context(seeded_path)
        booking.book(other, desk_user, 7, slot.provider_id, "FU", slot.starts_at)
        other.db.dispose()
        await press(app, pilot, "enter")
        assert isinstance(app.screen, BookForPatientScreen)
        assert "already booked" in screen_text(app)
        assert future_appointments(ctx, pid) == []
        assert all(s.starts_at != slot.starts_at or s.provider_id != slot.provider_id for s in screen.slots)
        await press(app, pilot, "escape", "y")  # fields were changed: "Discard changes? y/n"
        assert isinstance(app.screen, PatientRecordScreen)


async def test_reached_then_book_now_closes_the_callback(ctx, desk_user):
    # A no-show follow-up at the top of the queue, so Enter on the desk works it.
    item_id, _ = cb.create_by_hand(ctx, desk_user, patient_id=9, reason=CallbackReason.REBOOK,
                                   due_at=ctx.now() - timedelta(days=3), priority="urgent")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f5")
        assert isinstance(app.screen, CallbacksScreen) and app.screen.items[0].id == item_id
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CallbackWorkScreen)
        await press(app, pilot, "1")  # reached: booking is offered at once
        assert isinstance(app.screen, BookForPatientScreen)
        assert "Rebook cancelled" in screen_text(app)
        screen = await fill_and_find(app, pilot, part="am")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CallbacksScreen)
    [appt] = future_appointments(ctx, 9)
    assert appt.starts_at == screen.slots[0].starts_at
    with ctx.db.read() as session:
        item = session.get(Callback, item_id)
        assert (item.status, item.close_reason) == ("done", f"booked appointment #{appt.id}")
        assert item.appointment_id == appt.id  # the item had no appointment: linked to the new one
        assert appt.reason == "callback: Rebook cancelled"


async def test_reached_escape_leaves_the_item_open_and_b_offers_again(ctx, desk_user):
    item_id, _ = cb.create_by_hand(ctx, desk_user, patient_id=10, reason=CallbackReason.PATIENT_REQUEST,
                                   due_at=ctx.now() - timedelta(days=3), priority="urgent")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f5", "enter", "1")
        assert isinstance(app.screen, CallbackWorkScreen)  # "patient asked": not opened by itself
        assert "b books now" in screen_text(app)
        await press(app, pilot, "b")
        assert isinstance(app.screen, BookForPatientScreen)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CallbackWorkScreen) and "Nothing booked" in screen_text(app)
    with ctx.db.read() as session:
        assert session.get(Callback, item_id).status == "open"


async def test_ctrl_f_moves_to_the_first_slot_and_enter_books_it(ctx, desk_user):
    item_id, _ = cb.create_by_hand(ctx, desk_user, patient_id=14, reason=CallbackReason.NO_SHOW,
                                   due_at=ctx.now() - timedelta(days=3), priority="urgent")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f5", "enter", "1")
        screen = app.screen
        assert isinstance(screen, BookForPatientScreen)
        await press(app, pilot, "ctrl+f")
        table = screen.query_one("#book-slots", DataTable)
        first, second = screen.slots[:2]
        tz = ctx.settings.tz
        text = screen_text(app)
        assert "free slot(s): Enter books the highlighted one" in text
        # Which slot Enter books is said in words, not only by the cursor row's colour.
        assert f"> Enter books 1: {first.starts_at.astimezone(tz):%a %d %b %H:%M} with {first.provider}" in text
        assert app.focused is table and table.cursor_row == 0, (app.focused, table.cursor_row)
        await press(app, pilot, "down")
        assert f"> Enter books 2: {second.starts_at.astimezone(tz):%a %d %b %H:%M}" in screen_text(app)
        await press(app, pilot, "up")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CallbacksScreen)
    with ctx.db.read() as session:
        assert session.get(Callback, item_id).status == "done"
        booked = session.scalar(select(Appointment).where(Appointment.patient_id == 14,
                                                   Appointment.starts_at == first.starts_at))
        assert booked.provider_id == first.provider_id


async def test_every_provider_is_listed_on_the_booking_form_at_80_columns(ctx, desk_user):
    """Issue 13: the providers line was cut at 80 columns and the 8th provider was not shown."""
    options = booking.booking_options(ctx, desk_user, 5)
    names = [name for _pid, name in options.providers]
    assert len(names) >= 8
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_record_by_keys(app, pilot, ctx, 5)
        await press(app, pilot, "b")
        assert isinstance(app.screen, BookForPatientScreen)
        shown = " ".join(screen_text(app).split())
        for name in names:
            assert f" {name} " in f" {shown} ", name
        assert "Desired date" in shown  # the form itself still fits
