"""Dates as typed at the desk: T, T+7, T-1, t+2w, T+1m, mon, tomorrow, 12/24, 2026-12-24, 24 Dec.

One grammar for every date typed anywhere: the schedule's go-to, booking, callbacks, exports,
registration's birth date and the lookup box (which finds date-shaped text inside a query with the
shapes below and reads each one with `read_birth_date`).

Decisions (the desk types these all day, so each form means one thing only):
- Case and surrounding spaces do not matter; "T + 7" is "T+7"; a comma is a space ("Dec 24, 2026").
- Offsets: a bare number is days; d, w, m, y are days, weeks, months, years. Months and years use
  relativedelta, so Jan 31 + 1m is the last day of February.
- Dates with a year: 12/24/2026, 12-24-2026, 24.12.2026 (numeric: month/day, day/month with
  day_first), 2026-12-24 or 2026/12/24 (ISO, never day-first), 24 Dec 2026, Dec 24th, 2026,
  24-DEC-26, 12 24 2026 (four-digit year), 12242026 or 20261224 (eight digits). When the
  preferred order is no real date and the other is (25/12/2026 month-first), the other is taken.
- A date reads toward `prefer`:
  * "ahead" (the default: the schedule, booking, due dates): a date without a year ("12/24",
    "24 dec") is its next occurrence, today included, unless it fell within the last
    RECENT_PAST_DAYS days ("11/28" typed on 2 December is that Saturday, not next year's): so
    "1/5" typed in November is next January. A weekday name is its next occurrence including
    today: "mon" typed on a Monday is today; "T+7" reaches the Monday after. A two-digit year
    is the one nearest today's (26 -> 2026, 99 -> 1999).
  * "past" (birth dates, "since"): a date without a year or a weekday is its latest occurrence
    up to today; a two-digit year is 20yy unless that is after today, then 19yy.
- Impossible dates (2/30), other spellings, control characters and non-ASCII text are refused
  with DateNotUnderstood, whose message quotes what was typed and shows what works, and whose
  `reason` says which (for forms that word their own message).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Literal, NoReturn

from dateutil.relativedelta import relativedelta

MAX_LENGTH = 32
EXAMPLES = "T, T+7, T-1, T+2w, T+1m, mon, tomorrow, 12/24, 12/24/2026, 2026-12-24 or 24 Dec 2026"
RECENT_PAST_DAYS = 60  # a year-less date this recent means the past one, not next year's
MIN_BIRTH_YEAR = 1880

Prefer = Literal["ahead", "past"]

# Why a text was refused (DateNotUnderstood.reason).
EMPTY, UNKNOWN, IMPOSSIBLE, OUT_OF_RANGE, FUTURE = "empty", "unknown", "impossible", "range", "future"

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

# --- shapes of a date with a year (the lookup box finds these inside free text) -------------
# [0-9], never \d: \d matches other scripts' digits, which int() would then quietly accept.
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![^\W\d_])"
)
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DSEP = r"[\s\-/.,]"
# Numeric parts must not touch other digits or date punctuation, so "1-800-555-0123" is no date.
_NUM_START = r"(?<![\w/.\-])"
_NUM_END = r"(?![\w/\-]|\.[0-9])"

DATE_DAY_MONTH = re.compile(rf"(?<!\w){_DAY}{_DSEP}*{_MON}{_DSEP}*{_YEAR}(?!\w)", re.I)
DATE_MONTH_DAY = re.compile(rf"(?<!\w){_MON}{_DSEP}*{_DAY}{_DSEP}+{_YEAR}(?!\w)", re.I)
DATE_NUMERIC = re.compile(
    rf"{_NUM_START}(?P<a>[0-9]{{1,2}})(?P<sep>[/\-.])(?P<b>[0-9]{{1,2}})(?P=sep){_YEAR}{_NUM_END}"
)
DATE_ISO = re.compile(
    rf"{_NUM_START}(?P<year>[0-9]{{4}})(?P<sep>[/\-.])(?P<a>[0-9]{{1,2}})(?P=sep)(?P<b>[0-9]{{1,2}}){_NUM_END}"
)
DATE_SPACED = re.compile(
    rf"{_NUM_START}(?P<a>[0-9]{{1,2}})\s+(?P<b>[0-9]{{1,2}})\s+(?P<year>[0-9]{{4}})(?!\w)"
)
_EIGHT_DIGITS = re.compile(r"[0-9]{8}")

# --- shapes without a year, and relative forms ------------------------------------------------
_OFFSET = re.compile(r"(?:t|today) ?([+-]) ?([0-9]{1,5}) ?([dwmy]?)")
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})")
_DAY_MONTH = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)? ([a-z]+)")
_MONTH_DAY = re.compile(r"([a-z]+) ([0-9]{1,2})(?:st|nd|rd|th)?")


class DateNotUnderstood(ValueError):
    """The typed text is not a date the desk grammar knows; the message is shown to the user."""

    def __init__(self, message: str, reason: str = UNKNOWN) -> None:
        super().__init__(message)
        self.reason = reason


FIRST_YEAR = 1800
YEARS_AHEAD = 100  # a booking or export date beyond this is a typo


def parse_day(text: str, *, today: date, day_first: bool = False, prefer: Prefer = "ahead") -> date:
    """The calendar day `text` means, relative to `today` (the clinic's local date)."""
    if not isinstance(text, str):
        raise DateNotUnderstood(f"Expected a date as text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise DateNotUnderstood(f"Enter a date, for example {EXAMPLES}", EMPTY)
    if len(stripped) > MAX_LENGTH:
        _refuse(stripped, "is too long to be a date")
    if any(unicodedata.category(ch).startswith("C") for ch in stripped):
        _refuse(stripped, "contains control characters")
    if not stripped.isascii():
        _refuse(stripped, "has characters a date does not use")

    key = " ".join(stripped.lower().replace(",", " ").split())
    try:
        result = _parse(key, today, day_first, prefer)
    except (ValueError, OverflowError):
        # date() refuses 2/30, 13/1, year 0; arithmetic can run past year 9999.
        _refuse(stripped, "is not a real date", IMPOSSIBLE)
    if result is None:
        _refuse(stripped, "is not a date I understand")
    if not FIRST_YEAR <= result.year <= today.year + YEARS_AHEAD:
        # 9999-12-31 parses, but a day's bounds then run past what datetime can hold.
        _refuse(
            stripped,
            f"is not a clinic day (years {FIRST_YEAR} to {today.year + YEARS_AHEAD})",
            OUT_OF_RANGE,
        )
    return result


def read_birth_date(text: str, *, today: date, day_first: bool = False) -> date:
    """A birth date as typed at registration or in the lookup box: the desk grammar read toward
    the past ("3/4/85" is 1985, "3/4" the last 4 March), never after `today`, never before
    MIN_BIRTH_YEAR. Raises DateNotUnderstood (reason FUTURE or OUT_OF_RANGE for those two)."""
    value = parse_day(text, today=today, day_first=day_first, prefer="past")
    if value > today:
        _refuse(text.strip(), "is in the future; a birth date is today or before", FUTURE)
    if value.year < MIN_BIRTH_YEAR:
        _refuse(text.strip(), f"is before {MIN_BIRTH_YEAR}; check the year", OUT_OF_RANGE)
    return value


def _parse(key: str, today: date, day_first: bool, prefer: Prefer) -> date | None:
    if key in ("t", "today"):
        return today
    if key == "tomorrow":
        return today + timedelta(days=1)
    if key == "yesterday":
        return today - timedelta(days=1)
    if key in _WEEKDAYS:
        if prefer == "past":
            return today - timedelta(days=(today.weekday() - _WEEKDAYS[key]) % 7)
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

    # With a year.
    if m := DATE_DAY_MONTH.fullmatch(key) or DATE_MONTH_DAY.fullmatch(key):
        month = _MONTHS[m["mon"][:3]]
        return _with_year(m["year"], month, int(m["day"]), today, prefer)
    if m := DATE_NUMERIC.fullmatch(key) or DATE_SPACED.fullmatch(key):
        return _either_order(int(m["a"]), int(m["b"]), day_first, today, prefer, m["year"])
    if m := DATE_ISO.fullmatch(key):
        return date(int(m["year"]), int(m["a"]), int(m["b"]))
    if _EIGHT_DIGITS.fullmatch(key):
        return _eight_digits(key, day_first, today, prefer)

    # Without a year.
    if m := _SLASHED.fullmatch(key):
        return _either_order(int(m[1]), int(m[2]), day_first, today, prefer, None)
    if (m := _DAY_MONTH.fullmatch(key)) and m[2] in _MONTHS:
        return _without_year(_MONTHS[m[2]], int(m[1]), today, prefer)
    if (m := _MONTH_DAY.fullmatch(key)) and m[1] in _MONTHS:
        return _without_year(_MONTHS[m[1]], int(m[2]), today, prefer)
    return None


def _either_order(a: int, b: int, day_first: bool, today: date, prefer: Prefer,
                  year: str | None) -> date:
    """a/b[/year]: the preferred order, or the other when only the other is a real date."""
    orders = ((b, a), (a, b)) if day_first else ((a, b), (b, a))
    first_error: ValueError | None = None
    for month, day in orders:
        try:
            if year is None:
                return _without_year(month, day, today, prefer)
            return _with_year(year, month, day, today, prefer)
        except ValueError as exc:
            first_error = first_error or exc
    raise first_error  # type: ignore[misc]


def _eight_digits(digits: str, day_first: bool, today: date, prefer: Prefer) -> date:
    """MMDDYYYY (DDMMYYYY with day_first, either when the other is impossible), else YYYYMMDD.
    A reading outside the clinic's years is no reading, so 20010101 is 1 January 2001."""
    try:
        found = _either_order(int(digits[0:2]), int(digits[2:4]), day_first, today, prefer,
                              digits[4:])
        if FIRST_YEAR <= found.year:
            return found
    except ValueError:
        pass
    return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))


def _with_year(year_text: str, month: int, day: int, today: date, prefer: Prefer) -> date:
    if len(year_text) == 4:
        return date(int(year_text), month, day)
    short = int(year_text)
    century = today.year - today.year % 100
    if prefer == "past":
        # This century unless that would be after today (a birth date is never in the future).
        years = [century + short, century - 100 + short]
    else:
        years = sorted((century - 100 + short, century + short, century + 100 + short),
                       key=lambda y: (abs(y - today.year), -y))
    found: list[date] = []
    for year in years:
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue  # 29 February of a year that had none
    if not found:
        raise ValueError("no such day")
    if prefer == "past":
        return next((d for d in found if d <= today), found[0])
    return found[0]


def _without_year(month: int, day: int, today: date, prefer: Prefer) -> date:
    date(2000, month, day)  # ValueError for 2/30, 13/1 (2000 was a leap year: 2/29 is real)
    before: date | None = None
    after: date | None = None
    for year in range(today.year - 8, today.year + 9):  # 29 February comes every 4 or 8 years
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found <= today:
            before = found
        elif after is None:
            after = found
    if prefer == "past":
        return before  # type: ignore[return-value]
    if before == today or (before and (today - before).days <= RECENT_PAST_DAYS) or after is None:
        return before  # type: ignore[return-value]
    return after


def _refuse(text: str, reason: str, kind: str = UNKNOWN) -> NoReturn:
    # Quote what was typed, cut short and with control characters made visible, so a pasted
    # blob cannot break the status line that shows this message.
    shown = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text[:40])
    if len(text) > 40:
        shown += "..."
    raise DateNotUnderstood(f'"{shown}" {reason}. Try {EXAMPLES}.', kind)
