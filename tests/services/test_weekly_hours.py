"""Changing a provider's weekly hours calls back the patients booked in the hours that go away,
as blocking time does: listed first, one rebook callback each, in the change's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coordinator_tui.errors import UserError
from coordinator_tui.services.schedule import hours as weekly_hours
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AvailabilityTemplate, Callback
from tests.conftest import CLINIC_DAY, CLINIC_TZ

TZ = ZoneInfo(CLINIC_TZ)
PROVIDER = 3
DAY = CLINIC_DAY + timedelta(days=2)  # the demo books provider 3 on the days after today


def booked_on_weekday(ctx, weekday: int, since: datetime) -> list[tuple[int, int, int, int]]:
    """(id, patient, local start minute, local end minute) of the provider's booked visits."""
    with ctx.db.read() as session:
        rows = session.execute(select(Appointment.id, Appointment.patient_id, Appointment.starts_at,
                                      Appointment.ends_at).where(
            Appointment.provider_id == PROVIDER, Appointment.starts_at >= since,
            Appointment.status.in_(["scheduled", "confirmed"]))).all()
    out = []
    for aid, pid, start, end in rows:
        s, e = start.astimezone(TZ), end.astimezone(TZ)
        if s.weekday() == weekday:
            out.append((aid, pid, s.hour * 60 + s.minute, e.hour * 60 + e.minute))
    return out


def open_rebooks(ctx) -> dict[int, int]:
    with ctx.db.read() as session:
        return dict(session.execute(select(Callback.patient_id, func.count()).where(
            Callback.reason == "rebook", Callback.status == "open").group_by(Callback.patient_id)).all())


def templates(ctx) -> list[tuple]:
    with ctx.db.read() as session:
        return session.execute(select(AvailabilityTemplate.id, AvailabilityTemplate.weekday,
                                      AvailabilityTemplate.start_minute, AvailabilityTemplate.end_minute,
                                      AvailabilityTemplate.valid_from, AvailabilityTemplate.valid_to)
                               .order_by(AvailabilityTemplate.id)).all()


def test_shorter_hours_call_back_exactly_the_patients_booked_outside_them_once(ctx):
    admin = actor_for(ctx, "admin")
    since = datetime.combine(DAY, datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    booked = booked_on_weekday(ctx, DAY.weekday(), since)
    morning = (8 * 60, 10 * 60)
    outside = sorted(aid for aid, _p, s, e in booked if not (morning[0] <= s and e <= morning[1]))
    inside = [aid for aid, _p, s, e in booked if morning[0] <= s and e <= morning[1]]
    assert outside and inside, "the demo day must have visits on both sides of 10:00"
    patients = {p for aid, p, _s, _e in booked if aid in outside}
    before = open_rebooks(ctx)
    args = {"hours": [morning], "slot_minutes": 20, "valid_from": DAY}

    preview = weekly_hours.preview_hours_change(ctx, admin, PROVIDER, DAY.weekday(), **args)
    assert sorted(a.id for a in preview) == outside
    assert open_rebooks(ctx) == before  # a preview changes nothing

    change = weekly_hours.set_weekly_hours(ctx, admin, PROVIDER, DAY.weekday(), **args)
    assert sorted(a.id for a in change.affected) == outside
    assert change.callbacks_created == len(patients - set(before))
    after = open_rebooks(ctx)
    assert all(after[p] == 1 for p in patients)
    assert {p: n for p, n in after.items() if p not in patients} == before  # nobody else called
    # The appointments stay on the book until the desk moves or cancels them.
    assert sorted(aid for aid, *_ in booked_on_weekday(ctx, DAY.weekday(), since)) == sorted(outside + inside)

    again = weekly_hours.set_weekly_hours(ctx, admin, PROVIDER, DAY.weekday(), **args)
    assert sorted(a.id for a in again.affected) == outside and again.callbacks_created == 0
    assert open_rebooks(ctx) == after


def test_a_day_off_lists_every_visit_that_weekday_and_longer_hours_list_none(ctx):
    admin = actor_for(ctx, "admin")
    since = datetime.combine(DAY, datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    every = sorted(aid for aid, *_ in booked_on_weekday(ctx, DAY.weekday(), since))
    off = weekly_hours.preview_hours_change(ctx, admin, PROVIDER, DAY.weekday(), hours=[], slot_minutes=20,
                                            valid_from=DAY)
    assert sorted(a.id for a in off) == every and every
    whole_day = weekly_hours.preview_hours_change(ctx, admin, PROVIDER, DAY.weekday(), hours=[(0, 1440)],
                                                  slot_minutes=20, valid_from=DAY)
    assert whole_day == ()
    # From a week later on, that day's visits keep their hours.
    later = weekly_hours.preview_hours_change(ctx, admin, PROVIDER, DAY.weekday(), hours=[], slot_minutes=20,
                                              valid_from=DAY + timedelta(days=7))
    assert all(a.starts_at >= since + timedelta(days=7) for a in later)


def test_bad_hours_are_refused_before_anyone_is_called(ctx):
    admin = actor_for(ctx, "admin")
    before_rebooks, before_templates = open_rebooks(ctx), templates(ctx)
    for hours, message in (([(600, 540)], "start before"), ([(540, 700), (600, 720)], "overlap"),
                           ([(540, 550)], "shorter than one slot")):
        with pytest.raises(UserError, match=message):
            weekly_hours.preview_hours_change(ctx, admin, PROVIDER, DAY.weekday(), hours=hours,
                                              slot_minutes=20, valid_from=DAY)
        with pytest.raises(UserError, match=message):
            weekly_hours.set_weekly_hours(ctx, admin, PROVIDER, DAY.weekday(), hours=hours, slot_minutes=20,
                                          valid_from=DAY)
    with pytest.raises(UserError, match="provider 99"):
        weekly_hours.preview_hours_change(ctx, admin, 99, 0, hours=[], slot_minutes=20, valid_from=DAY)
    assert open_rebooks(ctx) == before_rebooks and templates(ctx) == before_templates
