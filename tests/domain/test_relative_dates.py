"""Dates as typed at the desk."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator_tui.domain.relative_dates import (
    EMPTY,
    FUTURE,
    IMPOSSIBLE,
    OUT_OF_RANGE,
    RECENT_PAST_DAYS,
    UNKNOWN,
    DateNotUnderstood,
    parse_day,
    read_birth_date,
)

WED = date(2026, 3, 11)  # a Wednesday


def test_reference_day_is_a_wednesday():
    assert WED.weekday() == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", WED),
        ("t", WED),
        ("today", WED),
        ("TODAY", WED),
        ("  T  ", WED),
        ("T+7", date(2026, 3, 18)),
        ("T-1", date(2026, 3, 10)),
        ("t+0", WED),
        ("T + 7", date(2026, 3, 18)),
        ("T+30", date(2026, 4, 10)),
        ("T-11", date(2026, 2, 28)),
        ("T+3d", date(2026, 3, 14)),
        ("t+2w", date(2026, 3, 25)),
        ("T-1W", date(2026, 3, 4)),
        ("T+1m", date(2026, 4, 11)),
        ("T-3m", date(2025, 12, 11)),
        ("T+1y", date(2027, 3, 11)),
        ("today+2", date(2026, 3, 13)),
        ("tomorrow", date(2026, 3, 12)),
        ("Yesterday", date(2026, 3, 10)),
    ],
)
def test_relative_forms(text, expected):
    assert parse_day(text, today=WED) == expected


def test_month_offset_clamps_to_end_of_month():
    assert parse_day("T+1m", today=date(2026, 1, 31)) == date(2026, 2, 28)
    assert parse_day("T+1m", today=date(2028, 1, 31)) == date(2028, 2, 29)
    assert parse_day("T+1y", today=date(2028, 2, 29)) == date(2029, 2, 28)


def test_offsets_cross_year_boundaries():
    assert parse_day("T+1", today=date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_day("T-1", today=date(2026, 1, 1)) == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Next occurrence including today: "wed" on a Wednesday is today.
        ("wed", WED),
        ("Wednesday", WED),
        ("thu", date(2026, 3, 12)),
        ("thurs", date(2026, 3, 12)),
        ("fri", date(2026, 3, 13)),
        ("sat", date(2026, 3, 14)),
        ("SUN", date(2026, 3, 15)),
        ("mon", date(2026, 3, 16)),
        ("monday", date(2026, 3, 16)),
        ("tue", date(2026, 3, 17)),
        ("tues", date(2026, 3, 17)),
        ("Tuesday", date(2026, 3, 17)),
    ],
)
def test_weekday_names(text, expected):
    assert parse_day(text, today=WED) == expected


def test_weekday_on_every_day_of_the_week_is_within_six_days():
    for offset in range(7):
        today = date(2026, 3, 9 + offset)  # Mon 9 .. Sun 15
        result = parse_day("mon", today=today)
        assert result.weekday() == 0
        assert 0 <= (result - today).days <= 6
    assert parse_day("mon", today=date(2026, 3, 9)) == date(2026, 3, 9)
    assert parse_day("mon", today=date(2026, 3, 10)) == date(2026, 3, 16)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("12/24", False, date(2026, 12, 24)),
        ("5/2", False, date(2026, 5, 2)),
        ("5/2", True, date(2026, 2, 5)),  # 34 days ago: recent, so this year's
        ("24/12", True, date(2026, 12, 24)),
        ("12/24/2026", False, date(2026, 12, 24)),
        ("24/12/2027", True, date(2027, 12, 24)),
        ("02/03/1961", False, date(1961, 2, 3)),
        ("2026-12-24", False, date(2026, 12, 24)),
        ("2026-12-24", True, date(2026, 12, 24)),  # ISO is never day-first
        ("1961-2-3", False, date(1961, 2, 3)),
        ("24 Dec", False, date(2026, 12, 24)),
        ("24 december 2027", False, date(2027, 12, 24)),
        ("Dec 24 2026", False, date(2026, 12, 24)),
        ("Dec 24, 2026", False, date(2026, 12, 24)),
        ("dec 24", False, date(2026, 12, 24)),
        ("3 Sept", False, date(2026, 9, 3)),
        ("may 1", False, date(2026, 5, 1)),
    ],
)
def test_absolute_forms(text, day_first, expected):
    assert parse_day(text, today=WED, day_first=day_first) == expected


# --- a date without a year is the next one, unless it was recent (issue 13: `g 1/5` in November)


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2026, 11, 23), "1/5", date(2027, 1, 5)),  # the issue: not last January
        (date(2026, 11, 23), "jan 5", date(2027, 1, 5)),
        (date(2026, 11, 23), "5 January", date(2027, 1, 5)),
        (date(2026, 11, 23), "12/24", date(2026, 12, 24)),
        (date(2026, 11, 23), "11/23", date(2026, 11, 23)),  # today
        (date(2026, 11, 23), "11/20", date(2026, 11, 20)),  # last Friday, not next year's
        (date(2026, 12, 31), "12/31", date(2026, 12, 31)),
        (date(2026, 12, 31), "1/1", date(2027, 1, 1)),
        (date(2026, 12, 31), "12/30", date(2026, 12, 30)),
        (date(2027, 1, 1), "12/31", date(2026, 12, 31)),  # yesterday, across the year end
        (date(2027, 1, 1), "12/24", date(2026, 12, 24)),
        (date(2027, 1, 1), "1/1", date(2027, 1, 1)),
        (date(2027, 1, 1), "1/2", date(2027, 1, 2)),
        (date(2027, 1, 1), "6/1", date(2027, 6, 1)),
        (date(2026, 3, 11), "1/10", date(2026, 1, 10)),  # 60 days back: still this year's
        (date(2026, 3, 11), "1/9", date(2027, 1, 9)),  # 61 days back: next year's
        (date(2026, 3, 11), "2/29", date(2028, 2, 29)),  # the next 29 February
    ],
)
def test_a_year_less_date_is_the_next_one_unless_recent(today, text, expected):
    assert parse_day(text, today=today) == expected


def test_a_year_less_date_follows_day_first_across_the_year_end():
    assert parse_day("5/1", today=date(2026, 11, 23), day_first=True) == date(2027, 1, 5)
    assert parse_day("31/12", today=date(2027, 1, 2), day_first=True) == date(2026, 12, 31)


def test_a_year_less_date_is_within_a_year_of_today_for_every_day():
    # Whatever the day it is typed, a year-less date lands between RECENT_PAST_DAYS back and
    # a year ahead: never a year stale.
    today = date(2026, 1, 1)
    while today < date(2029, 1, 1):
        for text in ("1/1", "1/5", "2/28", "6/15", "12/31"):
            found = parse_day(text, today=today)
            assert -RECENT_PAST_DAYS <= (found - today).days < 366 - RECENT_PAST_DAYS + 1
        today += timedelta(days=1)


def test_past_reading_of_a_year_less_date_and_weekdays():
    today = date(2026, 11, 23)  # a Monday
    assert parse_day("1/5", today=today, prefer="past") == date(2026, 1, 5)
    assert parse_day("12/24", today=today, prefer="past") == date(2025, 12, 24)
    assert parse_day("mon", today=today, prefer="past") == today
    assert parse_day("fri", today=today, prefer="past") == date(2026, 11, 20)
    assert parse_day("2/29", today=today, prefer="past") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2/30",  # impossible
        "2/29/2026",  # not a leap year
        "13/13",  # no month 13 either way
        "4/31/2026",
        "2026-02-30",
        "2026-13-01",
        "0000-01-01",
        "31 Feb",
        "Feb 30 2026",
    ],
)
def test_impossible_dates_are_refused(text):
    with pytest.raises(DateNotUnderstood, match="not a real date"):
        parse_day(text, today=WED)


def test_the_other_order_is_taken_only_when_the_preferred_is_no_real_date():
    # The lookup box's rule (25/12/1985 is Christmas whichever way round the clinic writes).
    assert parse_day("13/1", today=WED, day_first=True) == date(2026, 1, 13)
    assert parse_day("1/13", today=WED, day_first=True) == date(2026, 1, 13)
    assert parse_day("13/1/2026", today=WED) == date(2026, 1, 13)
    assert parse_day("1/2/2026", today=WED) == date(2026, 1, 2)
    assert parse_day("1/2/2026", today=WED, day_first=True) == date(2026, 2, 1)


def test_offset_past_year_9999_is_refused():
    with pytest.raises(DateNotUnderstood, match="not a real date"):
        parse_day("T+99999y", today=WED)
    with pytest.raises(DateNotUnderstood, match="not a real date"):
        parse_day("T-99999d", today=date(1, 1, 2))


@pytest.mark.parametrize(
    "text",
    [
        "T+",
        "T+7x",
        "+7",
        "T7",
        "T++7",
        "T+1.5",
        "T+123456",  # more digits than any sane offset
        "next mon",
        "mo",
        "24 Foo",
        "Foo 24",
        "12/24/2",
        "12/24/202",
        "12-24",
        "2026/12",
        "12/24/2026/1",
        "1961-2",
        "now",
        "?",
        "0",
        "'; DROP TABLE patients;--",
    ],
)
def test_unknown_forms_are_refused(text):
    with pytest.raises(DateNotUnderstood) as info:
        parse_day(text, today=WED)
    message = str(info.value)
    assert f'"{text}"' in message
    assert "T+7" in message and "2026-12-24" in message


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_is_refused(text):
    with pytest.raises(DateNotUnderstood, match="Enter a date"):
        parse_day(text, today=WED)


def test_overlong_is_refused_and_quote_is_cut_short():
    text = "T" + "+1" * 100
    with pytest.raises(DateNotUnderstood, match="too long") as info:
        parse_day(text, today=WED)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("text", ["T\x00", "T+\x1b[31m7", "12/\x0824", "T\u200b+7", "\x7f"])
def test_control_characters_are_refused(text):
    with pytest.raises(DateNotUnderstood, match="control characters") as info:
        parse_day(text, today=WED)
    # What is quoted back is safe to put on a status line.
    assert "\x1b" not in str(info.value) and "\x00" not in str(info.value)


def test_surrounding_newline_from_a_paste_is_ignored():
    assert parse_day("T+7\n", today=WED) == date(2026, 3, 18)


@pytest.mark.parametrize(
    "text",
    [
        "T+\uff17",  # fullwidth 7: int() would accept it, the grammar must not
        "\u0661\u0662/\u0662\u0664",  # Arabic-Indic digits
        "ma\u00f1ana",
        "24 d\u00e9c",
        "T\u22127",  # minus sign, not hyphen
    ],
)
def test_non_ascii_is_refused(text):
    with pytest.raises(DateNotUnderstood, match="characters a date does not use") as info:
        parse_day(text, today=WED)
    assert text in str(info.value)


def test_wrong_type_is_refused():
    with pytest.raises(DateNotUnderstood):
        parse_day(20261224, today=WED)  # type: ignore[arg-type]


def test_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_day("soon", today=WED)


def test_a_year_far_outside_clinic_work_is_refused():
    # 9999-12-31 is a real date, but the end of that day cannot be held by datetime.
    for text in ("9999-12-31", "12/31/9999", "T+200y", "1799-12-31"):
        with pytest.raises(DateNotUnderstood, match="not a clinic day"):
            parse_day(text, today=WED)
    assert parse_day("1850-06-01", today=WED) == date(1850, 6, 1)  # old birth dates still parse


# --- one grammar with the lookup box and the registration form ----------------------------


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("12/24/26", False, date(2026, 12, 24)),  # two digits: the year nearest today's
        ("24/12/26", True, date(2026, 12, 24)),
        ("1/2/99", False, date(1999, 1, 2)),
        ("12-24-2026", False, date(2026, 12, 24)),
        ("24.12.2026", True, date(2026, 12, 24)),
        ("3.4.85", False, date(1985, 3, 4)),
        ("2026/12/24", True, date(2026, 12, 24)),
        ("December 24th, 2026", False, date(2026, 12, 24)),
        ("24-DEC-26", False, date(2026, 12, 24)),
        ("12 24 2026", False, date(2026, 12, 24)),
        ("12242026", False, date(2026, 12, 24)),
        ("24122026", True, date(2026, 12, 24)),
        ("20261224", False, date(2026, 12, 24)),
        ("24th dec", False, date(2026, 12, 24)),
    ],
)
def test_the_lookup_box_shapes_work_everywhere(text, day_first, expected):
    assert parse_day(text, today=WED, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("3/4/85", False, date(1985, 3, 4)),
        ("3/4/85", True, date(1985, 4, 3)),
        ("3/4/1985", False, date(1985, 3, 4)),
        ("1985-03-04", True, date(1985, 3, 4)),
        ("4 Mar 1985", False, date(1985, 3, 4)),
        ("March 4th, 1985", False, date(1985, 3, 4)),
        ("04-MAR-85", False, date(1985, 3, 4)),
        ("19850304", False, date(1985, 3, 4)),
        ("03041985", False, date(1985, 3, 4)),
        ("25/12/85", False, date(1985, 12, 25)),
        ("3/4/26", False, date(2026, 3, 4)),  # last week: a baby
        ("3/12/26", False, date(1926, 3, 12)),  # 2026-03-12 is tomorrow: last century
        ("3/11/26", False, date(2026, 3, 11)),  # born today
        ("3/4", False, date(2026, 3, 4)),  # no year: the latest 4 March
        ("3/12", False, date(2025, 3, 12)),  # tomorrow's day last year
        ("mon", False, date(2026, 3, 9)),  # the latest Monday
        ("T", False, WED),  # a newborn
        ("T-3", False, date(2026, 3, 8)),
    ],
)
def test_birth_dates_read_toward_the_past(text, day_first, expected):
    assert read_birth_date(text, today=WED, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3/12/2026", FUTURE),
        ("T+1", FUTURE),
        ("tomorrow", FUTURE),
        ("1/1/1850", OUT_OF_RANGE),
        ("2/30/1985", IMPOSSIBLE),
        ("13/13/85", IMPOSSIBLE),
        ("2/29/1985", IMPOSSIBLE),
        ("3/4/198", UNKNOWN),
        ("soon", UNKNOWN),
        ("", EMPTY),
    ],
)
def test_birth_date_refusals_say_why(text, reason):
    with pytest.raises(DateNotUnderstood) as info:
        read_birth_date(text, today=WED)
    assert info.value.reason == reason


def test_two_digit_leap_day_takes_the_century_that_had_one():
    assert read_birth_date("2/29/00", today=WED) == date(2000, 2, 29)
    assert read_birth_date("2/29/24", today=date(2023, 1, 1)) == date(1924, 2, 29)
