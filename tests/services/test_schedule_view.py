"""The day grid as data: each cell free, booked, continuing, blocked or outside hours; rows at the
slot size in clinic time, right on a daylight-saving day; waits and long-held statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.schedule.schedule_view import (
    BLOCKED,
    BOOKED,
    CONTINUES,
    FREE,
    OUTSIDE,
    day_schedule,
)
from tests.conftest import CLINIC_DAY, CLINIC_TZ, FREE_DAY

TZ = ZoneInfo(CLINIC_TZ)
LATER = FREE_DAY


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).astimezone(UTC)


def local_rows(schedule):
    return [t.astimezone(TZ).strftime("%H:%M") for t in schedule.times]


def test_rows_cover_opening_hours_at_the_slot_size(ctx, desk_user):
    schedule = day_schedule(ctx, desk_user, LATER)
    rows = local_rows(schedule)
    assert schedule.slot_minutes == 20 and rows[0] == "08:00" and rows[-1] == "16:40"
    assert len(rows) == 27  # 08:00..17:00 in 20-minute rows, lunch included (shown closed)
    lunch = rows.index("12:20")
    assert all(c.cells[lunch].kind == OUTSIDE for c in schedule.providers)
    assert all(c.cells[0].kind == FREE for c in schedule.providers)


def test_booked_continuing_and_blocked_cells(ctx, desk_user):
    okafor = next(p for p in day_schedule(ctx, desk_user, LATER).providers if p.short_name == "OKAFOR")
    booking.book(ctx, desk_user, 11, okafor.id, "NEW", at(LATER, 8))  # 40 minutes
    booking.block_time(ctx, desk_user, provider_id=okafor.id, starts_at=at(LATER, 9), ends_at=at(LATER, 10),
                       reason="meeting")
    schedule = day_schedule(ctx, desk_user, LATER)
    column = next(p for p in schedule.providers if p.id == okafor.id)
    rows = local_rows(schedule)
    kinds = {rows[i]: column.cells[i].kind for i in range(len(rows))}
    assert (kinds["08:00"], kinds["08:20"], kinds["08:40"]) == (BOOKED, CONTINUES, FREE)
    assert (kinds["09:00"], kinds["09:40"], kinds["10:00"]) == (BLOCKED, BLOCKED, FREE)
    assert column.cells[rows.index("09:00")].note == "block"
    assert column.cells[0].appointment.patient_id == 11


def test_cancelled_appointments_free_their_cell_but_stay_in_the_day_list(ctx, desk_user):
    result = booking.book(ctx, desk_user, 12, 1, "FU", at(LATER, 8))
    booking.cancel(ctx, desk_user, result.appointment_id, reason="sick", by="patient")
    schedule = day_schedule(ctx, desk_user, LATER)
    column = next(p for p in schedule.providers if p.id == 1)
    assert column.cells[0].kind == FREE
    assert [a.status for a in schedule.appointments if a.id == result.appointment_id] == [S.CANCELLED]


def test_daylight_saving_day_has_the_right_rows(ctx, desk_user):
    spring = date(2027, 3, 14)  # clocks go forward at 02:00 in New York
    schedule = day_schedule(ctx, desk_user, spring)
    rows = local_rows(schedule)
    assert rows[0] == "08:00" and rows[-1] == "16:40" and len(rows) == 27
    assert all(b - a == timedelta(minutes=20) for a, b in zip(schedule.times, schedule.times[1:], strict=False))


def test_waits_and_long_held_statuses(ctx, desk_user, clock):
    schedule = day_schedule(ctx, desk_user, CLINIC_DAY)
    now = ctx.now()
    arrived = [a for a in schedule.appointments if a.status is S.ARRIVED]
    assert arrived
    for appt in arrived:
        assert appt.waited_minutes(now) == max(0, int((now - appt.arrived_at).total_seconds() // 60))
    fresh = next(a for a in schedule.appointments if a.status is S.SCHEDULED)
    assert fresh.waited_minutes(now) is None and not fresh.held_too_long(now)
    long_wait = arrived[0]
    assert long_wait.held_too_long(long_wait.status_since + timedelta(minutes=21))
    assert not long_wait.held_too_long(long_wait.status_since + timedelta(minutes=19))
