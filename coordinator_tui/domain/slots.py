"""Slot arithmetic: schedules are drawn in the clinic's wall-clock time, stored as UTC instants.

Decision on daylight-saving days: a slot is a real interval of elapsed time. `slot_starts` begins
at the local opening time and steps `slot_minutes` of real time (in UTC) until the next slot would
end after the local closing time. So slots never overlap and always last exactly `slot_minutes`:
- spring forward (America/New_York 2026-03-08, 02:00 -> 03:00): 01:30 EST is followed by
  03:00 EDT; the nonexistent 02:00 and 02:30 are skipped;
- fall back (2026-11-01, 02:00 -> 01:00): 01:00 and 01:30 each appear twice, once as EDT and once
  as EST, two different real instants, each exactly once.
A local time given as opening or closing hour that does not exist that day is moved forward by
the gap (02:30 -> 03:30, as dateutil's resolve_imaginary does); one that happens twice means its
first occurrence (time(1, 30, fold=1) asks for the second). An `end` of midnight (time(0)) means
the midnight that ends the day, so time(0)..time(0) is the whole day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coordinator_tui.domain.lateness import LATE_AFTER

# A slot already under way is offered to a walk-in while the patient can still be seen in it: no
# more than the late grace has gone (a booked patient that late is still seen in their slot), and
# no more than half of the slot. A slot nearly over is not offered: its end a minute away, the
# walk-in would be booked into time that is gone.


def open_for_walk_in(start: datetime, slot_minutes: int, now: datetime) -> bool:
    """A walk-in may be booked at `start` (a slot of `slot_minutes`) at `now`: a slot to come, or
    one under way with at most LATE_AFTER and at most half of it gone."""
    gone = now - start
    return gone <= min(LATE_AFTER, timedelta(minutes=slot_minutes) / 2)


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar day as aware UTC instants (23 or 25 h on DST days)."""
    return _to_utc(day, time(0), tz), _to_utc(day + timedelta(days=1), time(0), tz)


def slot_starts(
    day: date, tz: ZoneInfo, start: time, end: time, slot_minutes: int
) -> list[datetime]:
    """Aware UTC starts of the slots of `day` from local `start` to local `end` (see module doc)."""
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes must be positive, got {slot_minutes}")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("start and end are local wall-clock times; pass them without tzinfo")
    first = _to_utc(day, start, tz)
    last_end = (
        _to_utc(day + timedelta(days=1), end, tz) if end == time(0) else _to_utc(day, end, tz)
    )
    if last_end <= first:
        raise ValueError(f"end {end} must be after start {start}")
    step = timedelta(minutes=slot_minutes)
    starts = []
    current = first
    while current + step <= last_end:
        starts.append(current)
        current += step  # aware-UTC arithmetic is elapsed time, never wall-clock time
    return starts


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [start, end): one ending as the other starts does not overlap."""
    return a_start < b_end and b_start < a_end


def free_slots(
    candidate_starts: Iterable[datetime],
    slot_minutes: int,
    busy: Iterable[tuple[datetime, datetime]],
    length_minutes: int,
) -> list[datetime]:
    """Candidate starts where an appointment of `length_minutes` fits.

    It fits when [start, start + length) overlaps no busy interval and lies wholly inside the
    offered slots: it may run on into the following slots only while they are back to back, so it
    neither runs past the last slot's end nor into a gap such as lunch. Sorted, no duplicates.
    """
    if slot_minutes <= 0 or length_minutes <= 0:
        raise ValueError("slot_minutes and length_minutes must be positive")
    slot = timedelta(minutes=slot_minutes)
    length = timedelta(minutes=length_minutes)
    starts = sorted(set(candidate_starts))
    busy = list(busy)

    # Merge the offered slots into runs of back-to-back time; map each start to its run's end.
    run_end: dict[datetime, datetime] = {}
    run: list[datetime] = []
    for index, start in enumerate(starts):
        run.append(start)
        following = starts[index + 1] if index + 1 < len(starts) else None
        if following is None or following > start + slot:
            for member in run:
                run_end[member] = start + slot
            run = []
        # A following start inside this slot (overlapping candidates) keeps the run going too.

    free = []
    for start in starts:
        finish = start + length
        if finish > run_end[start]:
            continue
        if any(overlaps(start, finish, b_start, b_end) for b_start, b_end in busy):
            continue
        free.append(start)
    return free


def _to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    # fold=0: a repeated time is its first occurrence, a skipped one is moved on by the gap.
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
