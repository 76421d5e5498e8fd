"""Where the reports' SQL differs between SQLite and PostgreSQL, in one place.

SQLite keeps an instant as naive UTC text and counts with strftime/julianday; PostgreSQL keeps a
timestamptz (sessions run in UTC: store/pg.py) and counts with extract/to_char. Every piece of
clock arithmetic the reports need is one method here, written for each engine; the rest of the
reports' SQL is written once for both (sums of CASE, never sums of booleans; CASE, never the
two-argument min).

Both engines give the same numbers because what leaves the database is exact: whole seconds
(each instant floored to its second), integer tenths of a minute, calendar days and 'YYYY-MM-DD'
text, never a floating-point minute rounded by one engine or the other."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38)  # unixepoch(): whole seconds, as strftime('%s')


def count_if(condition: str) -> str:
    """How many rows meet `condition` (SQLite sums booleans, PostgreSQL does not)."""
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def flag(condition: str) -> str:
    """1 where `condition` holds, else 0 (a PostgreSQL boolean is no number)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def smaller(a: str, b: str) -> str:
    """The smaller of two values (SQLite's min(a, b) is PostgreSQL's least(a, b))."""
    return f"CASE WHEN {a} <= {b} THEN {a} ELSE {b} END"


def tenths(seconds: str) -> str:
    """Whole seconds as whole tenths of a minute, half away from zero, in integer arithmetic
    (both engines' integer division truncates towards zero)."""
    return (f"CASE WHEN {seconds} >= 0 THEN ({seconds} * 10 + 30) / 60 "
            f"ELSE -((30 - {seconds} * 10) / 60) END")


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" or "postgresql"

    @property
    def pg(self) -> bool:
        return self.name == "postgresql"

    # --- values handed to a statement ---------------------------------------------------------

    def bound(self, moment: datetime):
        """An instant as the column holds it: naive UTC text (SQLite), aware (PostgreSQL)."""
        utc = moment.astimezone(UTC)
        return utc if self.pg else utc.strftime(FORMAT)

    def bound_day(self, day: date):
        return day if self.pg else day.isoformat()

    # --- instants -----------------------------------------------------------------------------

    def epoch_seconds(self, instant: str) -> str:
        """Whole seconds since 1970 of a stored instant (floored)."""
        if self.pg:
            return f"CAST(floor(extract(epoch FROM {instant})) AS BIGINT)"
        if _UNIXEPOCH:  # 2.5 times as fast as strftime('%s') on a year of a busy clinic
            return f"unixepoch({instant})"
        return f"CAST(strftime('%s', {instant}) AS INTEGER)"

    # --- wall-clock time (a stored instant moved by the zone's offset in minutes) ------------

    def local(self, instant: str, offset_minutes: str) -> str:
        """The clinic's wall-clock time of a stored instant, `offset_minutes` being SQL for the
        zone's offset at that instant (services/reports/facts.py::offset_case)."""
        if self.pg:
            return f"(({instant} AT TIME ZONE 'UTC') + ({offset_minutes}) * interval '1 minute')"
        # A Julian day number: SQLite's date functions take one as it is (to the millisecond),
        # where a text time would be printed and parsed again.
        return f"(julianday({instant}) + ({offset_minutes}) / 1440.0)"

    def day(self, local: str) -> str:
        """A wall-clock time's date as 'YYYY-MM-DD' text."""
        return f"to_char({local}, 'YYYY-MM-DD')" if self.pg else f"date({local})"

    def weekday(self, local: str) -> str:
        """Monday 0 .. Sunday 6."""
        if self.pg:
            return f"(CAST(extract(isodow FROM {local}) AS INTEGER) - 1)"
        return f"((CAST(strftime('%w', {local}) AS INTEGER) + 6) % 7)"

    def hour(self, local: str) -> str:
        if self.pg:
            return f"CAST(extract(hour FROM {local}) AS INTEGER)"
        return f"CAST(strftime('%H', {local}) AS INTEGER)"

    def days_between(self, later: str, earlier: str) -> str:
        """Calendar days from the date of wall-clock time `earlier` to that of `later`."""
        if self.pg:
            return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"
        return f"CAST(julianday(date({later})) - julianday(date({earlier})) AS INTEGER)"

    def week_start(self, day_text: str) -> str:
        """The Monday of a 'YYYY-MM-DD' day, as the same text."""
        if self.pg:
            return f"to_char(date_trunc('week', CAST({day_text} AS DATE)), 'YYYY-MM-DD')"
        return (f"date({day_text}, '-' || ((CAST(strftime('%w', {day_text}) AS INTEGER) + 6) % 7) "
                "|| ' days')")


def dialect_of(session) -> Dialect:
    return Dialect(session.get_bind().dialect.name)
