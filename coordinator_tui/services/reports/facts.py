"""What every report is counted from, as SQL: one row per appointment in the period (`v`), with
its clinic day, weekday and hour, its lead time, the times of the steps of the visit and the
patient's history; each report groups `v` in the database and reads back a few rows. A year of
a busy clinic is 150,000 appointments and 600,000 events: read into Python row by row, the
fetching alone took seconds.

- The period is whole clinic days [start, end], turned into UTC instants by the clinic's time
  zone (a daylight-saving day is 23 or 25 hours long); a visit belongs to the day it was booked
  to start, even when it ends after midnight. UTC text becomes wall-clock time by the zone's
  own offsets (domain/zone_offsets.py), written into the statement as a CASE over instants.
- A merged-away patient's visits count as the survivor's (`merged_into_id`).
- A step's time is the last event into that status, and only when the visit's status is at or
  beyond it now: an arrival that was undone is no arrival. The last instants come from the
  per-visit summary `appointment_flow` (migration 0016), kept with every status event by
  services/status_events.py, so a year is 150,000 rows read, not 600,000 events grouped.
- Minutes are real elapsed time between UTC instants, whatever the clocks did.
- The SQL runs on SQLite and PostgreSQL alike: what differs (clock arithmetic) is written for
  each engine in services/reports/dialect.py.
- History: a visit's patient is established when an attended visit started strictly earlier;
  its earlier no-shows are counted over all time before it (window functions, GROUPS frame:
  a visit at the very same instant is not "earlier").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coordinator_tui.domain.report_stats import LEAD_BUCKETS
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.zone_offsets import offset_changes
from coordinator_tui.services.reports.dialect import FORMAT, Dialect, dialect_of

ATTENDED_SQL = "('arrived', 'roomed', 'with_provider', 'checked_out')"

_HISTORY = """h AS (
  SELECT a.id, a.status,
         coalesce(sum(CASE WHEN a.status = 'no_show' THEN 1 ELSE 0 END) OVER earlier, 0) AS earlier_ns,
         coalesce(max(CASE WHEN a.status <> 'no_show' THEN 1 ELSE 0 END) OVER earlier, 0) AS seen
  FROM appointments a JOIN patients p ON p.id = a.patient_id
  WHERE a.starts_at < :end AND a.status IN ('arrived', 'roomed', 'with_provider', 'checked_out', 'no_show')
  WINDOW earlier AS (PARTITION BY coalesce(p.merged_into_id, a.patient_id) ORDER BY a.starts_at
                     GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)"""
# The steps a status has reached (a step's time counts only then).
_REACHED = {
    "arrived": ATTENDED_SQL,
    "roomed": "('roomed', 'with_provider', 'checked_out')",
    "with_provider": "('with_provider', 'checked_out')",
    "done": "('checked_out')",
}


def sql_bound(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(FORMAT)


def instant(value) -> datetime | None:
    """A stored instant (naive UTC text, or a datetime) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def offset_case(column: str, tz: ZoneInfo, start: datetime, end: datetime) -> str:
    """SQL giving the zone's UTC offset in minutes for the UTC text in `column`. Only numbers
    and instants we computed go into the statement, never anything typed."""
    changes = offset_changes(tz, start, end)
    if len(changes) == 1:
        return str(changes[0][1])
    whens = " ".join(f"WHEN {column} < '{sql_bound(at)}' THEN {before}"
                     for (at, _o), (_a, before) in zip(changes[1:], changes, strict=False))
    return f"CASE {whens} ELSE {changes[-1][1]} END"


LEAD_SQL = "CASE " + " ".join(
    f"WHEN lead <= {high} THEN {index}" for index, (_l, _low, high) in enumerate(LEAD_BUCKETS)
    if high is not None) + f" ELSE {len(LEAD_BUCKETS) - 1} END"


@dataclass
class Period:
    start: date
    end: date  # inclusive

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return day_bounds_utc(self.start, tz)[0], day_bounds_utc(self.end, tz)[1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Query:
    """The `v` rows of a period, ready to be grouped: `sql(select)` is the whole statement."""

    cte: str
    params: dict
    providers: dict[int, str]
    types: dict[int, str]
    staff: dict[int, str]
    dialect: Dialect

    def run(self, session, select: str):
        return session.execute(text(f"{self.cte}\n{select}"), self.params).all()


def visits_query(session, period: Period, tz: ZoneInfo, *, provider: str | None = None,
                 location_id: int | None = None, steps: bool = False, who: bool = False, history: bool = False,
                 now: datetime | None = None) -> Query:
    """`v`: id, patient_id, provider_id, type_id, starts_at, status, walk_in, day (clinic date
    text), weekday (Monday 0), hour, lead (days), lead_bucket; with `steps` arrived, roomed,
    with_provider, done (UTC text, NULL when not reached), and with `who` arrived_by (staff id);
    with `history` earlier_ns and seen."""
    start, end = period.bounds(tz)
    d = dialect_of(session)
    params = {"start": d.bound(start), "end": d.bound(end), "now": d.bound(now or end)}
    providers = dict(session.execute(text("SELECT id, short_name FROM providers")).all())
    types = dict(session.execute(text("SELECT id, code FROM appointment_types")).all())
    staff = dict(session.execute(text("SELECT id, username FROM staff_users")).all())
    oldest = session.execute(text("SELECT min(created_at) FROM appointments "
                                  "WHERE starts_at >= :start AND starts_at < :end"), params).scalar()
    oldest_at = min(instant(oldest) or start, start) - timedelta(days=1)
    where = ""
    if provider is not None:
        where = "AND a.provider_id = :provider_id"
        params["provider_id"] = next((pid for pid, name in providers.items() if name == provider), -1)
    if location_id is not None:
        where += " AND a.location_id = :location_id"
        params["location_id"] = location_id
    ctes = [_HISTORY] if history else []
    step_cols = ""
    joins = ""
    if steps:
        step_cols = "".join(f", CASE WHEN a.status IN {_REACHED[s]} THEN s.{s} END AS {s}"
                            for s in ("arrived", "roomed", "with_provider", "done"))
        if who:
            step_cols += f", CASE WHEN a.status IN {ATTENDED_SQL} THEN s.arrived_by_id END AS arrived_by"
        joins += " LEFT JOIN appointment_flow s ON s.appointment_id = a.id"
    if history:
        step_cols += ", h.earlier_ns, h.seen"
        joins += " LEFT JOIN h ON h.id = a.id"
    base = f"""b AS (
  SELECT a.id, a.patient_id, a.provider_id, a.appointment_type_id AS type_id, a.starts_at, a.status,
         a.is_walk_in AS walk_in,
         {d.local('a.starts_at', offset_case('a.starts_at', tz, start, end))} AS local_start,
         {d.local('a.created_at', offset_case('a.created_at', tz, oldest_at, end))} AS local_created
         {step_cols}
  FROM appointments a{joins}
  WHERE a.starts_at >= :start AND a.starts_at < :end {where}
), v AS (
  SELECT *, {d.day('local_start')} AS day, {d.weekday('local_start')} AS weekday,
         {d.hour('local_start')} AS hour, {d.days_between('local_start', 'local_created')} AS lead
  FROM b
)"""
    cte = "WITH " + ",\n".join([*ctes, base])
    return Query(cte, params, providers, types, staff, d)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of(day_text: str) -> date:
    return week_start(date.fromisoformat(day_text))


def whole(value) -> int:
    """A count or a sum of cents as an int, whichever engine counted it."""
    return int(value or 0)
