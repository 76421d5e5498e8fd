"""What the database's slot guard costs (issue #22, point 7): migration 0008's triggers check
every active appointment written against the provider's others of the day before it.

Seeds a clinic (--patients, default 5000), then writes --inserts appointments (default 2000),
back to back for one provider, each in its own BEGIN IMMEDIATE transaction (synchronous=FULL, as
the desks write), once with the triggers and once on a copy without them; prints the per-write
figures side by side, the trigger's share, and whether the guard refused an overlap. Stops adding
writes after --seconds (default 60) per run.

    python benchmarks/bench_slot_guard.py [--patients 5000] [--inserts 2000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import shutil
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

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402

TZ = "America/New_York"
DAY = date(2026, 11, 23)
FLOOR_US = 200  # the guard may add at most this much to one write (a desk's save is ~1-5 ms)
TRIGGERS = ("trg_appointments_no_overlap_insert", "trg_appointments_no_overlap_update")
INSERT = ("INSERT INTO appointments (patient_id, provider_id, appointment_type_id, location_id, "
          "starts_at, ends_at, status, is_walk_in, is_overbook, created_at, version_id) "
          "VALUES (?, ?, 1, 1, ?, ?, 'scheduled', 0, 0, ?, 1)")


def seeded(path: Path, patients: int) -> None:
    ensure_current(url_for_path(path))
    clock = FrozenClock(datetime.combine(DAY, clock_time(10, 45), tzinfo=ZoneInfo(TZ)).astimezone(UTC))
    ctx = AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path),
                     clinic_tz=TZ), clock=clock)
    seed_clinic(ctx, patients=patients, seed=7, day=DAY)
    ctx.db.dispose()


def writes(path: Path, count: int, seconds: float) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    start = datetime(2031, 1, 6, 13, 0)
    spent: list[float] = []
    deadline = time.monotonic() + seconds
    for n in range(count):
        if time.monotonic() > deadline:
            break
        s = start + timedelta(minutes=20 * n)
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT, (1 + n % 50, 1, s.strftime(fmt), (s + timedelta(minutes=20)).strftime(fmt),
                              s.strftime(fmt)))
        conn.execute("COMMIT")
        spent.append((time.perf_counter() - began) * 1e6)
    conn.close()
    return spent


def cpu_only(path: Path, count: int) -> float:
    """Microseconds per insert with the disk out of the way (one transaction, later days)."""
    conn = sqlite3.connect(path, isolation_level=None)
    start = datetime(2033, 1, 3, 13, 0)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    conn.execute("BEGIN IMMEDIATE")
    began = time.perf_counter()
    for n in range(count):
        s = start + timedelta(minutes=20 * n)
        conn.execute(INSERT, (1 + n % 50, 1, s.strftime(fmt), (s + timedelta(minutes=20)).strftime(fmt),
                              s.strftime(fmt)))
    spent = (time.perf_counter() - began) * 1e6 / count
    conn.execute("ROLLBACK")
    conn.close()
    return spent


def refuses_overlap(path: Path) -> bool:
    conn = sqlite3.connect(path, isolation_level=None)
    s = "2031-01-06 13:00:00.000000"
    try:
        conn.execute(INSERT, (7, 1, s, "2031-01-06 13:20:00.000000", s))
    except sqlite3.IntegrityError:
        return True
    finally:
        conn.close()
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_slot_guard")
    with tempfile.TemporaryDirectory() as folder:
        guarded = Path(folder) / "guarded.sqlite"
        seeded(guarded, args.patients)
        bare = Path(folder) / "bare.sqlite"
        shutil.copyfile(guarded, bare)
        conn = sqlite3.connect(bare, isolation_level=None)
        for name in TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        rows = conn.execute("SELECT count(*) FROM appointments WHERE provider_id = 1").fetchone()[0]
        conn.close()
        print(f"clinic of {args.patients:,} patients; provider 1 has {rows:,} appointments on file")
        without = writes(bare, args.inserts, args.seconds)
        with_guard = writes(guarded, args.inserts, args.seconds)
        print(f"{'per write (us)':<22}{'without guard':>15}{'with guard':>13}")
        for label, pick in (("median", statistics.median),
                            ("p95", lambda v: statistics.quantiles(v, n=20)[18])):
            print(f"{label:<22}{pick(without):>15,.0f}{pick(with_guard):>13,.0f}")
        bare_cpu, guarded_cpu = cpu_only(bare, args.inserts), cpu_only(guarded, args.inserts)
        print(f"{'CPU only (one txn)':<22}{bare_cpu:>15,.1f}{guarded_cpu:>13,.1f}")
        added = statistics.median(with_guard) - statistics.median(without)
        print(f"the guard adds {added:,.0f} us per write (floor: at most {FLOOR_US} us) "
              f"over {len(with_guard):,} writes: {'OK' if added <= FLOOR_US else 'ABOVE THE FLOOR'}")
        print(f"an overlapping raw INSERT refused: {'yes' if refuses_overlap(guarded) else 'NO'}")
        return 0 if added <= FLOOR_US and refuses_overlap(guarded) else 1


if __name__ == "__main__":
    sys.exit(main())
