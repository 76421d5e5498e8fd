"""SQLite and PostgreSQL side by side, in one run (issue 20, "Measured"): the seed time of a clinic
of --patients, and booking latency (p50/p95) with --desks real desk processes doing mixed
check-ins, undos, bookings, edits and registrations for --seconds on each engine.

    python benchmarks/bench_engines.py [--patients 2000] [--desks 8] [--seconds 10]
                                       [--pg postgresql+psycopg://USER:PASS@HOST:PORT/postgres]

--pg names a server where the role may CREATE DATABASE (default $COORDINATOR_TEST_PG, as
.ci/postgres-start prints it); the benchmark makes its own database there and drops it after.
The desk processes run tests/helpers/desk_driver.py, as tests/concurrency/ and bench_desks.py do.
The two engines run one after the other on the same machine: compare the ratio, not the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from limits import add_time_limit, start_time_limit  # noqa: E402

DAY = date(2026, 11, 23)


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_engine(name: str, path: Path, url: str, args, workdir: Path) -> dict:
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.demo.clinic import seed_clinic
    from coordinator_tui.store.engine import Database
    from coordinator_tui.store.migrate import ensure_current
    from tests.helpers import desk_driver

    ensure_current(url)
    ctx = AppContext(db=Database(url), settings=Settings(db_url=url, clinic_tz=desk_driver.CLINIC_TZ),
                     clock=desk_driver.RunningClock(DAY))
    t0 = time.perf_counter()
    seed_clinic(ctx, patients=args.patients, seed=7, day=DAY)
    seeded = time.perf_counter() - t0
    ctx.db.dispose()
    result = desk_driver.run_desks(path, DAY, desks=args.desks, seconds=args.seconds,
                                   workdir=workdir / name)
    books = [ms for o in result["desks"] for ms in o["latencies_ms"]["book"]]
    every = [ms for o in result["desks"] for a in desk_driver.ACTIONS for ms in o["latencies_ms"][a]]
    seconds = statistics.mean(o["seconds"] for o in result["desks"]) or 1.0
    storage = sum(o["outcomes"][a]["storage"] for o in result["desks"] for a in desk_driver.ACTIONS)
    return {"seed_s": seeded, "book_p50": _p(books, 0.5), "book_p95": _p(books, 0.95),
            "all_p95": _p(every, 0.95), "tps": len(every) / seconds, "storage": storage,
            "problems": len(result["reported"]) + len(result["database"]) + len(result["failures"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pg", default=os.environ.get("COORDINATOR_TEST_PG", ""),
                        help="a PostgreSQL server URL whose role may CREATE DATABASE")
    add_time_limit(parser, 900)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_engines")
    if not args.pg:
        parser.error("give --pg URL (or set COORDINATOR_TEST_PG; .ci/postgres-start prints one)")
    os.environ["COORDINATOR_TEST_PG"] = args.pg

    from coordinator_tui.store.engine import url_for_path
    from tests.helpers import engines

    with tempfile.TemporaryDirectory(prefix="bench-engines-") as folder:
        workdir = Path(folder)
        os.environ["COORDINATOR_AUDIT_KEY"] = str(workdir / "pg.audit-key")
        os.environ["COORDINATOR_AUDIT_ANCHOR"] = str(workdir / "pg.audit-anchor")
        sqlite_file = workdir / "clinic.sqlite"
        pg_name = engines.new_database_name("bench")
        pg_path = workdir / "clinic-pg"
        engines.register(pg_path, engines.create_database(pg_name))
        try:
            figures = {"sqlite": run_engine("sqlite", sqlite_file, url_for_path(sqlite_file), args, workdir),
                       "postgresql": run_engine("postgresql", pg_path, engines.url_for(pg_path), args,
                                                workdir)}
        finally:
            engines.drop_database(pg_name)
    rows = [("seed time (s)", "seed_s", "{:.1f}"), ("booking p50 (ms)", "book_p50", "{:.1f}"),
            ("booking p95 (ms)", "book_p95", "{:.1f}"), ("any write p95 (ms)", "all_p95", "{:.1f}"),
            ("transactions/s", "tps", "{:.0f}"), ("storage errors", "storage", "{}"),
            ("problems found", "problems", "{}")]
    print(f"{args.patients} patients, {args.desks} desks for {args.seconds:.0f} s each")
    print(f"{'':22}{'SQLite':>10}{'PostgreSQL':>12}{'PG/SQLite':>11}")
    for label, key, form in rows:
        a, b = figures["sqlite"][key], figures["postgresql"][key]
        ratio = f"{b / a:.2f}" if isinstance(a, float) and a else ""
        print(f"{label:22}{form.format(a):>10}{form.format(b):>12}{ratio:>11}")


if __name__ == "__main__":
    main()
