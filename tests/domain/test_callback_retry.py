"""When a callback is due again after a failed call (issue 13: it stayed first and OVERDUE)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.domain.callback_retry import next_try, when_words

NY = ZoneInfo("America/New_York")
MON = date(2026, 11, 23)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(("now", "minutes", "expected"), [
    (at(MON, 10, 45), 120, at(MON, 12, 45)),
    (at(MON, 15, 0), 120, at(MON, 17, 0)),  # the end of calling hours still counts
    (at(MON, 15, 1), 120, at(date(2026, 11, 24), 9, 0)),  # next morning, not 17:01
    (at(MON, 7, 30), 120, at(MON, 9, 30)),
    (at(MON, 23, 0), 30, at(date(2026, 11, 24), 9, 0)),  # past midnight: next morning
    (at(date(2026, 11, 27), 16, 0), 120, at(date(2026, 11, 30), 9, 0)),  # Friday -> Monday
    (at(date(2026, 11, 28), 10, 0), 120, at(date(2026, 11, 28), 12, 0)),  # working a Saturday
    (at(date(2026, 11, 28), 16, 0), 120, at(date(2026, 11, 30), 9, 0)),
    (at(MON, 10, 0), 5, at(MON, 10, 5)),
])
def test_next_try(now, minutes, expected):
    assert next_try(now, minutes) == expected


def test_before_calling_hours_is_the_same_morning():
    assert next_try(at(MON, 5, 0), 120) == at(MON, 9, 0)
    # 8 March 2026 springs forward at 02:00: still that morning at 09:00.
    assert next_try(datetime(2026, 3, 8, 1, 30, tzinfo=NY), 120) == datetime(2026, 3, 8, 9, 0, tzinfo=NY)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        next_try(datetime(2026, 11, 23, 10, 0), 120)


def test_when_words():
    assert when_words(at(MON, 12, 45), MON) == "12:45"
    assert when_words(at(date(2026, 11, 24), 9, 0), MON) == "tomorrow 09:00"
    assert when_words(at(date(2026, 11, 30), 9, 0), date(2026, 11, 27)) == "Mon 30 Nov 09:00"
