"""The queries behind the day views read only the shown day's rows, never the whole status
history: a clinic's fifth year must cost the same as its first day (issue 23). Checked on the
statements the services really send, with SQLite's own EXPLAIN QUERY PLAN."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.schedule.schedule_view import day_schedule
from tests.conftest import CLINIC_DAY
from tests.helpers.history import add_history
from tests.helpers.sent_statements import statements_sent

HISTORY = "appointment_status_events"


def _plan(ctx, statement: str, parameters) -> list[str]:
    with ctx.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        return [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]


@pytest.mark.parametrize("view", ["check-in board", "day schedule"])
def test_day_views_never_scan_the_status_history(ctx, desk_user, view):
    work = {
        "check-in board": lambda: day_appointments(ctx, desk_user, CLINIC_DAY),
        "day schedule": lambda: day_schedule(ctx, desk_user, CLINIC_DAY),
    }[view]
    add_history(ctx, weeks=8)
    with ctx.db.read() as session:
        assert session.scalar(text(f"SELECT count(*) FROM {HISTORY}")) > 0  # a real history

    reading_history = [(s, p) for s, p in statements_sent(ctx, work, ("SELECT",)) if HISTORY in s]
    assert reading_history, f"the {view} shows status times, so it must read the history"
    for statement, parameters in reading_history:
        plan = _plan(ctx, statement, parameters)
        scans = [step for step in plan if step.startswith("SCAN") and HISTORY in step]
        assert not scans, f"{view} scans the whole status history: {plan}"
        assert any(step.startswith("SEARCH") and HISTORY in step for step in plan), plan


def test_status_times_are_the_latest_event_and_the_latest_arrival(ctx, desk_user):
    rows = day_appointments(ctx, desk_user, CLINIC_DAY)
    with ctx.db.read() as session:
        latest = dict(session.execute(text(
            f"SELECT appointment_id, max(at) FROM {HISTORY} GROUP BY appointment_id")).all())
        arrived = dict(session.execute(text(
            f"SELECT appointment_id, max(at) FROM {HISTORY} WHERE to_status = 'arrived' "
            "GROUP BY appointment_id")).all())
    assert any(row.arrived_at for row in rows), "the seeded day has arrivals to compare"
    for row in rows:
        assert _text(row.status_since) == _naive(latest.get(row.id))
        assert _text(row.arrived_at) == _naive(arrived.get(row.id))


def _text(value) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _naive(stored) -> datetime | None:
    return None if stored is None else datetime.fromisoformat(str(stored)).replace(tzinfo=None)
