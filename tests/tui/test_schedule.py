"""The day schedule at 80x24 by keys alone: book, move and cancel; paging, list view, go-to-date;
and another desk's booking appearing without a keystroke."""

from __future__ import annotations

import asyncio
import time as wall
from datetime import date, timedelta

from sqlalchemy import select
from textual.widgets import DataTable

from coordinator_tui.services import schedule as booking
from coordinator_tui.store.models import Appointment, Callback, Patient
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.schedule.schedule import PER_PAGE, ScheduleScreen
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.schedule import (
    AHEAD,
    FUTURE,
    appointments_of,
    book_first_slot,
    mrn_of,
    open_future_day,
    press,
)
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)
async def test_book_by_keys_from_a_free_slot(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 5)
        with ctx.db.read() as session:
            family = session.get(Patient, 5).family_name
        cell = app.screen.schedule.cell(0, 0)
        assert cell.appointment and cell.appointment.id == appt.id
        assert family[:5] in screen_text(app)


async def test_booking_a_taken_slot_by_keys_overbooks_within_the_limit(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        await book_first_slot(app, pilot, ctx, 5)
        await press(app, pilot, "b")
        assert "OVERBOOK" in screen_text(app)
        await press(app, pilot, *mrn_of(ctx, 6), "enter", "enter", "enter")
        [second] = appointments_of(ctx, 6)
        assert second.is_overbook


async def test_move_by_keys_to_the_next_slot(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        old = await book_first_slot(app, pilot, ctx, 7)
        await press(app, pilot, "m")
        assert app.screen.moving is not None and "MOVING" in screen_text(app)
        await press(app, pilot, "down", "m")
        assert isinstance(app.screen, PromptModal)
        await press(app, pilot, "enter", "enter")
        was, new = appointments_of(ctx, 7)
        assert was.id == old.id and was.status == "cancelled"
        assert new.rescheduled_from_id == old.id and new.starts_at == old.starts_at + timedelta(minutes=20)
        assert app.screen.moving is None


async def test_cancel_by_keys_with_a_rebook_callback(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 8)
        await press(app, pilot, "c")
        await press(app, pilot, "enter", "enter", "enter")  # empty reason is refused
        assert isinstance(app.screen, PromptModal) and "why" in screen_text(app)
        assert app.focused.id == "field-reason"  # the cursor is on the field to fix
        await press(app, pilot, *"sick", "enter", "enter", "enter")
        assert isinstance(app.screen, ScheduleScreen)
        with ctx.db.read() as session:
            cancelled = session.get(Appointment, appt.id)
            callback = session.scalar(select(Callback).where(Callback.appointment_id == appt.id))
        assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == ("cancelled", "sick", "patient")
        assert callback is not None and callback.reason == "rebook"
        assert app.screen.schedule.cell(0, 0).kind == "free"


async def test_paging_list_view_and_a_bad_date(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f3")
        screen = app.screen
        names = [p.short_name for p in screen.schedule.providers]
        grid = screen.query_one("#schedule-grid", DataTable)
        assert len(grid.columns) == 1 + min(PER_PAGE, len(names))
        assert names[PER_PAGE] not in screen_text(app)
        await press(app, pilot, "greater_than_sign")
        assert names[PER_PAGE] in screen_text(app) and screen.page == 1
        await press(app, pilot, "v")
        listing = screen.query_one("#schedule-list", DataTable)
        assert screen.list_view and listing.display and listing.row_count == len(screen.schedule.times)
        await press(app, pilot, "v", "g", *"2/30", "enter")
        assert isinstance(app.screen, PromptModal) and "not a real date" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ScheduleScreen) and screen.day == CLINIC_DAY


async def test_another_desks_booking_appears_without_a_keystroke(ctx, desk_user, seeded_path):
    app = CoordinatorApp(ctx, desk_user)
    other_desk = make_context(seeded_path)  # its own engine and connections, as another process
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        screen = app.screen
        assert screen.schedule.cell(0, 0).kind == "free"
        slot_time = screen.schedule.times[0]
        provider_id = screen.schedule.providers[0].id
        booking.book(other_desk, desk_user, 9, provider_id, "FU", slot_time)
        started = wall.monotonic()
        while wall.monotonic() - started < 2.0 and screen.schedule.cell(0, 0).kind == "free":
            await asyncio.sleep(0.05)
            await pilot.pause()
        assert screen.schedule.cell(0, 0).kind == "booked", "another desk's booking did not appear in 2 s"
    other_desk.db.dispose()


async def test_block_time_by_keys_lists_booked_patients_for_rebooking(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 10)
        await press(app, pilot, "x", "enter", *["backspace"] * 5, *"25:00", "enter", "enter", "enter")
        assert isinstance(app.screen, PromptModal) and "HH:MM" in screen_text(app)
        await press(app, pilot, "shift+tab", "shift+tab", *["backspace"] * 5, *"09:00", "enter", "enter",
                    *"meeting", "enter")
        assert isinstance(app.screen, ScheduleScreen)
        with ctx.db.read() as session:
            callback = session.scalar(select(Callback).where(Callback.appointment_id == appt.id))
        assert callback is not None and callback.reason == "rebook"
        schedule = app.screen.schedule
        assert schedule.cell(0, 0).kind == "booked" and schedule.cell(0, 1).kind == "blocked"
        assert schedule.cell(0, 3).kind == "free"


async def test_find_a_slot_then_book_it_by_keys(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f3")
        provider = app.screen.schedule.providers[0]
        expected = booking.find_free_slots(ctx, desk_user, provider_id=provider.id, type_code="FU",
                                           after=FUTURE, part_of_day="pm", limit=1)[0]
        await press(app, pilot, "f", "enter", "enter", *["backspace"] * 3, *f"T+{AHEAD}", "enter",
                    *["backspace"] * 3, *"pm", "enter")
        assert isinstance(app.screen, PromptModal) and "Free FU slots" in screen_text(app)
        # Issue 13: no slot is pre-picked; Enter alone chooses nothing and says so.
        assert app.focused.value == ""
        number_field = next(part for line in screen_text(app).splitlines() for part in line.split("│")
                            if "Number" in part)  # inside the dialog's border
        assert number_field.split() == ["Number"], number_field
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PromptModal) and "Type a number from the list" in screen_text(app)
        await press(app, pilot, "1", "enter")
        assert "Book" in screen_text(app)
        await press(app, pilot, *mrn_of(ctx, 15), "enter", "enter", "enter")
        [appt] = appointments_of(ctx, 15)
        assert (appt.starts_at, appt.provider_id) == (expected.starts_at, provider.id)
        assert app.screen.day == FUTURE


async def test_next_status_and_wait_list_by_keys(ctx, desk_user):
    from coordinator_tui.store.models import WaitlistEntry

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        appt = await book_first_slot(app, pilot, ctx, 16)
        await press(app, pilot, "s")
        await press(app, pilot, "e")
        with ctx.db.read() as session:
            assert session.get(Appointment, appt.id).status == "confirmed"
            entry = session.scalar(select(WaitlistEntry).where(WaitlistEntry.patient_id == 16))
        assert entry is not None and entry.current_appointment_id == appt.id and entry.latest == FUTURE


async def test_another_desks_check_in_appears_on_the_check_in_desk(ctx, desk_user, seeded_path):
    from coordinator_tui.domain.vocab import AppointmentStatus as S
    from coordinator_tui.services.appointment_status import change_status
    from coordinator_tui.services.desk_views import day_appointments
    from coordinator_tui.tui.screens.checkin.board import CheckinScreen

    app = CoordinatorApp(ctx, desk_user)
    other_desk = make_context(seeded_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        target = next(r for r in day_appointments(ctx, desk_user, CLINIC_DAY) if r.status is S.CONFIRMED)
        change_status(other_desk, desk_user, target.id, S.ARRIVED)
        screen = app.screen
        started = wall.monotonic()

        def arrived_shown() -> bool:
            return any(r.id == target.id and r.status is S.ARRIVED for r in screen.rows)

        while wall.monotonic() - started < 2.0 and not arrived_shown():
            await asyncio.sleep(0.05)
            await pilot.pause()
        assert arrived_shown(), "another desk's check-in did not appear in 2 s"
    other_desk.db.dispose()


async def test_go_to_a_date_without_a_year_goes_forward_across_the_year_end(ctx, desk_user):
    """Issue 13: `g 1/5` typed in November went to last January."""
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f3")
        screen = app.screen
        assert CLINIC_DAY.month == 11
        await press(app, pilot, "g", *"1/5", "enter")
        assert isinstance(app.screen, ScheduleScreen)
        assert screen.day == date(2027, 1, 5) and "Tue 05 Jan 2027" in screen_text(app)
        await press(app, pilot, "g", *"11/20", "enter")  # last Friday: recent, so not next year
        assert screen.day == date(2026, 11, 20)


async def test_a_booking_by_keys_says_the_referral_it_was_counted_on(ctx, desk_user):
    from coordinator_tui.domain.referrals import ReferralKind
    from coordinator_tui.services import referrals as ref

    rid = ref.add_referral(ctx, desk_user, 5, kind=ReferralKind.INCOMING, type_codes=["FU"], visits=3)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        await book_first_slot(app, pilot, ctx, 5)
        told = " ".join(n.message for n in app._notifications)
        assert f"referral #{rid}: 3 approved | 2 left" in told
        await press(app, pilot, "m", "down", "m", "enter", "enter")  # a move keeps it, and says so
        # The move's own message, not a count over the list: the booking's message may have timed
        # out by now on a slow machine.
        moved = [n.message for n in app._notifications if n.message.startswith("Moved to")]
        assert moved and f"referral #{rid}: 3 approved | 2 left" in moved[-1]
