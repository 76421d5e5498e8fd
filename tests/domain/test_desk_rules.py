"""The rules the screens and services share (issue 14): late threshold, next status, clock
times, part-of-day words. One place each, in domain/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.domain.appointment_flow import allowed_next, next_status
from coordinator_tui.domain.hours import PARTS_OF_DAY, day_instant, parse_clock, part_of_day_word
from coordinator_tui.domain.lateness import LATE_AFTER_MINUTES, is_late, late_minutes
from coordinator_tui.domain.vocab import AppointmentStatus as S

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_late_only_when_still_expected_and_past_the_grace_period():
    just_after = START + timedelta(minutes=LATE_AFTER_MINUTES, seconds=1)
    assert is_late(S.SCHEDULED, START, just_after) and is_late(S.CONFIRMED, START, just_after)
    assert not is_late(S.SCHEDULED, START, START + timedelta(minutes=LATE_AFTER_MINUTES))
    assert not is_late(S.ARRIVED, START, START + timedelta(hours=1))
    assert late_minutes(START, START + timedelta(minutes=10)) == 0
    assert late_minutes(START, START + timedelta(minutes=25)) == 25


def test_next_status_walks_the_forward_flow_and_stops():
    chain, status = [], S.SCHEDULED
    while (status := next_status(status)) is not None:
        chain.append(status)
    assert chain == [S.CONFIRMED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT]
    assert all(next_status(s) in allowed_next(s) for s in chain[:-1])
    assert next_status(S.CANCELLED) is None and next_status("no_show") is None


def test_clock_times():
    assert parse_clock("13:00") == 780 and parse_clock("24:00") == 1440
    for bad in ("25:00", "12:60", "noon", ""):
        with pytest.raises(ValueError, match="HH:MM|not a time"):
            parse_clock(bad, "start")


def test_day_instant_is_local_time_in_utc():
    tz = ZoneInfo("America/New_York")
    assert day_instant(date(2026, 7, 1), 13 * 60, tz) == datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
    assert day_instant(date(2026, 7, 1), 1440, tz) == datetime(2026, 7, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed, part", [("", "any"), ("any", "any"), ("AM", "am"), ("morning", "am"),
                                         ("mornings", "am"), ("pm", "pm"), ("afternoon", "pm"),
                                         ("evening", None), ("noon", None)])
def test_part_of_day_words_are_the_same_in_both_booking_forms(typed, part):
    assert part_of_day_word(typed) == part
    assert part is None or part in PARTS_OF_DAY
