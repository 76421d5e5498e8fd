"""How the desks' reads grow with the clinic: years of history and millions of patients (issue 23).

History: a 30-provider clinic writes about 150,000 appointments and 600,000 status events a year.
The same database gets year after year of it, and after each chosen year the script times what a
desk reads on every day switch and refresh (the services the screens call, in this process, on a
real SQLite file):

  day switch      the Schedule desk's day (services.schedule.schedule_view.day_schedule)
  board refresh   the Check-in board (services.desk_views.day_appointments)
  callbacks       the Callbacks desk's queue and figures
  reports         the flow report for the newest month of history and the no-show report for
                  its newest year (a supervisor's F9): bounded by the range asked, not the history
  old board SQL   beside them: the board's former query (a GROUP BY over the whole status
                  history), so the curve it would have followed is printed in the same run

Patients: for each chosen size a clinic is seeded (or reused: a `growth-SIZE.sqlite` already in
--dir is read, not written) and three lookup kinds are timed (surname, typo,
sounds like), beside SQLite's floor for the same candidates (see bench_lookup.py for every kind).

    python benchmarks/bench_growth.py [--years 1,3,5] [--patients 100000,1000000,3000000]
                                      [--rounds 30] [--time-limit 3600] [--dir DIR]

Every figure is milliseconds, p50 and p95; the history's also in CPU time (see `timed`). The script stops with a message after --time-limit
seconds whatever it is doing.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_lookup import pct, queries, sample  # noqa: E402
from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services.callbacks import figures, list_queue  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.services.desk_views import day_appointments  # noqa: E402
from coordinator_tui.services.patients.lookup import search_patients  # noqa: E402
from coordinator_tui.services.reports import run_report  # noqa: E402
from coordinator_tui.services.schedule.schedule_view import day_schedule  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.bulk import sql_instant  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402
from tests.helpers.clinic_years import (  # noqa: E402
    CLINIC_DAYS_A_YEAR,
    GAP,
    PER_PROVIDER_DAY,
    PROVIDERS,
    add_providers,
    add_years,
)

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
SEED_DAY = date(2026, 11, 23)
LOOKUP_KINDS = ("surname", "typo", "sounds like")

OLD_BOARD_SQL = """
SELECT a.id, last.since, arrived.at FROM appointments a
LEFT JOIN (SELECT appointment_id, max(at) AS since FROM appointment_status_events
           GROUP BY appointment_id) last ON last.appointment_id = a.id
LEFT JOIN (SELECT appointment_id, max(at) AS at FROM appointment_status_events
           WHERE to_status = 'arrived' GROUP BY appointment_id) arrived ON arrived.appointment_id = a.id
WHERE a.starts_at >= ? AND a.starts_at < ? ORDER BY a.starts_at
"""


def context(path: Path) -> AppContext:
    now = datetime.combine(SEED_DAY, clock_time(10, 45), tzinfo=TZ).astimezone(UTC)
    url = url_for_path(path)
    return AppContext(db=Database(url), settings=Settings(db_url=url, clinic_tz=TZ_NAME),
                      clock=FrozenClock(now))


def seeded(path: Path, patients: int) -> AppContext:
    ensure_current(url_for_path(path))
    ctx = context(path)
    seed_clinic(ctx, patients=patients, seed=3, day=SEED_DAY)
    return ctx


def timed(work, rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call. The reads run in this process, so its CPU time is the
    work itself: on a loaded machine the wall time also holds the wait for a core, the CPU time
    does not, and the curve shows in it whatever else the machine is doing."""
    work()  # warm
    wall, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        work()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return wall, cpu


def row(label: str, values: tuple[list[float], list[float]]) -> str:
    wall, cpu = values
    return (f"{label:<16} {statistics.median(wall):8.1f} {pct(wall, 95):8.1f}"
            f"   {statistics.median(cpu):8.1f} {pct(cpu, 95):8.1f}")


def history_curve(folder: Path, years_wanted: list[int], rounds: int) -> None:
    path = folder / "growth-history.sqlite"
    path.unlink(missing_ok=True)
    patients = 20_000
    started = time.perf_counter()
    ctx = seeded(path, patients)
    providers = add_providers(ctx)
    actor = actor_for(ctx, "demo")
    supervisor = actor_for(ctx, "super")  # reports beyond today are for supervisors
    month_end = SEED_DAY - GAP - timedelta(days=1)  # the newest month of the written history
    print(f"history: seeded {patients:,} patients in {time.perf_counter() - started:.0f} s; "
          f"{PROVIDERS} providers x {PER_PROVIDER_DAY} visits x {CLINIC_DAYS_A_YEAR} days a year")
    raw = sqlite3.connect(path)
    day = SEED_DAY
    start = datetime.combine(day, clock_time(0), tzinfo=TZ).astimezone(UTC)
    bounds = (sql_instant(start), sql_instant(start + timedelta(days=1)))
    rng = random.Random(11)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'years':>5} {'appointments':>12} {'events':>10}   {'ms':<16} {'p50':>8} {'p95':>8}"
          f"   {'CPU p50':>8} {'p95':>8}")
    have = 0
    for years in [0, *years_wanted]:
        if years > have:
            t = time.perf_counter()
            add_years(ctx, before=SEED_DAY, tz=TZ, providers=providers, patients=patients,
                      first_year=have + 1, years=years - have, rng=rng)
            have = years
            print(f"      (added history up to year {years} in {time.perf_counter() - t:.0f} s)")
        counts = raw.execute("SELECT (SELECT count(*) FROM appointments), "
                             "(SELECT count(*) FROM appointment_status_events)").fetchone()
        print(f"{years:>5} {counts[0]:>12,} {counts[1]:>10,}")
        # The former query takes seconds at a few years: a few rounds show it.
        for label, work, times in (
                ("day switch", lambda: day_schedule(ctx, actor, day), rounds),
                ("board refresh", lambda: day_appointments(ctx, actor, day), rounds),
                ("callbacks", lambda: (list_queue(ctx, actor), figures(ctx, actor)), rounds),
                ("flow, a month", lambda: run_report(ctx, supervisor, "flow", month_end - timedelta(days=29),
                                                     month_end), min(rounds, 10)),
                ("no-shows, a year", lambda: run_report(ctx, supervisor, "no-shows",
                                                        month_end - timedelta(days=364), month_end),
                 min(rounds, 5)),
                ("old board SQL", lambda: raw.execute(OLD_BOARD_SQL, bounds).fetchall(), min(rounds, 5))):
            print(f"{'':>30}   " + row(label, timed(work, times)))
        print(f"{'':>30}   (load average {os.getloadavg()[0]:.1f})")
    raw.close()
    ctx.db.dispose()


def lookup_curve(folder: Path, sizes: list[int], rounds: int) -> None:
    print(f"\n{'patients':>9}   {'lookup kind':<16} {'p50':>8} {'p95':>8}   {'CPU p50':>8} {'p95':>8}"
          f"   {'floor p50':>9} {'p95':>8}")
    for size in sizes:
        path = folder / f"growth-{size}.sqlite"
        kept = path.exists()  # a clinic of this size left there (or linked) by the caller is reused
        t = time.perf_counter()
        ctx = context(path) if kept else seeded(path, size)
        print(f"{size:>9,}   ({'reused' if kept else 'seeded'} in {time.perf_counter() - t:.0f} s,"
              f" load average {os.getloadavg()[0]:.1f})")
        raw = sqlite3.connect(path)
        lookup_at(ctx, raw, rounds)
        raw.close()
        ctx.db.dispose()
        if not kept:
            path.unlink()


def lookup_at(ctx: AppContext, raw: sqlite3.Connection, rounds: int) -> None:
    actor = actor_for(ctx, "demo")
    kinds = queries(sample(raw, rounds, random.Random(5)), random.Random(6))
    for kind in LOOKUP_KINDS:
        service, cpu = timed_each(lambda text: search_patients(ctx, actor, text, limit=20),
                                  [text for text, _sql, _params in kinds[kind]])
        floor, _ = timed_each(lambda item: raw.execute(item[0], item[1]).fetchall(),
                              [(sql, params) for _text, sql, params in kinds[kind]])
        print(f"{'':>9}   {kind:<16} {statistics.median(service):8.2f} {pct(service, 95):8.2f}"
              f"   {statistics.median(cpu):8.2f} {pct(cpu, 95):8.2f}"
              f"   {statistics.median(floor):9.3f} {pct(floor, 95):8.3f}")


def timed_each(work, items) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per item (see `timed`)."""
    for item in items[:5]:
        work(item)
    wall, cpu = [], []
    for item in items:
        started, used = time.perf_counter(), time.process_time()
        work(item)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return wall, cpu


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=numbers, default=[1, 3, 5])
    parser.add_argument("--patients", type=numbers, default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--dir", type=Path, help="where to build the databases (default: a temp dir)")
    add_time_limit(parser, 3600)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_growth")

    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-growth-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.years:
        history_curve(folder, sorted(args.years), args.rounds)
    if args.patients:
        lookup_curve(folder, sorted(args.patients), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
