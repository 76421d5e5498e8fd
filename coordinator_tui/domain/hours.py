"""Working hours as typed at the desk: "08:00", "8:30", "24:00"; blocks as
"08:00-12:00, 13:00-17:00"; "off" for a day not worked. Pure: no I/O."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_CLOCK = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?")


def parse_clock(text: str, what: str = "the time") -> int:
    """Minutes after midnight for "HH:MM" (or "HH"); 24:00 is the end of the day."""
    if not isinstance(text, str):
        raise ValueError(f"{what}: type a time as HH:MM")
    key = text.strip()
    match = _CLOCK.fullmatch(key)
    if not match:
        raise ValueError(f"{what}: {key[:12]!r} is not a time; type HH:MM, for example 08:30")
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"{what}: {key} is not a time of day (HH:MM, 00:00 to 24:00)")
    return hours * 60 + minutes


def parse_blocks(text: str) -> list[tuple[int, int]]:
    """ "08:00-12:00, 13:00-17:00" -> [(480, 720), (780, 1020)]; "off" -> [].

    An empty box is refused, not read as "off": a day off calls back every patient booked on it,
    so it has to be said."""
    key = text.strip().lower() if isinstance(text, str) else ""
    if not key:
        raise ValueError("type the hours as 08:00-12:00, or off")
    if key in ("off", "-", "none"):
        return []
    blocks = []
    for part in key.split(","):
        start_text, dash, end_text = part.strip().partition("-")
        if not dash:
            raise ValueError(f"hours {part.strip()[:12]!r}: type start-end, for example 08:00-12:00")
        start, end = parse_clock(start_text, "start"), parse_clock(end_text, "end")
        if end <= start:
            raise ValueError(f"hours {part.strip()}: the end must be after the start")
        blocks.append((start, end))
    blocks.sort()
    for (_s1, e1), (s2, _e2) in zip(blocks, blocks[1:], strict=False):
        if s2 < e1:
            raise ValueError("blocks of hours overlap")
    return blocks


def day_instant(day: date, minutes: int, tz: tzinfo) -> datetime:
    """The UTC instant `minutes` after local midnight of `day` (1440: the next midnight)."""
    if minutes == 24 * 60:
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) + timedelta(days=1)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz).astimezone(UTC)


# Part of the day for finding a free slot, as the desk types it (both booking forms).
PARTS_OF_DAY = ("any", "am", "pm")
PART_OF_DAY_WORDS = {"": "any", "any": "any", "a": "any", "am": "am", "morning": "am", "mornings": "am",
                     "pm": "pm", "afternoon": "pm", "afternoons": "pm"}


def part_of_day_word(text: str) -> str | None:
    """ "morning" -> "am", "afternoons" -> "pm", "" -> "any"; None when not a part of the day."""
    return PART_OF_DAY_WORDS.get(text.strip().lower()) if isinstance(text, str) else None


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekday(text: str) -> int:
    key = text.strip().lower()[:3] if isinstance(text, str) else ""
    if key not in WEEKDAYS:
        raise ValueError(f"weekday: one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


HALF_DAYS = {"am": (0, 12 * 60), "pm": (12 * 60, 24 * 60)}


def parse_part_of_day(text: str) -> tuple[int, int]:
    """A half-day block as typed: "am" (to noon), "pm" (from noon), or one range "13:00-15:30".
    Returns (start_minute, end_minute) of the local day."""
    if not isinstance(text, str):
        raise ValueError("part of the day: am, pm or a time range like 13:00-15:00")
    key = text.strip().lower()
    if key in HALF_DAYS:
        return HALF_DAYS[key]
    if not key or key in ("off", "-", "none"):
        raise ValueError("part of the day: am, pm or a time range like 13:00-15:00")
    blocks = parse_blocks(key)
    if len(blocks) != 1:
        raise ValueError("part of the day: one time range only, like 13:00-15:00")
    return blocks[0]
