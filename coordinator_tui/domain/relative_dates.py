"""Dates as typed at the desk: T, T+7, T-1, t+2w, T+1m, mon, tomorrow, 12/24, 2026-12-24, 24 Dec.

Decisions (the desk types these all day, so each form means one thing only):
- Case and surrounding spaces do not matter; "T + 7" is "T+7"; a comma is a space ("Dec 24, 2026").
- Offsets: a bare number is days; d, w, m, y are days, weeks, months, years. Months and years use
  relativedelta, so Jan 31 + 1m is the last day of February.
- A weekday name (or its 3-letter form) is its next occurrence INCLUDING today: "mon" typed on a
  Monday is today. "T+7" reaches the Monday after.
- "12/24" is month/day (day/month with day_first) in today's year, even if that day has passed;
  a year, when typed, has four digits (a two-digit year is refused rather than guessed).
- Impossible dates (2/30), other spellings, control characters and non-ASCII text are refused
  with DateNotUnderstood, whose message quotes what was typed and shows what works.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import NoReturn

from dateutil.relativedelta import relativedelta

MAX_LENGTH = 32
EXAMPLES = "T, T+7, T-1, T+2w, T+1m, mon, tomorrow, 12/24, 12/24/2026, 2026-12-24 or 24 Dec 2026"

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# [0-9], never \d: \d matches other scripts' digits, which int() would then quietly accept.
_OFFSET = re.compile(r"(?:t|today) ?([+-]) ?([0-9]{1,5}) ?([dwmy]?)")
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DAY_MONTH = re.compile(r"([0-9]{1,2}) ([a-z]+)(?: ([0-9]{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+) ([0-9]{1,2})(?: ([0-9]{4}))?")


class DateNotUnderstood(ValueError):
    """The typed text is not a date the desk grammar knows; the message is shown to the user."""


FIRST_YEAR = 1800
YEARS_AHEAD = 100  # a booking or export date beyond this is a typo


def parse_day(text: str, *, today: date, day_first: bool = False) -> date:
    """The calendar day `text` means, relative to `today` (the clinic's local date)."""
    if not isinstance(text, str):
        raise DateNotUnderstood(f"Expected a date as text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise DateNotUnderstood(f"Enter a date, for example {EXAMPLES}")
    if len(stripped) > MAX_LENGTH:
        _refuse(stripped, "is too long to be a date")
    if any(unicodedata.category(ch).startswith("C") for ch in stripped):
        _refuse(stripped, "contains control characters")
    if not stripped.isascii():
        _refuse(stripped, "has characters a date does not use")

    key = " ".join(stripped.lower().replace(",", " ").split())
    try:
        result = _parse(key, today, day_first)
    except (ValueError, OverflowError):
        # date() refuses 2/30, 13/1, year 0; arithmetic can run past year 9999.
        _refuse(stripped, "is not a real date")
    if result is None:
        _refuse(stripped, "is not a date I understand")
    if not FIRST_YEAR <= result.year <= today.year + YEARS_AHEAD:
        # 9999-12-31 parses, but a day's bounds then run past what datetime can hold.
        _refuse(stripped, f"is not a clinic day (years {FIRST_YEAR} to {today.year + YEARS_AHEAD})")
    return result


def _parse(key: str, today: date, day_first: bool) -> date | None:
    if key in ("t", "today"):
        return today
    if key == "tomorrow":
        return today + timedelta(days=1)
    if key == "yesterday":
        return today - timedelta(days=1)
    if key in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[key] - today.weekday()) % 7)

    if m := _OFFSET.fullmatch(key):
        sign, count, unit = m.groups()
        amount = int(count) * (1 if sign == "+" else -1)
        step = {
            "": relativedelta(days=amount),
            "d": relativedelta(days=amount),
            "w": relativedelta(weeks=amount),
            "m": relativedelta(months=amount),
            "y": relativedelta(years=amount),
        }[unit]
        return today + step
    if m := _SLASHED.fullmatch(key):
        first, second, year = m.groups()
        month, day = (second, first) if day_first else (first, second)
        return date(int(year) if year else today.year, int(month), int(day))
    if m := _ISO.fullmatch(key):
        year, month, day = m.groups()
        return date(int(year), int(month), int(day))
    if m := _DAY_MONTH.fullmatch(key):
        day, month_name, year = m.groups()
        return _named_month(month_name, day, year, today)
    if m := _MONTH_DAY.fullmatch(key):
        month_name, day, year = m.groups()
        return _named_month(month_name, day, year, today)
    return None


def _named_month(month_name: str, day: str, year: str | None, today: date) -> date | None:
    if month_name not in _MONTHS:
        return None
    return date(int(year) if year else today.year, _MONTHS[month_name], int(day))


def _refuse(text: str, reason: str) -> NoReturn:
    # Quote what was typed, cut short and with control characters made visible, so a pasted
    # blob cannot break the status line that shows this message.
    shown = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text[:40])
    if len(text) > 40:
        shown += "..."
    raise DateNotUnderstood(f'"{shown}" {reason}. Try {EXAMPLES}.')
