"""What every report is counted from: one row per appointment in the period, with the times its
status events put it into each step of the visit. Two prebuilt SQL statements (the ORM costs
several times the raw query on a year of a busy clinic), read in one transaction.

- The period is whole clinic days [start, end], turned into UTC instants by the clinic's time
  zone (a daylight-saving day is 23 or 25 hours long); a visit belongs to the day it was booked
  to start, even when it ends after midnight.
- A merged-away patient's visits count as the survivor's (`merged_into_id`).
- A step's time is the last event into that status, and only when the visit's status is at or
  beyond it now: an arrival that was undone is no arrival.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus as S

ATTENDED = frozenset({S.ARRIVED.value, S.ROOMED.value, S.WITH_PROVIDER.value, S.CHECKED_OUT.value})
STEPS = (S.ARRIVED.value, S.ROOMED.value, S.WITH_PROVIDER.value, S.CHECKED_OUT.value)
# How far along the visit each status is: a step's time counts when the status has reached it.
REACHED = {S.ARRIVED.value: 1, S.ROOMED.value: 2, S.WITH_PROVIDER.value: 3, S.CHECKED_OUT.value: 4}

_VISITS = text("""
SELECT a.id, coalesce(p.merged_into_id, a.patient_id), a.provider_id, a.appointment_type_id,
       a.starts_at, a.created_at, a.status, a.is_walk_in
FROM appointments a JOIN patients p ON p.id = a.patient_id
WHERE a.starts_at >= :start AND a.starts_at < :end
""")
_STEPS = text("""
SELECT e.appointment_id, e.to_status, max(e.at), e.by_id
FROM appointments a JOIN appointment_status_events e ON e.appointment_id = a.id
WHERE a.starts_at >= :start AND a.starts_at < :end
  AND e.to_status IN ('arrived', 'roomed', 'with_provider', 'checked_out')
GROUP BY e.appointment_id, e.to_status
""")
_NAMES = text("SELECT id, short_name FROM providers")
_TYPES = text("SELECT id, code FROM appointment_types")
_STAFF = text("SELECT id, username FROM staff_users")
# Every visit before the period's end that was attended, or was a no-show: a patient's history.
_HISTORY = text("""
SELECT coalesce(p.merged_into_id, a.patient_id), a.starts_at, a.status
FROM appointments a JOIN patients p ON p.id = a.patient_id
WHERE a.starts_at < :end
  AND a.status IN ('arrived', 'roomed', 'with_provider', 'checked_out', 'no_show')
""")


def instant(value) -> datetime | None:
    """A stored instant (naive UTC text, or a datetime) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def sql_bound(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(slots=True)
class Visit:
    id: int
    patient_id: int
    provider: str
    type_code: str
    starts_at: datetime  # UTC
    local_start: datetime  # clinic time
    created_at: datetime | None
    status: str
    walk_in: bool
    arrived: datetime | None = None
    roomed: datetime | None = None
    with_provider: datetime | None = None
    done: datetime | None = None
    arrived_by: str | None = None  # who checked the patient in

    @property
    def day(self) -> date:
        return self.local_start.date()

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED

    @property
    def no_show(self) -> bool:
        return self.status == S.NO_SHOW.value

    def lead_days(self, tz: ZoneInfo) -> int:
        if self.created_at is None:
            return 0
        return (self.day - self.created_at.astimezone(tz).date()).days


@dataclass
class Period:
    start: date
    end: date  # inclusive

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return day_bounds_utc(self.start, tz)[0], day_bounds_utc(self.end, tz)[1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def load_visits(session, period: Period, tz: ZoneInfo, provider: str | None = None) -> list[Visit]:
    """Every appointment booked to start in the period (cancelled ones too), oldest first."""
    start, end = period.bounds(tz)
    bounds = {"start": sql_bound(start), "end": sql_bound(end)}
    providers = dict(session.execute(_NAMES).all())
    types = dict(session.execute(_TYPES).all())
    staff = dict(session.execute(_STAFF).all())
    visits: dict[int, Visit] = {}
    for vid, pid, prov, type_id, starts, created, status, walk_in in session.execute(_VISITS, bounds):
        name = providers.get(prov, "?")
        if provider is not None and name != provider:
            continue
        at = instant(starts)
        visits[vid] = Visit(vid, pid, name, types.get(type_id, "?"), at, at.astimezone(tz),
                            instant(created), status, bool(walk_in))
    for vid, to_status, at, by_id in session.execute(_STEPS, bounds):
        visit = visits.get(vid)
        if visit is None or REACHED.get(visit.status, 0) < REACHED[to_status]:
            continue  # not this provider's, or a step since undone
        when = instant(at)
        if to_status == S.ARRIVED.value:
            visit.arrived, visit.arrived_by = when, staff.get(by_id)
        elif to_status == S.ROOMED.value:
            visit.roomed = when
        elif to_status == S.WITH_PROVIDER.value:
            visit.with_provider = when
        else:
            visit.done = when
    return sorted(visits.values(), key=lambda v: (v.starts_at, v.id))


@dataclass
class History:
    """Each patient's attended and no-show visit starts (sorted), up to the period's end."""

    attended: dict[int, list[datetime]]
    no_shows: dict[int, list[datetime]]

    def established(self, visit: Visit) -> bool:
        """Seen before (an attended visit that started earlier): else a new patient."""
        seen = self.attended.get(visit.patient_id)
        return bool(seen) and seen[0] < visit.starts_at

    def earlier_no_shows(self, visit: Visit) -> int:
        return bisect_left(self.no_shows.get(visit.patient_id, []), visit.starts_at)


def load_history(session, period: Period, tz: ZoneInfo) -> History:
    end = period.bounds(tz)[1]
    attended: dict[int, list[datetime]] = defaultdict(list)
    no_shows: dict[int, list[datetime]] = defaultdict(list)
    for pid, starts, status in session.execute(_HISTORY, {"end": sql_bound(end)}):
        (no_shows if status == S.NO_SHOW.value else attended)[pid].append(instant(starts))
    for table in (attended, no_shows):
        for starts in table.values():
            starts.sort()
    return History(dict(attended), dict(no_shows))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
