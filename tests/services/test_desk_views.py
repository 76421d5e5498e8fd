"""What the desks open with, read straight from the store."""

from __future__ import annotations

from datetime import date, timedelta

from coordinator_tui.domain.vocab import Priority
from coordinator_tui.services.desk_views import (
    age_on,
    day_appointments,
    open_callbacks,
    patient_count,
    patient_page,
)
from tests.conftest import CLINIC_DAY, SEEDED_PATIENTS


def test_age_counts_whole_years_and_birthdays():
    assert age_on(date(2000, 11, 23), date(2026, 11, 23)) == 26
    assert age_on(date(2000, 11, 24), date(2026, 11, 23)) == 25
    assert age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21


def test_a_day_holds_only_that_days_appointments_in_clinic_time(ctx, desk_user):
    tz = ctx.settings.tz
    for day in (CLINIC_DAY, CLINIC_DAY + timedelta(days=1)):
        rows = day_appointments(ctx, desk_user, day)
        assert rows
        assert {r.starts_at.astimezone(tz).date() for r in rows} == {day}


def test_patient_pages_are_in_name_order_and_do_not_overlap(ctx, desk_user):
    first = patient_page(ctx, desk_user, limit=50)
    last = first[-1]
    from coordinator_tui.domain.names import name_key

    second = patient_page(ctx, desk_user, after_key=(name_key(last.family_name), name_key(last.given_name), last.id),
                          limit=50)
    assert len(first) == len(second) == 50
    assert not {r.id for r in first} & {r.id for r in second}
    keys = [(name_key(r.family_name), name_key(r.given_name)) for r in first + second]
    assert keys == sorted(keys)
    assert patient_count(ctx, desk_user) == SEEDED_PATIENTS


def test_open_callbacks_most_urgent_first_then_due(ctx, desk_user):
    rows = open_callbacks(ctx, desk_user)
    order = [(r.priority.rank, r.due_at) for r in rows]
    assert order == sorted(order)
    assert rows[0].priority in (Priority.URGENT, Priority.HIGH)
