"""A time zone's UTC offsets over a span of instants, as the list of changes: what lets the
database turn stored UTC instants into clinic wall-clock days and hours (in SQL, for a year of
visits at once) exactly, daylight-saving changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def offset_minutes(tz: ZoneInfo, instant: datetime) -> int:
    return int(instant.astimezone(tz).utcoffset().total_seconds() // 60)


def offset_changes(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from this UTC instant on, offset in minutes), ...] covering [start, end]; the first
    entry starts at `start`. Zones change at most a few times a year, so a day's step finds
    each change and a bisection pins it to the second."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    changes = [(start, offset_minutes(tz, start))]
    here = start
    while here < end:
        there = min(here + timedelta(days=1), end)
        if offset_minutes(tz, there) != changes[-1][1]:
            low, high = here, there  # the offset changes in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset_minutes(tz, middle) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high.replace(microsecond=0), offset_minutes(tz, high)))
        here = there
    return changes
