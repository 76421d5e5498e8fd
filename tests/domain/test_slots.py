"""Slot arithmetic on ordinary and daylight-saving days; expected instants written out in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.domain.slots import (
    day_bounds_utc,
    free_slots,
    open_for_walk_in,
    overlaps,
    slot_starts,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
NY_SPRING = date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT (07:00Z)
NY_FALL = date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST (06:00Z)
BERLIN_SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST (01:00Z)
BERLIN_FALL = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET (01:00Z)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instants: list[datetime], tz: ZoneInfo) -> list[str]:
    return [i.astimezone(tz).strftime("%H:%M %Z") for i in instants]


# --- day_bounds_utc ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "tz", "start", "end", "hours"),
    [
        (date(2026, 1, 15), NY, utc(2026, 1, 15, 5), utc(2026, 1, 16, 5), 24),
        (date(2026, 7, 15), NY, utc(2026, 7, 15, 4), utc(2026, 7, 16, 4), 24),
        (NY_SPRING, NY, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (NY_FALL, NY, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        (BERLIN_SPRING, BERLIN, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),
        (BERLIN_FALL, BERLIN, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),
        (date(2026, 3, 8), ZoneInfo("UTC"), utc(2026, 3, 8), utc(2026, 3, 9), 24),
    ],
)
def test_day_bounds(day, tz, start, end, hours):
    got_start, got_end = day_bounds_utc(day, tz)
    assert (got_start, got_end) == (start, end)
    assert got_start.utcoffset() == timedelta(0) and got_end.utcoffset() == timedelta(0)
    assert got_end - got_start == timedelta(hours=hours)


def test_consecutive_days_tile_without_gaps():
    day = date(2026, 10, 20)
    for _ in range(20):  # across Berlin's fall-back
        assert day_bounds_utc(day, BERLIN)[1] == day_bounds_utc(day + timedelta(days=1), BERLIN)[0]
        day += timedelta(days=1)


# --- slot_starts ------------------------------------------------------------------------------


def test_ordinary_day_clinic_hours():
    starts = slot_starts(date(2026, 1, 15), NY, time(9), time(17), 30)
    assert len(starts) == 16
    assert starts[0] == utc(2026, 1, 15, 14)
    assert starts[-1] == utc(2026, 1, 15, 21, 30)
    assert all(s.tzinfo is UTC for s in starts)


def test_summer_day_uses_daylight_offset():
    starts = slot_starts(date(2026, 7, 15), NY, time(9), time(10), 20)
    assert starts == [utc(2026, 7, 15, 13), utc(2026, 7, 15, 13, 20), utc(2026, 7, 15, 13, 40)]


def test_last_slot_must_end_by_closing_time():
    starts = slot_starts(date(2026, 1, 15), NY, time(9), time(10), 45)
    assert starts == [utc(2026, 1, 15, 14)]  # 09:45 + 45 min would end at 10:30


def test_new_york_spring_forward_skips_the_missing_hour():
    starts = slot_starts(NY_SPRING, NY, time(0), time(4), 30)
    assert starts == [
        utc(2026, 3, 8, 5),
        utc(2026, 3, 8, 5, 30),
        utc(2026, 3, 8, 6),
        utc(2026, 3, 8, 6, 30),
        utc(2026, 3, 8, 7),
        utc(2026, 3, 8, 7, 30),
    ]
    assert local(starts, NY) == [
        "00:00 EST", "00:30 EST", "01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT",
    ]  # fmt: skip


def test_new_york_fall_back_yields_the_repeated_hour_twice():
    starts = slot_starts(NY_FALL, NY, time(0), time(3), 30)
    assert starts == [utc(2026, 11, 1, 4) + timedelta(minutes=30 * i) for i in range(8)]
    assert local(starts, NY) == [
        "00:00 EDT", "00:30 EDT", "01:00 EDT", "01:30 EDT",
        "01:00 EST", "01:30 EST", "02:00 EST", "02:30 EST",
    ]  # fmt: skip
    assert len(set(starts)) == len(starts)


def test_berlin_spring_forward():
    starts = slot_starts(BERLIN_SPRING, BERLIN, time(1), time(4), 30)
    assert starts == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1),
                      utc(2026, 3, 29, 1, 30)]  # fmt: skip
    assert local(starts, BERLIN) == ["01:00 CET", "01:30 CET", "03:00 CEST", "03:30 CEST"]


def test_berlin_fall_back():
    starts = slot_starts(BERLIN_FALL, BERLIN, time(1), time(4), 30)
    assert starts[0] == utc(2026, 10, 24, 23)
    assert starts[-1] == utc(2026, 10, 25, 2, 30)
    assert local(starts, BERLIN) == [
        "01:00 CEST", "01:30 CEST", "02:00 CEST", "02:30 CEST",
        "02:00 CET", "02:30 CET", "03:00 CET", "03:30 CET",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("day", "tz", "count"),
    [
        (date(2026, 1, 15), NY, 24),
        (NY_SPRING, NY, 23),
        (NY_FALL, NY, 25),
        (BERLIN_SPRING, BERLIN, 23),
        (BERLIN_FALL, BERLIN, 25),
    ],
)
def test_whole_day_has_one_slot_per_real_hour(day, tz, count):
    starts = slot_starts(day, tz, time(0), time(0), 60)  # end midnight = end of the day
    assert len(starts) == count
    assert starts[0] == day_bounds_utc(day, tz)[0]
    assert starts[-1] + timedelta(hours=1) == day_bounds_utc(day, tz)[1]


@pytest.mark.parametrize(("day", "tz"), [(NY_SPRING, NY), (NY_FALL, NY), (BERLIN_FALL, BERLIN)])
@pytest.mark.parametrize("minutes", [15, 20, 45, 90])
def test_slots_are_back_to_back_real_intervals(day, tz, minutes):
    starts = slot_starts(day, tz, time(0), time(6), minutes)
    assert starts
    for earlier, later in pairwise(starts):
        assert later - earlier == timedelta(minutes=minutes)
    for start in starts:
        wall = start.astimezone(tz)
        assert wall.date() == day
        # Round-trips: every slot starts at a wall-clock time that really exists.
        assert wall.replace(tzinfo=None).replace(tzinfo=tz, fold=wall.fold).astimezone(UTC) == start


def test_45_minute_slots_cross_the_gap_by_elapsed_time():
    starts = slot_starts(NY_SPRING, NY, time(0), time(5), 45)
    assert local(starts, NY) == ["00:00 EST", "00:45 EST", "01:30 EST", "03:15 EDT", "04:00 EDT"]


def test_opening_time_inside_the_gap_moves_forward_by_the_gap():
    starts = slot_starts(NY_SPRING, NY, time(2, 30), time(5), 30)
    assert local(starts, NY)[0] == "03:30 EDT"
    assert starts[0] == utc(2026, 3, 8, 7, 30)


def test_repeated_opening_time_means_first_occurrence_unless_fold_given():
    assert slot_starts(NY_FALL, NY, time(1, 30), time(3), 30)[0] == utc(2026, 11, 1, 5, 30)
    later = slot_starts(NY_FALL, NY, time(1, 30, fold=1), time(3), 30)
    assert later[0] == utc(2026, 11, 1, 6, 30)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (time(9), time(17), 0),
        (time(9), time(17), -30),
        (time(17), time(9), 30),
        (time(9), time(9), 30),
        (time(9, tzinfo=UTC), time(17), 30),
    ],
)
def test_slot_starts_refuses_bad_arguments(start, end, minutes):
    with pytest.raises(ValueError):
        slot_starts(date(2026, 1, 15), NY, start, end, minutes)


def test_slot_longer_than_opening_hours_gives_no_slots():
    assert slot_starts(date(2026, 1, 15), NY, time(9), time(9, 20), 30) == []


# --- overlaps ---------------------------------------------------------------------------------

A, B, C, D = (utc(2026, 1, 15, h) for h in (9, 10, 11, 12))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((A, B), (B, C), False),  # touching at the end
        ((B, C), (A, B), False),  # touching at the start
        ((A, B), (C, D), False),  # apart
        ((A, C), (B, D), True),  # partial
        ((B, D), (A, C), True),
        ((A, D), (B, C), True),  # contains
        ((B, C), (A, D), True),  # contained
        ((A, B), (A, B), True),  # identical
        ((A, C), (A, B), True),  # same start
    ],
)
def test_overlaps(a, b, expected):
    assert overlaps(*a, *b) is expected


def test_overlaps_compares_instants_not_wall_clocks():
    ny_10 = datetime(2026, 1, 15, 5, tzinfo=NY)  # 05:00 EST is 10:00 UTC
    assert not overlaps(A, B, ny_10, ny_10 + timedelta(hours=1))
    plus1 = timezone(timedelta(hours=1))
    assert overlaps(A, B, datetime(2026, 1, 15, 10, 30, tzinfo=plus1), D)


# --- free_slots -------------------------------------------------------------------------------

MORNING = [utc(2026, 1, 15, 9) + timedelta(minutes=30 * i) for i in range(6)]  # 09:00..11:30


def at(h: int, m: int = 0) -> datetime:
    return utc(2026, 1, 15, h, m)


def test_everything_free_for_a_single_slot():
    assert free_slots(MORNING, 30, [], 30) == MORNING


def test_busy_slot_is_taken_out():
    assert free_slots(MORNING, 30, [(at(10), at(10, 30))], 30) == [
        at(9), at(9, 30), at(10, 30), at(11), at(11, 30),
    ]  # fmt: skip


def test_long_appointment_must_not_run_into_busy_or_past_the_last_slot():
    # 09:30 runs into the busy half hour; 11:30 would run past 12:00, the last slot's end.
    assert free_slots(MORNING, 30, [(at(10), at(10, 30))], 60) == [at(9), at(10, 30), at(11)]


def test_touching_busy_interval_does_not_block():
    assert free_slots([at(9)], 30, [(at(9, 30), at(10)), (at(8), at(9))], 30) == [at(9)]


def test_busy_interval_partly_inside_a_slot_blocks_it():
    assert free_slots(MORNING[:2], 30, [(at(9, 10), at(9, 20))], 30) == [at(9, 30)]
    # Only the appointment's own interval matters: 15 minutes from 09:00 end before 09:20.
    assert free_slots(MORNING[:2], 30, [(at(9, 20), at(9, 25))], 15) == [at(9), at(9, 30)]
    assert free_slots(MORNING[:2], 30, [(at(9, 14), at(9, 25))], 15) == [at(9, 30)]


def test_short_appointment_in_a_long_slot():
    assert free_slots([at(9)], 30, [(at(9, 15), at(9, 30))], 15) == [at(9)]


def test_appointment_may_not_run_into_a_gap_between_slots():
    lunch = [at(11), at(11, 30), at(13), at(13, 30)]  # closed 12:00-13:00
    assert free_slots(lunch, 30, [], 60) == [at(11), at(13)]
    assert free_slots(lunch, 30, [], 90) == []


def test_appointment_longer_than_the_whole_day():
    assert free_slots(MORNING, 30, [], 181) == []
    assert free_slots(MORNING, 30, [], 180) == [at(9)]


def test_unsorted_and_duplicate_candidates():
    assert free_slots([at(9, 30), at(9), at(9, 30)], 30, [], 30) == [at(9), at(9, 30)]


def test_no_candidates():
    assert free_slots([], 30, [(at(9), at(10))], 30) == []


def test_busy_in_clinic_time_zone_is_compared_as_an_instant():
    busy_local = (datetime(2026, 1, 15, 5, tzinfo=NY), datetime(2026, 1, 15, 5, 30, tzinfo=NY))
    assert at(10) not in free_slots(MORNING, 30, [busy_local], 30)
    assert len(free_slots(MORNING, 30, [busy_local], 30)) == 5


def test_fall_back_repeated_hour_slots_are_booked_independently():
    starts = slot_starts(NY_FALL, NY, time(0), time(3), 30)
    first_0100 = utc(2026, 11, 1, 5)  # 01:00 EDT
    second_0100 = utc(2026, 11, 1, 6)  # 01:00 EST
    free = free_slots(starts, 30, [(first_0100, first_0100 + timedelta(minutes=30))], 30)
    assert first_0100 not in free
    assert second_0100 in free
    assert len(free) == len(starts) - 1


def test_spring_forward_appointment_spans_the_gap_in_real_time():
    starts = slot_starts(NY_SPRING, NY, time(1), time(4), 30)  # 01:00, 01:30 EST, 03:00, 03:30 EDT
    # 60 minutes from 01:30 EST end at 03:30 EDT: the slots are back to back in real time.
    assert utc(2026, 3, 8, 6, 30) in free_slots(starts, 30, [], 60)


@pytest.mark.parametrize(("slot", "length"), [(0, 30), (30, 0), (-30, 30), (30, -5)])
def test_free_slots_refuses_nonpositive_lengths(slot, length):
    with pytest.raises(ValueError):
        free_slots(MORNING, slot, [], length)


@pytest.mark.parametrize(("slot", "gone", "offered"), [
    (20, 0, True), (20, -30, True),  # to come
    (20, 10, True), (20, 11, False), (20, 18, False), (20, 19, False),  # 10 minutes at most
    (60, 10, True), (60, 12, False),  # however long the slot
    (10, 5, True), (10, 6, False), (15, 7.5, True), (15, 8, False),  # half of a short slot
])
def test_a_slot_under_way_is_offered_to_a_walk_in_only_while_they_can_still_be_seen(slot, gone, offered):
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert open_for_walk_in(start, slot, start + timedelta(minutes=gone)) is offered
