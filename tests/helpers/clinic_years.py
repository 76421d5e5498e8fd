"""Years of a busy clinic's history, written in bulk (issue 23): 30 providers seeing 20 patients
on each of 250 clinic days a year, so a year is 150,000 appointments and 600,000 status events,
the size a 30-provider clinic writes. Used by the test that checks the desks' query plans on a
year of history and by benchmarks/bench_growth.py, so both measure the same clinic.

Each past visit gets its scheduled event, a confirmation for one in five, and then either arrived,
roomed and checked out, or (one in ten) a no-show. The per-visit flow summary is rebuilt after
(services/status_events.py) and the statistics are refreshed with ANALYZE, so both engines plan as
they would in the clinic's fifth year."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from coordinator_tui.services.status_events import rebuild_flow
from coordinator_tui.store.bulk import driver_sql, indexes_built_after, insert_many

PROVIDERS = 30
PER_PROVIDER_DAY = 20
CLINIC_DAYS_A_YEAR = 250
APPOINTMENTS_A_YEAR = PROVIDERS * PER_PROVIDER_DAY * CLINIC_DAYS_A_YEAR  # 150,000
GAP = timedelta(days=30)  # the history ends this long before the clinic's seeded day

APPOINTMENT_COLUMNS = ("id", "patient_id", "provider_id", "appointment_type_id", "location_id", "starts_at",
                       "ends_at", "status", "created_at", "created_by_id")
EVENT_COLUMNS = ("appointment_id", "from_status", "to_status", "at", "by_id")


def add_providers(ctx, count: int = PROVIDERS) -> list[int]:
    """Providers up to `count` in all; their ids."""
    with ctx.db.engine.begin() as conn:
        location = driver_sql(conn, "SELECT min(id) FROM locations").scalar()
        existing = driver_sql(conn, "SELECT count(*) FROM providers").scalar()
        insert_many(conn, "providers", ("display_name", "short_name", "active", "default_location_id",
                                        "overbook_daily_limit"),
                    [(f"Dr. Growth {n}", f"GROW{n:02d}", 1, location, 2) for n in range(existing + 1, count + 1)])
        return [r[0] for r in driver_sql(conn, "SELECT id FROM providers ORDER BY id LIMIT ?", (count,))]


def clinic_days_back(before: date, first_year: int, years: int) -> list[date]:
    """Weekdays ending GAP before `before`, from year `first_year` (1 = the most recent) on."""
    days, day = [], before - GAP - timedelta(days=365 * (first_year - 1))
    while len(days) < CLINIC_DAYS_A_YEAR * years:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _stored(naive_utc: datetime) -> str:
    """bulk.sql_instant's text for an instant already in naive UTC (isoformat is several times
    faster than strftime, and a million of them make most of the build's Python time)."""
    return naive_utc.isoformat(" ", "microseconds")


def _visit_events(appointment_id: int, start: datetime, rng: random.Random) -> tuple[str, list[tuple]]:
    steps = [(None, "scheduled", -14 * 86400)]
    if rng.random() < 0.2:
        steps.append(("scheduled", "confirmed", -86400))
    before = steps[-1][1]
    if rng.random() < 0.1:
        steps.append((before, "no_show", 900))
    else:
        steps += [(before, "arrived", -300), ("arrived", "roomed", 600), ("roomed", "checked_out", 1800)]
    return steps[-1][1], [(appointment_id, old, new, _stored(start + timedelta(seconds=s)), None)
                          for old, new, s in steps]


DAYS_A_BATCH = 25  # 15,000 appointments and about 60,000 events a statement


def _write(conn, appts: list, evs: list, appointments: int, events: int) -> tuple[int, int]:
    insert_many(conn, "appointments", APPOINTMENT_COLUMNS, appts)
    insert_many(conn, "appointment_status_events", EVENT_COLUMNS, evs)
    return appointments + len(appts), events + len(evs)


def add_years(ctx, *, before: date, tz: ZoneInfo, providers: list[int], patients: int,
              first_year: int = 1, years: int = 1, rng: random.Random | None = None) -> tuple[int, int]:
    """Write `years` of past clinic days ending GAP before `before`; (appointments, events)."""
    rng = rng or random.Random(11)
    with ctx.db.engine.begin() as conn:
        next_id = (driver_sql(conn, "SELECT max(id) FROM appointments").scalar() or 0) + 1
        staff = driver_sql(conn, "SELECT min(id) FROM staff_users").scalar()
        visit_type = driver_sql(conn, "SELECT min(id) FROM appointment_types").scalar()
        location = driver_sql(conn, "SELECT min(id) FROM locations").scalar()
        first_patient = driver_sql(conn, "SELECT min(id) FROM patients").scalar()
        # On SQLite the history's indexes are built once after the rows are in (several times
        # faster than row by row), and its triggers sit out the load: the no-overlap guard has
        # nothing to find (one visit per provider and slot, by construction) and the append-only
        # guards watch updates and deletes only. PostgreSQL keeps its indexes as rows come.
        with indexes_built_after(conn, ("appointments", "appointment_status_events")):
            appointments, events = _write_days(conn, _days_of_visits(
                clinic_days_back(before, first_year, years), tz, providers, patients, rng,
                next_id, staff, visit_type, location, first_patient))
        rebuild_flow(conn)
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return appointments, events


def _days_of_visits(days, tz, providers, patients, rng, next_id, staff, visit_type, location, first_patient):
    """Each clinic day's (appointment rows, event rows)."""
    for day in days:
        appts, evs = [], []
        eight = datetime.combine(day, clock_time(8), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
        for provider in providers:
            for slot in range(PER_PROVIDER_DAY):
                start = eight + timedelta(minutes=20 * slot)
                status, visit = _visit_events(next_id, start, rng)
                appts.append((next_id, first_patient + rng.randrange(patients), provider, visit_type,
                              location, _stored(start), _stored(start + timedelta(minutes=20)),
                              status, _stored(start - timedelta(days=14)), staff))
                evs += [(*e[:4], staff) for e in visit]
                next_id += 1
        yield appts, evs


def _write_days(conn, days) -> tuple[int, int]:
    """Insert the days' rows DAYS_A_BATCH days a statement; (appointments, events)."""
    appointments = events = 0
    appts, evs = [], []
    for n, (day_appts, day_evs) in enumerate(days, start=1):
        appts += day_appts
        evs += day_evs
        if n % DAYS_A_BATCH == 0:
            appointments, events = _write(conn, appts, evs, appointments, events)
            appts, evs = [], []
    return _write(conn, appts, evs, appointments, events)
