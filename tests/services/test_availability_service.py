"""Availability: the week in force and its planned changes, exceptions typed as days (vacation over
a range, half-day block, clinic holiday) with their rebook callbacks, and removing an exception."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coordinator_tui.domain.hours import parse_part_of_day
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.schedule import availability
from coordinator_tui.services.schedule import hours as weekly_hours
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AuditEvent, AvailabilityException, Callback
from tests.conftest import CLINIC_DAY, CLINIC_TZ, FREE_DAY

TZ = ZoneInfo(CLINIC_TZ)


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).astimezone(UTC)


def booked_ids(ctx, provider_id, start, end):
    with ctx.db.read() as session:
        stmt = select(Appointment.id).where(Appointment.starts_at < end, Appointment.ends_at > start,
                                            Appointment.status.in_(["scheduled", "confirmed"]))
        if provider_id is not None:
            stmt = stmt.where(Appointment.provider_id == provider_id)
        return sorted(session.scalars(stmt))


def patients_of(ctx, appointment_ids):
    with ctx.db.read() as session:
        return set(session.scalars(select(Appointment.patient_id).where(Appointment.id.in_(appointment_ids))))


def open_rebooks(ctx, patient_ids):
    """Open rebook callbacks per patient (the queue keeps one open item per patient and reason)."""
    with ctx.db.read() as session:
        rows = session.execute(select(Callback.patient_id, func.count()).where(
            Callback.patient_id.in_(patient_ids), Callback.reason == "rebook", Callback.status == "open")
            .group_by(Callback.patient_id)).all()
    return {pid: n for pid, n in rows}


def test_the_week_in_force_and_a_planned_change(ctx, desk_user):
    later = CLINIC_DAY + timedelta(days=9)
    weekly_hours.set_weekly_hours(ctx, actor_for(ctx, "admin"), 2, later.weekday(), hours=[(540, 720)],
                                  slot_minutes=30, type_codes=["NEW", "FU"], valid_from=later)
    now = availability.provider_availability(ctx, desk_user, 2)
    assert now.as_of == CLINIC_DAY and len(now.week) == 7
    changed = now.week[later.weekday()]
    assert changed.blocks == ((480, 720), (780, 1020)) and changed.slot_minutes == 20
    assert changed.next_change == later and changed.location == "Main clinic" and changed.type_codes == ()
    # (A clinic seeded for a weekend day opens that day only: its end is planned too.)
    assert all(d.next_change is None for d in now.week if d.weekday not in (later.weekday(), 5, 6))
    then = availability.provider_availability(ctx, desk_user, 2, later)
    assert then.week[later.weekday()].blocks == ((540, 720),)
    assert then.week[later.weekday()].type_codes == ("FU", "NEW")
    assert "FU" in then.type_codes and (2, now.provider) in now.providers
    with pytest.raises(UserError, match="provider 99"):
        availability.provider_availability(ctx, desk_user, 99)


def test_vacation_over_a_range_lists_then_blocks_and_calls_back_once_each(ctx, desk_user):
    first, last = CLINIC_DAY + timedelta(days=2), CLINIC_DAY + timedelta(days=4)
    expected = booked_ids(ctx, 3, at(first, 0), at(last + timedelta(days=1), 0))
    assert len(expected) >= 3
    preview = availability.preview_block(ctx, desk_user, provider_id=3, kind="vacation", first=first, last=last)
    assert sorted(a.id for a in preview) == expected
    patients = patients_of(ctx, expected)
    assert open_rebooks(ctx, patients) == {}  # a preview changes nothing
    result = availability.block_days(ctx, desk_user, provider_id=3, kind="vacation", first=first, last=last,
                                     reason="Vacation")
    assert sorted(a.id for a in result.affected) == expected and result.callbacks_created == len(patients)
    assert open_rebooks(ctx, patients) == dict.fromkeys(patients, 1)
    # The same days again (a second desk, a double key press): no second callback for anyone.
    again = availability.block_days(ctx, desk_user, provider_id=3, kind="vacation", first=first, last=last)
    assert again.callbacks_created == 0 and open_rebooks(ctx, patients) == dict.fromkeys(patients, 1)
    slots = booking.find_free_slots(ctx, desk_user, provider_id=3, type_code="FU", after=first, limit=3)
    assert all(s.starts_at >= at(last + timedelta(days=1), 0) for s in slots)
    view = availability.provider_availability(ctx, desk_user, 3)
    assert [(e.kind, e.who, e.starts_at, e.ends_at) for e in view.exceptions] == [
        ("vacation", view.provider, at(first, 0), at(last + timedelta(days=1), 0))] * 2


def test_half_day_block_am_pm_or_a_range(ctx, desk_user):
    day = FREE_DAY
    pm = availability.block_days(ctx, desk_user, provider_id=1, kind="block", first=day,
                                 part=parse_part_of_day("pm"), reason="Training")
    assert pm.affected == ()
    with ctx.db.read() as session:
        row = session.get(AvailabilityException, pm.exception_id)
        assert (row.starts_at, row.ends_at, row.kind) == (at(day, 12), at(day + timedelta(days=1), 0), "block")
    slots = booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="FU", after=day, part_of_day="pm",
                                    limit=1)
    assert slots[0].starts_at.astimezone(TZ).date() > day
    assert parse_part_of_day("am") == (0, 720) and parse_part_of_day(" 13:00-15:30 ") == (780, 930)
    for bad in ("", "noon", "13:00", "15:00-13:00", "08:00-09:00,10:00-11:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_part_of_day(bad)


def test_clinic_holiday_blocks_every_provider_and_lists_all_their_patients(ctx, desk_user):
    day = CLINIC_DAY + timedelta(days=1)
    expected = booked_ids(ctx, None, at(day, 0), at(day + timedelta(days=1), 0))
    with ctx.db.read() as session:
        providers = {session.get(Appointment, i).provider_id for i in expected}
    assert len(providers) > 1
    # The provider given is ignored: a holiday closes the clinic.
    preview = availability.preview_block(ctx, desk_user, provider_id=1, kind="holiday", first=day)
    assert sorted(a.id for a in preview) == expected
    result = availability.block_days(ctx, desk_user, provider_id=1, kind="holiday", first=day, reason="Closed")
    patients = patients_of(ctx, expected)
    assert result.callbacks_created == len(patients)
    assert open_rebooks(ctx, patients) == dict.fromkeys(patients, 1)
    with ctx.db.read() as session:
        assert session.get(AvailabilityException, result.exception_id).provider_id is None
    assert booking.find_free_slots(ctx, desk_user, provider_id=None, type_code="FU", after=day,
                                   limit=1)[0].starts_at >= at(day + timedelta(days=1), 0)
    for pid in (2, 5):
        assert any(e.id == result.exception_id
                   for e in availability.provider_availability(ctx, desk_user, pid).exceptions)


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "party"}, "kind"),
    ({"first": CLINIC_DAY - timedelta(days=1)}, "in the past"),
    ({"last": CLINIC_DAY + timedelta(days=4)}, "before the first"),
    ({"last": CLINIC_DAY + timedelta(days=500)}, "a year"),
    ({"kind": "block"}, "which part"),
    ({"kind": "block", "part": (600, 540)}, "start before"),
    ({"kind": "block", "part": (540, 600), "last": CLINIC_DAY + timedelta(days=6)}, "one day"),
    ({"provider_id": None}, "choose the provider"),
    ({"provider_id": 99}, "provider 99"),
    ({"first": "T+1"}, "dates"),
    ({"reason": "a\x07b"}, "control characters"),
])
def test_bad_exceptions_are_refused_and_change_nothing(ctx, desk_user, kwargs, message):
    args = {"provider_id": 1, "kind": "vacation", "first": CLINIC_DAY + timedelta(days=5), "last": None,
            "part": None, "reason": None} | kwargs
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(AvailabilityException))
    with pytest.raises(UserError, match=message):
        availability.block_days(ctx, desk_user, **args)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityException)) == before


def test_deleting_an_exception_opens_the_time_and_is_audited(ctx, desk_user, clock):
    day = FREE_DAY
    result = availability.block_days(ctx, desk_user, provider_id=1, kind="vacation", first=day)
    assert booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="FU", after=day,
                                   limit=1)[0].starts_at.astimezone(TZ).date() > day
    removed = availability.delete_exception(ctx, desk_user, result.exception_id)
    assert removed.kind == "vacation" and removed.who != "ALL"
    assert booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="FU", after=day,
                                   limit=1)[0].starts_at == at(day, 8)
    with ctx.db.read() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.entity_id, event.user_id) == ("availability.unblock", removed.id, desk_user.id)
    with pytest.raises(UserError, match="does not exist"):
        availability.delete_exception(ctx, desk_user, result.exception_id)
    with pytest.raises(UserError, match="choose an exception"):
        availability.delete_exception(ctx, desk_user, "1")
    # One that is over stays on the record.
    today = availability.block_days(ctx, desk_user, provider_id=1, kind="block", first=CLINIC_DAY,
                                    part=(11 * 60, 11 * 60 + 30))
    over = datetime.combine(CLINIC_DAY, time(11, 31), tzinfo=TZ).astimezone(UTC)  # whatever the hour
    clock.advance(seconds=max(3600, (over - clock.now()).total_seconds()))
    with pytest.raises(UserError, match="over"):
        availability.delete_exception(ctx, desk_user, today.exception_id)


def test_front_desk_may_block_but_not_change_weekly_hours(ctx, desk_user):
    with pytest.raises(PermissionDenied, match="admin"):
        weekly_hours.set_weekly_hours(ctx, desk_user, 1, 1, hours=[], slot_minutes=20,
                                      valid_from=CLINIC_DAY + timedelta(days=7))
