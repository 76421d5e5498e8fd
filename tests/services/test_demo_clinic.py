"""The demo clinic: realistic, deterministic for a seed and day, and a morning in mixed states."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE, FrozenClock, parse_instant
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin as svc
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.services.demo.file import build_demo, demo_clock
from coordinator_tui.services.demo.schedule import demo_day, snapshot_instant
from coordinator_tui.services.desk_views import day_appointments, open_callbacks
from coordinator_tui.services.schedule.schedule_view import day_schedule
from coordinator_tui.services.staff import actor_for
from coordinator_tui.store.engine import url_for_path
from coordinator_tui.store.migrate import ensure_current
from tests.conftest import CLINIC_DAY, CLINIC_TZ, make_context, make_settings
from tests.helpers.engines import raw_connect


def _dump(path) -> list:
    conn = raw_connect(path)
    rows = []
    for table in ("patients", "coverages", "appointments", "appointment_status_events", "callbacks", "payments"):
        rows += conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    conn.close()
    return rows


def _seed(path, seed):
    ensure_current(url_for_path(path))
    ctx = make_context(path)
    seed_clinic(ctx, patients=400, seed=seed, day=CLINIC_DAY)
    ctx.db.dispose()


def test_same_seed_and_day_give_the_same_clinic(tmp_path):
    _seed(tmp_path / "a.sqlite", 3)
    _seed(tmp_path / "b.sqlite", 3)
    _seed(tmp_path / "c.sqlite", 4)
    assert _dump(tmp_path / "a.sqlite") == _dump(tmp_path / "b.sqlite")
    assert _dump(tmp_path / "a.sqlite") != _dump(tmp_path / "c.sqlite")


def test_the_demo_morning(ctx, desk_user):
    rows = day_appointments(ctx, desk_user, CLINIC_DAY)
    assert 100 <= len(rows) <= 150  # "about 120"
    statuses = Counter(r.status for r in rows)
    for status in (S.ARRIVED, S.CHECKED_OUT, S.NO_SHOW, S.CONFIRMED, S.SCHEDULED):
        assert statuses[status] > 0, statuses
    # As the clinic looks at its 10:30 snapshot, whatever the suite's clock says.
    at = snapshot_instant(CLINIC_DAY, ZoneInfo(CLINIC_TZ))
    late = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at < at]
    assert late, "some patients are late"
    waiting = [r for r in rows if r.status is S.ARRIVED]
    assert all(r.arrived_at is not None and r.arrived_at <= at for r in waiting)
    assert [r.starts_at for r in rows] == sorted(r.starts_at for r in rows)
    assert 8 <= len(open_callbacks(ctx, desk_user)) <= 20  # "a dozen"


def test_patients_look_real(seeded_path):
    conn = raw_connect(seeded_path)
    names = [r[0] + r[1] for r in conn.execute("SELECT given_name, family_name FROM patients")]
    providers = conn.execute("SELECT count(*) FROM providers").fetchone()[0]
    templates = conn.execute("SELECT count(DISTINCT provider_id) FROM availability_templates").fetchone()[0]
    insured = conn.execute("SELECT count(DISTINCT patient_id) FROM coverages").fetchone()[0]
    mrns = conn.execute("SELECT count(DISTINCT mrn) FROM patients").fetchone()[0]
    conn.close()
    assert 6 <= providers <= 10 and templates == providers
    assert any(not n.isascii() for n in names), "non-ASCII names are ordinary names"
    assert 0.75 < insured / len(names) < 0.95
    assert mrns == len(names)


# --- issue 13: the demo looks like a clinic mid-morning whatever the hour -----------------------


def test_the_demo_day_is_the_nearest_weekday():
    monday = date(2026, 11, 23)
    assert [demo_day(monday + timedelta(days=n)) for n in range(7)] == [
        monday, monday + timedelta(days=1), monday + timedelta(days=2), monday + timedelta(days=3),
        monday + timedelta(days=4), monday + timedelta(days=4), monday + timedelta(days=7)]


@pytest.mark.parametrize("wall", ["2026-11-23T23:00-05:00", "2026-11-24T00:30-05:00",
                                  "2026-11-23T06:10-05:00", "2026-11-28T23:00-05:00",
                                  "2026-11-29T12:00-05:00", "2026-11-01T01:30-04:00"])
def test_the_demo_clock_starts_at_10_30_on_the_demo_day_and_runs_forward(wall):
    settings = make_settings(Path("unused.sqlite"))
    at = parse_instant(wall)
    clock = demo_clock(settings, environ={}, wall=FrozenClock(at))
    local = clock.now().astimezone(settings.tz)
    assert local.date() == demo_day(at.astimezone(settings.tz).date()) and local.weekday() < 5
    assert (local.hour, local.minute) == (10, 30)
    assert clock.now() > snapshot_instant(local.date(), settings.tz) - timedelta(seconds=1)
    # COORDINATOR_CLOCK wins: tests and rehearsals pick their own instant.
    chosen = demo_clock(settings, environ={CLOCK_VARIABLE: "2026-11-23T15:00-05:00"}, wall=FrozenClock(at))
    assert abs(chosen.now() - parse_instant("2026-11-23T15:00-05:00")) < timedelta(minutes=1)


def _expected_now(ctx, actor, at):
    rows = day_appointments(ctx, actor, CLINIC_DAY)
    return [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at >= at]


def test_a_third_of_the_patients_still_expected_are_express_ready(seeded_path):
    """At the demo's 10:30 the patients to come include express-ready ones (nothing outstanding
    on the checklist), so 'letters + Enter + Enter' can be tried at once."""
    at = snapshot_instant(CLINIC_DAY, ZoneInfo(CLINIC_TZ))
    ctx = make_context(seeded_path, FrozenClock(at))
    try:
        actor = actor_for(ctx, "demo")
        expected = _expected_now(ctx, actor, at)
        ready = [r for r in expected if svc.is_express_ready(svc.checklist(ctx, actor, r.id))]
        assert len(expected) >= 20
        assert 0.28 <= len(ready) / len(expected) <= 0.4, (len(ready), len(expected))
        # ...and still ready a few minutes later, as the demo's clock runs on.
        ctx.clock.advance(minutes=30)
        assert all(svc.is_express_ready(svc.checklist(ctx, actor, r.id)) for r in ready)
    finally:
        ctx.db.dispose()


def test_providers_work_weekdays_only(seeded_path):
    conn = raw_connect(seeded_path)
    try:
        weekdays = {r[0] for r in conn.execute("SELECT DISTINCT weekday FROM availability_templates "
                                               "WHERE valid_to IS NULL")}
        days = {date.fromisoformat(str(r[0])[:10]) for r in conn.execute("SELECT starts_at FROM appointments")}
    finally:
        conn.close()
    assert weekdays == {0, 1, 2, 3, 4}
    # Appointment days in UTC: a clinic day's last visits are before 17:00 local, so the same day.
    assert {d.weekday() for d in days if d != CLINIC_DAY} <= {0, 1, 2, 3, 4}


def test_a_clinic_seeded_for_a_weekend_day_opens_that_day_only(tmp_path):
    sunday = date(2026, 11, 1)  # also the day daylight saving ends in New York
    path = tmp_path / "sunday.sqlite"
    ensure_current(url_for_path(path))
    ctx = make_context(path, FrozenClock(snapshot_instant(sunday, ZoneInfo(CLINIC_TZ))))
    try:
        seed_clinic(ctx, patients=300, seed=2, day=sunday)
        actor = actor_for(ctx, "demo")
        assert len(day_appointments(ctx, actor, sunday)) > 50
        assert day_schedule(ctx, actor, sunday).providers[0].cells[0].kind != "outside"
        next_sunday = sunday + timedelta(days=7)
        assert not day_appointments(ctx, actor, next_sunday)
        assert all(c.kind == "outside" for c in day_schedule(ctx, actor, next_sunday).providers[0].cells)
    finally:
        ctx.db.dispose()


def test_the_demo_built_at_23_00_shows_a_morning_with_patients_to_come(tmp_path):
    """Built and opened late in the evening (wall clock 23:00), the demo is at 10:30: few late,
    patients to come, express-ready ones among them, and walk-in times free for every provider."""
    settings = make_settings(tmp_path / "demo.sqlite")
    clock = demo_clock(settings, environ={}, wall=FrozenClock(parse_instant("2026-11-23T23:00-05:00")))
    assert build_demo(settings, patients=800, seed=1, fresh=False, clock=clock)
    ctx = make_context(tmp_path / "demo.sqlite", FrozenClock(clock.now()))
    try:
        actor = actor_for(ctx, "demo")
        day = ctx.today()
        rows = day_appointments(ctx, actor, day)
        late = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and ctx.now() - r.starts_at
                > timedelta(minutes=svc.LATE_AFTER_MINUTES)]
        to_come = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at >= ctx.now()]
        assert len(late) <= 10 and len(to_come) >= 40, (len(late), len(to_come))
        assert any(svc.is_express_ready(svc.checklist(ctx, actor, r.id)) for r in to_come)
        times = svc.walk_in_times(ctx, actor, [p.id for p in svc.providers(ctx, actor)])
        assert times and all(t is not None and t.astimezone(settings.tz).date() == day for t in times.values())
    finally:
        ctx.db.dispose()
