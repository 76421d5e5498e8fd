"""Issue 13: the key flows at any hour. A clinic seeded for the day of each instant (before
opening, lunchtime, late evening, and the day daylight saving ends in New York, a Sunday with
25 hours) has a check-in desk that opens on the right row, counts that add up, an
express-ready patient to check in, and a demo that looks like 10:30 on a weekday.

Cheap enough for every CI run; the whole suite at these instants is run with
COORDINATOR_TEST_CLOCK (tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.clock import FrozenClock, parse_instant
from coordinator_tui.domain.appointment_flow import is_active
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin as svc
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.services.demo.file import build_demo, demo_clock
from coordinator_tui.services.demo.schedule import snapshot_instant
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.schedule.schedule_view import day_schedule
from coordinator_tui.services.staff import actor_for
from coordinator_tui.store.engine import url_for_path
from coordinator_tui.store.migrate import ensure_current
from coordinator_tui.tui.screens.checkin.board import LATE_AFTER, first_to_come
from tests.conftest import CLINIC_TZ, make_context, make_settings

TZ = ZoneInfo(CLINIC_TZ)
INSTANTS = ["2026-11-23T07:59-05:00", "2026-11-23T12:30-05:00", "2026-11-23T23:30-05:00",
            "2026-11-01T10:45-05:00"]  # the last: Sunday, daylight saving ended at 02:00


@pytest.mark.parametrize("instant", INSTANTS)
def test_the_check_in_desk_at_any_hour(tmp_path, instant):
    at = parse_instant(instant)
    day = at.astimezone(TZ).date()
    path = tmp_path / "clinic.sqlite"
    ensure_current(url_for_path(path))
    ctx = make_context(path, FrozenClock(at))
    try:
        seed_clinic(ctx, patients=300, seed=5, day=day)
        actor = actor_for(ctx, "demo")
        rows = day_appointments(ctx, actor, day)
        assert rows and all(r.starts_at.astimezone(TZ).date() == day for r in rows)
        # The day's rows are 08:00-17:00 clinic time, on a 23- or 25-hour day too.
        schedule = day_schedule(ctx, actor, day)
        assert schedule.times[0].astimezone(TZ).hour == 8
        assert schedule.times[-1].astimezone(TZ).hour == 16
        # Where the list opens: a patient still to come, else (the day is over) the last row.
        row = rows[first_to_come(rows, ctx.now())]
        to_come = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED, S.ARRIVED)
                   and r.starts_at >= ctx.now() - LATE_AFTER]
        assert row == (to_come[0] if to_come else rows[-1])
        # The two desks' "booked" and the no-shows add up to every visit not cancelled.
        booked = sum(is_active(r.status) for r in rows)
        assert booked == sum(a.active for a in schedule.appointments)
        assert booked + sum(r.status is S.NO_SHOW for r in rows) == sum(r.status is not S.CANCELLED for r in rows)
        # An express-ready patient can be checked in, whatever the hour.
        ready = next(r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED)
                     and svc.is_express_ready(svc.checklist(ctx, actor, r.id)))
        assert svc.check_in(ctx, actor, ready.id, ready.version).to_status is S.ARRIVED
    finally:
        ctx.db.dispose()


@pytest.mark.parametrize("instant", INSTANTS)
def test_the_demo_at_any_hour(tmp_path, instant):
    settings = make_settings(tmp_path / "demo.sqlite")
    clock = demo_clock(settings, environ={}, wall=FrozenClock(parse_instant(instant)))
    start = clock.now().astimezone(TZ)
    assert start.weekday() < 5 and (start.hour, start.minute) == (10, 30)
    assert build_demo(settings, patients=300, seed=1, fresh=False, clock=clock)
    ctx = make_context(tmp_path / "demo.sqlite", FrozenClock(snapshot_instant(start.date(), TZ)))
    try:
        actor = actor_for(ctx, "demo")
        rows = day_appointments(ctx, actor, ctx.today())
        late = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED)
                and ctx.now() - r.starts_at > LATE_AFTER]
        to_come = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at >= ctx.now()]
        assert len(late) < len(to_come) / 4
        assert any(svc.is_express_ready(svc.checklist(ctx, actor, r.id)) for r in to_come)
        ctx.clock.advance(minutes=20)  # the demo's clock runs on: still a morning
        times = svc.walk_in_times(ctx, actor, [p.id for p in svc.providers(ctx, actor)])
        assert all(t is not None and t - ctx.now() < timedelta(hours=8) for t in times.values())
    finally:
        ctx.db.dispose()
