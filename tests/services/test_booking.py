"""Booking: free slots from templates minus exceptions minus bookings; the slot re-checked at
write time; overbooking limits; reschedule, cancel, no-show, blocked time, wait list."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import AvailabilityExceptionKind, CancelledBy
from coordinator_tui.errors import ConflictError, PermissionDenied, UserError
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.schedule import hours as weekly_hours
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AppointmentStatusEvent, AuditEvent, Callback
from tests.conftest import CLINIC_DAY, CLINIC_TZ

TZ = ZoneInfo(CLINIC_TZ)
LATER = CLINIC_DAY + timedelta(days=10)


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).astimezone(UTC)


def _free(ctx, user, provider_id=1, type_code="FU", after=LATER, part="any", limit=5):
    return booking.find_free_slots(ctx, user, provider_id=provider_id, type_code=type_code,
                                   after=after, part_of_day=part, limit=limit)


def _patient_without_visits(ctx, day):
    with ctx.db.read() as session:
        busy = set(session.scalars(select(Appointment.patient_id)))
    return next(pid for pid in range(1, 600) if pid not in busy)


def test_free_slots_skip_booked_time_and_respect_part_of_day(ctx, desk_user):
    slots = _free(ctx, desk_user, limit=20)
    assert slots and all(s.provider_id == 1 for s in slots)
    assert slots == sorted(slots, key=lambda s: s.starts_at)
    with ctx.db.read() as session:
        taken = session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
            Appointment.provider_id == 1, Appointment.status.notin_(["cancelled", "no_show"]))).all()
    for slot in slots:
        assert not any(slot.starts_at < e and s < slot.ends_at for s, e in taken)
    pm = _free(ctx, desk_user, part="pm")
    assert all(s.starts_at.astimezone(TZ).hour >= 12 for s in pm)
    am = _free(ctx, desk_user, part="am")
    assert all(s.starts_at.astimezone(TZ).hour < 12 for s in am)


def test_free_slots_for_any_provider_and_never_in_the_past(ctx, desk_user):
    slots = booking.find_free_slots(ctx, desk_user, provider_id=None, type_code="NEW",
                                    after=CLINIC_DAY - timedelta(days=5), limit=30)
    assert len({s.provider_id for s in slots}) > 1
    assert all(s.starts_at >= ctx.now() for s in slots)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=40) for s in slots)


@pytest.mark.parametrize("kwargs, message", [
    ({"type_code": ""}, "type"), ({"type_code": "NOPE"}, "no appointment type"),
    ({"part": "evening"}, "part of day"), ({"limit": 0}, "between"), ({"provider_id": 999}, "provider"),
])
def test_free_slot_search_refuses_bad_input(ctx, desk_user, kwargs, message):
    with pytest.raises(UserError, match=message):
        _free(ctx, desk_user, **kwargs)


def test_book_a_free_slot_records_event_audit_and_desired_date(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    pid = _patient_without_visits(ctx, LATER)
    result = booking.book(ctx, desk_user, pid, 1, "FU", slot.starts_at, desired_date=CLINIC_DAY)
    assert result.appointment_id and result.warning is None and not result.is_overbook
    with ctx.db.read() as session:
        appt = session.get(Appointment, result.appointment_id)
        assert appt.desired_date == CLINIC_DAY and appt.starts_at == slot.starts_at
        assert appt.ends_at - appt.starts_at == timedelta(minutes=20)
        event = session.scalar(select(AppointmentStatusEvent).where(
            AppointmentStatusEvent.appointment_id == appt.id))
        assert (event.from_status, event.to_status, event.by_id) == (None, "scheduled", desk_user.id)
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "appointment.book"


def test_a_taken_slot_is_refused_naming_time_and_provider_not_patient(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at)
    with pytest.raises(UserError) as err:
        booking.book(ctx, desk_user, 12, 1, "FU", slot.starts_at)
    message = str(err.value)
    assert "already booked" in message and "OKAFOR" in message
    assert slot.starts_at.astimezone(TZ).strftime("%H:%M") in message
    with ctx.db.read() as session:
        from coordinator_tui.store.models import Patient
        other = session.get(Patient, 11)
    assert other.family_name not in message


def test_outside_hours_and_blocked_time_are_refused(ctx, desk_user):
    with pytest.raises(UserError, match="outside hours"):
        booking.book(ctx, desk_user, 11, 1, "FU", at(LATER, 12, 20))
    with pytest.raises(UserError, match="does not fit"):
        booking.book(ctx, desk_user, 11, 1, "NEW", at(LATER, 11, 40))
    slot = _free(ctx, desk_user)[0]
    booking.block_time(ctx, desk_user, provider_id=1, starts_at=slot.starts_at,
                       ends_at=slot.starts_at + timedelta(hours=1), reason="meeting")
    with pytest.raises(UserError, match="blocked"):
        booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at)
    assert slot.starts_at not in [s.starts_at for s in _free(ctx, desk_user, limit=50)]


def test_overbooking_has_a_daily_limit_that_a_supervisor_may_pass(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at)
    first = booking.book(ctx, desk_user, 12, 1, "FU", slot.starts_at, overbook=True)
    second = booking.book(ctx, desk_user, 13, 1, "FU", slot.starts_at, overbook=True)
    assert first.is_overbook and second.is_overbook  # the demo limit is 2 a day
    with pytest.raises(PermissionDenied, match="limit 2"):
        booking.book(ctx, desk_user, 14, 1, "FU", slot.starts_at, overbook=True)
    supervisor = actor_for(ctx, "super")
    assert booking.may_overbook(supervisor) and not booking.may_overbook(desk_user)
    assert booking.book(ctx, supervisor, 14, 1, "FU", slot.starts_at, overbook=True).is_overbook


def test_same_patient_same_time_with_two_providers_is_warned(ctx, desk_user):
    mine = {s.starts_at for s in _free(ctx, desk_user, limit=60)}
    other = booking.find_free_slots(ctx, desk_user, provider_id=2, type_code="FU",
                                    after=LATER, limit=60)
    same = next(s for s in other if s.starts_at in mine)
    booking.book(ctx, desk_user, 21, 1, "FU", same.starts_at)
    result = booking.book(ctx, desk_user, 21, 2, "FU", same.starts_at)
    assert result.appointment_id is None and "already booked" in result.warning and "OKAFOR" in result.warning
    confirmed = booking.book(ctx, desk_user, 21, 2, "FU", same.starts_at, confirm_double=True)
    assert confirmed.appointment_id and confirmed.warning


@pytest.mark.parametrize("args, message", [
    ((99999, 1, "FU"), "patient"), ((11, 99, "FU"), "provider"), ((11, 1, "??"), "no appointment type"),
])
def test_booking_refuses_unknown_records(ctx, desk_user, args, message):
    slot = _free(ctx, desk_user)[0]
    with pytest.raises(UserError, match=message):
        booking.book(ctx, desk_user, *args, slot.starts_at)


def test_booking_refuses_naive_times_and_control_characters(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    with pytest.raises(UserError, match="time zone"):
        booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at.replace(tzinfo=None))
    with pytest.raises(UserError, match="control"):
        booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at, reason="cough\x1b[2J")
    with pytest.raises(UserError, match="too long"):
        booking.book(ctx, desk_user, 11, 1, "FU", slot.starts_at, reason="x" * 301)


def test_reschedule_links_old_and_new_and_frees_the_old_slot(ctx, desk_user):
    first, second = _free(ctx, desk_user)[:2]
    old = booking.book(ctx, desk_user, 31, 1, "FU", first.starts_at, desired_date=LATER)
    new = booking.reschedule(ctx, desk_user, old.appointment_id, second.starts_at, reason="work")
    with ctx.db.read() as session:
        moved = session.get(Appointment, new.appointment_id)
        was = session.get(Appointment, old.appointment_id)
    assert moved.rescheduled_from_id == was.id and moved.desired_date == LATER
    assert was.status == "cancelled" and was.cancel_reason == "Rescheduled: work"
    assert first.starts_at in [s.starts_at for s in _free(ctx, desk_user, limit=10)]
    with pytest.raises(UserError, match="only a booked"):
        booking.reschedule(ctx, desk_user, old.appointment_id, first.starts_at, reason="again")


def test_reschedule_into_a_taken_slot_changes_nothing(ctx, desk_user):
    first, second = _free(ctx, desk_user)[:2]
    a = booking.book(ctx, desk_user, 31, 1, "FU", first.starts_at)
    booking.book(ctx, desk_user, 32, 1, "FU", second.starts_at)
    with pytest.raises(UserError, match="already booked"):
        booking.reschedule(ctx, desk_user, a.appointment_id, second.starts_at, reason="x")
    with ctx.db.read() as session:
        assert session.get(Appointment, a.appointment_id).status == "scheduled"
    with pytest.raises(UserError, match="reason"):
        booking.reschedule(ctx, desk_user, a.appointment_id, second.starts_at, reason="  ")


def test_cancel_with_rebook_callback_and_stale_version(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    result = booking.book(ctx, desk_user, 41, 1, "FU", slot.starts_at)
    with pytest.raises(ConflictError):
        booking.cancel(ctx, desk_user, result.appointment_id, reason="sick", by=CancelledBy.PATIENT,
                       expected_version=99)
    with pytest.raises(UserError, match="patient or the clinic"):
        booking.cancel(ctx, desk_user, result.appointment_id, reason="sick", by="nobody")
    callback_id = booking.cancel(ctx, desk_user, result.appointment_id, reason="sick",
                                 by=CancelledBy.PATIENT, rebook_callback=True)
    with ctx.db.read() as session:
        appt = session.get(Appointment, result.appointment_id)
        cb = session.get(Callback, callback_id)
    assert (appt.status, appt.cancelled_by, appt.cancel_reason) == ("cancelled", "patient", "sick")
    assert (cb.reason, cb.patient_id, cb.status) == ("rebook", 41, "open")


def test_no_show_opens_a_callback_in_the_same_transaction(ctx, desk_user, clock):
    slot = _free(ctx, desk_user)[0]
    result = booking.book(ctx, desk_user, 42, 1, "FU", slot.starts_at)
    with pytest.raises(UserError, match="before"):
        booking.no_show(ctx, desk_user, result.appointment_id)
    clock.advance(seconds=(slot.starts_at - clock.now()).total_seconds() + 1200)
    callback_id = booking.no_show(ctx, desk_user, result.appointment_id)
    with ctx.db.read() as session:
        assert session.get(Appointment, result.appointment_id).status == S.NO_SHOW.value
        assert session.get(Callback, callback_id).reason == "no_show"
    with pytest.raises(UserError, match="already"):
        booking.no_show(ctx, desk_user, result.appointment_id)


def test_blocking_booked_time_lists_appointments_and_creates_rebook_callbacks(ctx, desk_user):
    day = CLINIC_DAY + timedelta(days=3)
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(Callback))
        booked = session.scalars(select(Appointment.id).where(
            Appointment.provider_id == 2, Appointment.starts_at >= at(day, 8),
            Appointment.starts_at < at(day, 12), Appointment.status == "scheduled")).all()
    result = booking.block_time(ctx, desk_user, provider_id=2, starts_at=at(day, 8), ends_at=at(day, 12),
                                kind=AvailabilityExceptionKind.VACATION, reason="half day")
    assert sorted(a.id for a in result.affected) == sorted(booked) and booked
    with ctx.db.read() as session:
        after = session.scalar(select(func.count()).select_from(Callback))
    assert after - before == result.callbacks_created >= 1
    with pytest.raises(UserError, match="after its start"):
        booking.block_time(ctx, desk_user, provider_id=2, starts_at=at(day, 12), ends_at=at(day, 8))


def test_clinic_holiday_empties_every_provider(ctx, desk_user):
    day = CLINIC_DAY + timedelta(days=20)
    booking.block_time(ctx, desk_user, provider_id=None, starts_at=at(day, 0), ends_at=at(day + timedelta(days=1), 0),
                       kind=AvailabilityExceptionKind.HOLIDAY, reason="Holiday")
    slots = booking.find_free_slots(ctx, desk_user, provider_id=None, type_code="FU", after=day, limit=5)
    assert all(s.starts_at.astimezone(TZ).date() != day for s in slots)


def test_waitlist_fits_an_opened_slot(ctx, desk_user):
    slot = _free(ctx, desk_user)[0]
    day = slot.starts_at.astimezone(TZ).date()
    part = "am" if slot.starts_at.astimezone(TZ).hour < 12 else "pm"
    wrong = "pm" if part == "am" else "am"
    fits = booking.add_to_waitlist(ctx, desk_user, 51, "FU", earliest=day - timedelta(days=1),
                                   latest=day + timedelta(days=7), part_of_day=part)
    booking.add_to_waitlist(ctx, desk_user, 52, "FU", earliest=day, part_of_day=wrong)
    booking.add_to_waitlist(ctx, desk_user, 53, "FU", earliest=day + timedelta(days=1))
    booking.add_to_waitlist(ctx, desk_user, 54, "FU", earliest=day, provider_id=2)
    assert [r.id for r in booking.fits_for_slot(ctx, desk_user, 1, slot.starts_at)] == [fits]
    assert len(booking.waitlist(ctx, desk_user)) == 4
    with pytest.raises(UserError, match="before the earliest"):
        booking.add_to_waitlist(ctx, desk_user, 51, "FU", earliest=day, latest=day - timedelta(days=1))
    with pytest.raises(UserError, match="part of day"):
        booking.add_to_waitlist(ctx, desk_user, 51, "FU", earliest=day, part_of_day="night")


@pytest.mark.sqlite_only("patient lookup: pg_trgm candidates come with the pgsearch branch")
def test_pick_patients_by_mrn_or_name_prefix(ctx, desk_user):
    with ctx.db.read() as session:
        from coordinator_tui.store.models import Patient
        p = session.get(Patient, 77)
    assert [c.id for c in booking.pick_patients(ctx, desk_user, p.mrn)] == [77]
    assert 77 in [c.id for c in booking.pick_patients(ctx, desk_user, p.family_name[:3], limit=500)]
    with pytest.raises(UserError):
        booking.pick_patients(ctx, desk_user, "   ")
    assert booking.pick_patients(ctx, desk_user, "Zzzzzqx") == []


def test_weekly_hours_replace_a_weekday_from_a_date_and_keep_history(ctx, desk_user):
    far = CLINIC_DAY + timedelta(days=20)  # past the demo bookings
    monday = far + timedelta(days=(7 - far.weekday()) % 7)
    weekly_hours.set_weekly_hours(ctx, actor_for(ctx, "admin"), 1, 0, hours=[(9 * 60, 12 * 60)], slot_minutes=30,
                                  location_id=1, type_codes=["NEW"], valid_from=monday)
    rows = [r for r in weekly_hours.weekly_hours(ctx, desk_user, 1, monday) if r.weekday == 0]
    assert [(r.start_minute, r.end_minute, r.slot_minutes, r.type_codes) for r in rows] == [
        (540, 720, 30, ("NEW",))]
    before = [r for r in weekly_hours.weekly_hours(ctx, desk_user, 1, monday - timedelta(days=7)) if r.weekday == 0]
    assert len(before) == 2 and all(r.valid_to == monday - timedelta(days=1) for r in before)
    slots = booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="NEW", after=monday, limit=3)
    assert [s.starts_at for s in slots] == [at(monday, 9), at(monday, 9, 30), at(monday, 10)]
    with pytest.raises(UserError, match="cannot be booked"):
        booking.book(ctx, desk_user, 11, 1, "FU", at(monday, 9))


@pytest.mark.parametrize("kwargs, message", [
    ({"weekday": 7}, "weekday"), ({"slot_minutes": 2}, "slot length"),
    ({"hours": [(600, 540)]}, "start before"), ({"hours": [(540, 700), (600, 720)]}, "overlap"),
    ({"location_id": 99}, "location"), ({"type_codes": ["ZZ"]}, "no appointment type"),
])
def test_weekly_hours_refuse_bad_input(ctx, desk_user, kwargs, message):
    args = {"weekday": 0, "hours": [(540, 720)], "slot_minutes": 20, "location_id": 1,
            "valid_from": LATER} | kwargs
    weekday = args.pop("weekday")
    with pytest.raises(UserError, match=message):
        weekly_hours.set_weekly_hours(ctx, actor_for(ctx, "admin"), 1, weekday, **args)


def test_weekly_hours_need_the_templates_permission(ctx, desk_user):
    with pytest.raises(PermissionDenied, match="manage schedule templates"):
        weekly_hours.set_weekly_hours(ctx, desk_user, 1, 0, hours=[(540, 720)], slot_minutes=20, valid_from=LATER)
