"""Reports on a busy clinic's year: 30 providers, ~150,000 appointments, ~600,000 status events.

Builds the history with bulk inserts (store/bulk.py) on a seeded clinic, then times every report
and cut over the whole year through the service the desk and the command line call. Each time is
printed beside the target (every report under 2 s on these machines) and beside the floor,
measured in the same run just before it: one plain pass over the year's appointments and their
status events, the least any report must read. The ratio to the floor is what a shared, loaded
machine does not change much; the load average is printed on every line.

    python benchmarks/bench_reports.py [--appointments 150000] [--limit 2.0] [--keep DIR] [--pg URL]

With --pg the same history is copied into PostgreSQL and measured there too, each engine beside
its own floor, and the reports of the two are compared whole.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.services.reports import REPORTS, run_report  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.services.status_events import rebuild_flow  # noqa: E402
from coordinator_tui.store.bulk import indexes_built_after, insert_many, sql_instant  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
SEED_DAY = date(2026, 11, 23)
PROVIDERS = 30
PATIENTS = 30_000
FLOW = ("scheduled", "arrived", "roomed", "with_provider", "checked_out")


def build(path: Path, appointments: int) -> AppContext:
    ensure_current(url_for_path(path))
    now = datetime.combine(SEED_DAY, clock_time(17, 30), tzinfo=TZ).astimezone(UTC)
    ctx = AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path),
                     clinic_tz=TZ_NAME), clock=FrozenClock(now))
    seed_clinic(ctx, patients=PATIENTS, seed=3, day=SEED_DAY)
    rng = random.Random(11)
    days = [SEED_DAY - timedelta(days=n) for n in range(45, 410)]
    days = [d for d in days if d.weekday() < 5]
    per_day = appointments // len(days) + 1
    with ctx.db.engine.begin() as conn:
        existing = conn.exec_driver_sql("SELECT count(*) FROM providers").scalar()
        insert_many(conn, "providers", ("display_name", "short_name", "active", "default_location_id",
                                        "overbook_daily_limit"),
                    [(f"Dr. Bench {n}", f"BENCH{n:02d}", 1, 1, 2) for n in range(existing + 1, PROVIDERS + 1)])
        next_id = conn.exec_driver_sql("SELECT max(id) FROM appointments").scalar() + 1
        payment_no = 0
        with indexes_built_after(conn, ("appointments", "appointment_status_events", "payments")):
            made = 0
            for day in days:
                appts, events, payments = [], [], []
                base = datetime.combine(day, clock_time(8), tzinfo=TZ)
                for _ in range(min(per_day, appointments - made)):
                    start = base + timedelta(minutes=20 * rng.randrange(27))
                    booked = start - timedelta(days=rng.choice((0, 1, 3, 6, 10, 20, 35, 60)), hours=2)
                    r = rng.random()
                    path_ = (FLOW if r < 0.75 else ("scheduled", "no_show") if r < 0.87
                             else ("scheduled", "cancelled") if r < 0.97 else FLOW[:4])
                    patient = rng.randrange(1, PATIENTS + 1)
                    appts.append((next_id, patient, rng.randrange(1, PROVIDERS + 1), rng.randrange(1, 7), 1,
                                  sql_instant(start), sql_instant(start + timedelta(minutes=20)),
                                  path_[-1], "patient" if path_[-1] == "cancelled" else None,
                                  "moved" if path_[-1] == "cancelled" else None, sql_instant(booked), 2))
                    at = booked
                    prev = None
                    for status in path_:
                        if status == "confirmed":
                            at = start - timedelta(hours=20)
                        elif status == "arrived":
                            at = start + timedelta(minutes=rng.randrange(-15, 15))
                        elif status in ("roomed", "with_provider", "checked_out"):
                            at = at + timedelta(minutes=rng.randrange(3, 25))
                        elif status in ("no_show", "cancelled"):
                            at = start + timedelta(minutes=30) if status == "no_show" else start - timedelta(days=1)
                        events.append((next_id, prev, status, sql_instant(at), 2, 0))
                        prev = status
                        if status == "arrived" and rng.random() < 0.5:
                            payment_no += 1
                            payments.append((patient, next_id, 2500, "card", f"B{payment_no:09d}",
                                             sql_instant(at), 2))
                    next_id += 1
                    made += 1
                insert_many(conn, "appointments", (
                    "id", "patient_id", "provider_id", "appointment_type_id", "location_id", "starts_at",
                    "ends_at", "status", "cancelled_by", "cancel_reason", "created_at", "created_by_id"), appts)
                insert_many(conn, "appointment_status_events", (
                    "appointment_id", "from_status", "to_status", "at", "by_id", "is_undo"), events)
                insert_many(conn, "payments", ("patient_id", "appointment_id", "amount_cents", "method",
                                               "receipt_number", "taken_at", "taken_by_id"), payments)
        rebuild_flow(conn)
        conn.exec_driver_sql("ANALYZE")
    with ctx.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return ctx


# The floor: the year's appointments and their status events read once, grouped as little as
# a report can (by status), with nothing computed per row.
FLOOR_SQL = (
    "SELECT a.status, count(*), count(e.appointment_id) FROM appointments a "
    "LEFT JOIN appointment_status_events e ON e.appointment_id = a.id "
    "WHERE a.starts_at >= :start AND a.starts_at < :end GROUP BY a.status")


def floor_seconds(ctx: AppContext, start: date, end: date) -> tuple[float, float]:
    """(wall, CPU) seconds of the floor's pass."""
    from sqlalchemy import text

    from coordinator_tui.domain.slots import day_bounds_utc
    from coordinator_tui.services.reports.dialect import dialect_of

    began, cpu = time.perf_counter(), time.process_time()
    with ctx.db.read() as session:
        d = dialect_of(session)
        session.execute(text(FLOOR_SQL), {"start": d.bound(day_bounds_utc(start, TZ)[0]),
                                          "end": d.bound(day_bounds_utc(end, TZ)[1])}).all()
    return time.perf_counter() - began, time.process_time() - cpu


def load() -> str:
    return f"{os.getloadavg()[0]:5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=150_000, help="size of the year's history")
    parser.add_argument("--limit", type=float, default=2.0, help="the target: seconds per report")
    parser.add_argument("--keep", type=Path, help="build the database in DIR and keep it (reused)")
    parser.add_argument("--pg", default="", metavar="URL",
                        help="also on PostgreSQL: a server URL whose role may CREATE DATABASE "
                             "(.ci/postgres-start prints one); the same history is copied there")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_reports")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reports-{args.appointments}.sqlite"
    started = time.perf_counter()
    if path.exists() and args.keep:
        ctx = AppContext(db=Database(url_for_path(path)), settings=Settings(
            db_url=url_for_path(path), clinic_tz=TZ_NAME), clock=FrozenClock(
            datetime.combine(SEED_DAY, clock_time(17, 30), tzinfo=TZ).astimezone(UTC)))
    else:
        path.unlink(missing_ok=True)
        ctx = build(path, args.appointments)
    with ctx.db.engine.connect() as conn:
        counts = [conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                  for t in ("appointments", "appointment_status_events")]
    print(f"history: {counts[0]:,} appointments, {counts[1]:,} status events, {PROVIDERS} providers "
          f"(ready in {time.perf_counter() - started:.1f} s; {path})")
    end = SEED_DAY
    start = end - timedelta(days=364)
    print("seconds: wall clock, and the CPU this process used (the machine is shared: wall time")
    print("includes waiting for a core; on PostgreSQL the server's CPU is not this process's)")
    print("floor: one plain pass over the year's appointments and status events, timed before each")
    print("x floor: the report's wall and CPU time over the floor's, measured just before it")
    worst, on_sqlite = measure(ctx, "SQLite", start, end, args.limit)
    if args.pg:
        on_pg, pg_done = postgresql_copy(path, args.pg)
        try:
            pg_worst, on_postgresql = measure(on_pg, "PostgreSQL", start, end, args.limit)
        finally:
            on_pg.db.dispose()
            pg_done()
        differ = [key for key, report in on_sqlite.items() if on_postgresql[key] != report]
        print(f"PostgreSQL slowest {pg_worst:.2f} s; the same reports on both engines: "
              + ("yes, every one" if not differ else f"NO, {differ} differ"))


def measure(ctx: AppContext, engine: str, start: date, end: date, limit: float) -> tuple[float, dict]:
    actor = actor_for(ctx, "super")
    print(f"\n{engine}")
    print(f"{'report':<12} {'by':<10} {'rows':>5} {'wall s':>7} {'cpu s':>6} {'floor':>11} "
          f"{'x floor':>11} {'target':>6} {'load':>5}")
    print(f"{'':<12} {'':<10} {'':>5} {'':>7} {'':>6} {'wall   cpu':>11} {'wall   cpu':>11}")
    worst, reports = 0.0, {}
    for name, (_words, cuts, needs_patient) in REPORTS.items():
        for by in (cuts or (None,)):
            floor, floor_cpu = floor_seconds(ctx, start, end)
            began, cpu = time.perf_counter(), time.process_time()
            if needs_patient:
                report = run_report(ctx, actor, name, start, end, mrn="M0000042")
            else:
                report = run_report(ctx, actor, name, start, end, by=by)
            took, used = time.perf_counter() - began, time.process_time() - cpu
            reports[(name, by)] = report
            worst = max(worst, took)
            verdict = "ok" if took <= limit else "SLOW"
            # On PostgreSQL the server does the counting: this process's CPU is no measure of it.
            cpu_ratio = f"{used / max(floor_cpu, 0.001):5.1f}" if engine == "SQLite" else "    -"
            print(f"{name:<12} {str(by or '-'):<10} {len(report.rows):>5} {took:7.2f} {used:6.2f} "
                  f"{floor:5.2f} {floor_cpu:5.2f} {took / floor:5.1f} {cpu_ratio} "
                  f"{limit:6.1f} {load()} {verdict}", flush=True)
    print(f"slowest {worst:.2f} s: {'meets' if worst <= limit else 'MISSES'} the {limit:.1f} s target "
          f"(load average {load()} on {os.cpu_count()} cores)")
    return worst, reports


def postgresql_copy(path: Path, server: str):
    """The same clinic copied into a new database on `server` (every table, through the
    models' types; ANALYZEd): its context, and a function that drops it."""
    from tests.helpers.pg_clinic import (
        build_schema,
        copy_rows,
        create_database,
        database_url,
        drop_database,
    )

    os.environ.setdefault("COORDINATOR_AUDIT_KEY", str(path.with_suffix(".pg.audit-key")))
    os.environ.setdefault("COORDINATOR_AUDIT_ANCHOR", str(path.with_suffix(".pg.audit-anchor")))
    began = time.perf_counter()
    name = create_database(server)
    url = database_url(server, name)
    build_schema(url)
    copy_rows(path, url)
    print(f"\ncopied to PostgreSQL in {time.perf_counter() - began:.0f} s")
    ctx = AppContext(db=Database(url), settings=Settings(db_url=url, clinic_tz=TZ_NAME), clock=FrozenClock(
        datetime.combine(SEED_DAY, clock_time(17, 30), tzinfo=TZ).astimezone(UTC)))
    return ctx, lambda: drop_database(server, name)


if __name__ == "__main__":
    main()
