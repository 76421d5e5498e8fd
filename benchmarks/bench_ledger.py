"""Patient accounts at scale (issue 17): `ar aging` in full and one patient's balance, each beside
a floor measured in the same run, interleaved (the machine is shared: read the ratios).

    python benchmarks/bench_ledger.py --patients 1000000 --db /tmp/bench_ledger.sqlite

Builds the database if the file does not exist: a small seeded clinic (its staff sign the audit
events) plus `--patients` patients with 3 ledger rows each (a charge of a visit 0-400 days ago, a
payment, and a second charge or an adjustment), inserted by SQL in one transaction with the
indexes built afterwards (store/bulk.py). Then:
- aging: the full report as `coordinator ar aging --format csv -o FILE` does it (the SQL read in
  parts on one snapshot, one process per core, streamed into an owner-only file, its audit event),
  against a floor of a bare GROUP BY patient SUM over the same rows, the SQL pass alone and the
  same export read in one piece (parts=1); wall and CPU time (the process's CPU, all its
  threads, and the parts' processes: it leaves out what others' processes took);
- `--format txt` the same way; with --screen, aging_overview() as the Accounts/aging view calls
  it (count, totals, the first 200 by urgency) against the same floor;
- balance: `ledger.balance()` for random patients (its own read session, as the desk calls it),
  against a floor of the bare SUM on a raw sqlite3 connection; p50 and p95, wall and CPU.
Each line ends with the load average. Targets: aging under 5 s, balance p95 under 5 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock, parse_instant  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402

DAY = date(2026, 11, 23)
NOW = "2026-11-23T10:45:00-05:00"


def build(path: Path, patients: int) -> None:
    from coordinator_tui.services.demo.clinic import seed_clinic
    from coordinator_tui.store.bulk import fill_search_vocabulary, indexes_built_after
    from coordinator_tui.store.ledger_summary import refill_ledger_summary
    from coordinator_tui.store.migrate import ensure_current

    started = time.perf_counter()
    ensure_current(url_for_path(path))
    ctx = context(path)
    seed_clinic(ctx, patients=50, seed=7, day=DAY)
    with ctx.db.engine.begin() as conn, indexes_built_after(conn, ["patients", "ledger_entries"]):
        first = conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM patients").scalar()
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO patients (id, mrn, given_name, family_name, family_key, given_key, family_phonetic, "
            "given_phonetic, birth_date, sex, created_at, updated_at) "
            "SELECT i, 'B' || i, 'Given' || (i % 997), 'Family' || (i % 4999), 'family' || (i % 4999), "
            "'given' || (i % 997), 'F' || (i % 4999), 'G' || (i % 997), "
            "date('1950-01-01', '+' || (i % 20000) || ' days'), 'U', '2026-01-01 00:00:00.000000', "
            "'2026-01-01 00:00:00.000000' FROM n", (first, first + patients - 1))
        for k, (kind, amount, days) in enumerate((
                ("charge", "(i * 7919 % 20000) + 100", "(i * 31 % 400)"),
                ("payment", "-((i * 104729 % 5000) + 1)", "(i * 17 % 200)"),
                ("CASE WHEN i % 5 = 0 THEN 'adjustment' ELSE 'charge' END",
                 "CASE WHEN i % 5 = 0 THEN -((i % 900) + 1) ELSE (i * 13 % 9000) + 1 END", "(i * 7 % 300)"))):
            kind_sql = kind if kind.startswith("CASE") else f"'{kind}'"
            conn.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO ledger_entries (patient_id, kind, responsibility, amount_cents, service_date, "
                "posted_at, source, reason) "
                f"SELECT i, {kind_sql}, 'patient', {amount}, date(?, '-' || {days} || ' days'), "
                f"'2026-11-01 12:00:00.000000', 'import', "
                f"CASE WHEN {kind_sql} = 'adjustment' THEN 'bench' END FROM n",
                (first, first + patients - 1, DAY.isoformat()))
            print(f"  ledger rows {k + 1}/3 inserted", file=sys.stderr, flush=True)
        fill_search_vocabulary(conn)
        refill_ledger_summary(conn)  # its triggers were dropped with the indexes during the inserts
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    ctx.db.dispose()
    print(f"built {patients:,} patients x 3 ledger rows in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)


def context(path: Path) -> AppContext:
    return AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path)),
                      clock=FrozenClock(parse_instant(NOW)))


def percentile(pairs, fraction, index: int) -> float:
    """The `fraction` percentile of the (wall, cpu) pairs' `index`, in milliseconds."""
    ordered = sorted(p[index] for p in pairs)
    return 1000 * ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000, help="patients (x 3 ledger rows)")
    parser.add_argument("--db", type=Path, default=None, help="database file (built if missing)")
    parser.add_argument("--rounds", type=int, default=3, help="aging runs (each beside a floor run)")
    parser.add_argument("--lookups", type=int, default=500, help="balance look-ups (each beside a floor)")
    parser.add_argument("--screen", action="store_true",
                        help="also time aging_overview() as the Accounts/aging screen calls it (beside the floor)")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_ledger")
    path = args.db or Path(f"/tmp/bench_ledger_{args.patients}.sqlite")
    if not path.exists():
        build(path, args.patients)

    from coordinator_tui.interop.private_file import Target, deliver_stream
    from coordinator_tui.services.accounts import aging_parts, ledger
    from coordinator_tui.services.accounts.aging_export import aging_export
    from coordinator_tui.services.accounts.aging_overview import aging_overview
    from coordinator_tui.services.accounts.aging_sql import aging_statement
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.store.driver_rows import driver_rows

    ctx = context(path)
    actor = actor_for(ctx, "super")
    raw = sqlite3.connect(path)
    rows = raw.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
    pids = [r[0] for r in raw.execute("SELECT id FROM patients")]
    print(f"{len(pids):,} patients, {rows:,} ledger rows")
    folder = tempfile.TemporaryDirectory(prefix="bench_ledger_")
    out = Path(folder.name) / "aging.csv"

    def export(parts=None):
        job = aging_export(ctx, actor, DAY)
        job.parts = parts or job.parts
        deliver_stream(Target(out), job.fill, job.publish)
        return job

    def sql_only():  # as the export reads it: the driver's own cursor
        stmt, params = aging_statement(DAY, 30)
        with ctx.db.read() as session:
            return sum(1 for _ in driver_rows(session, stmt, params, batch=5_000))

    def csv_only():  # the output's own floor: as many ready-made rows written by csv.writer
        line = ("B123456", "Family123, Given45", "12.34", "0.00", "0.00", "5.67", "0.00", "18.01",
                "2026-10-01", "")
        with (Path(folder.name) / "floor.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(line for _ in range(len(pids)))

    def bare_floor():
        return raw.execute("SELECT patient_id, sum(amount_cents) FROM ledger_entries "
                           "WHERE responsibility = 'patient' GROUP BY patient_id").fetchall()

    floor, full, sql, written, whole = [], [], [], [], []
    for _ in range(args.rounds):  # interleaved: floor, SQL alone, CSV alone, the command's work in parts, in one
        floor.append(timed(bare_floor))
        sql.append(timed(sql_only))
        written.append(timed(csv_only))
        full.append(timed(export))
        whole.append(timed(lambda: export(1)))
    job = export()
    lines = list(csv.reader(out.open(encoding="utf-8")))
    bare_total = raw.execute("SELECT sum(amount_cents) FROM ledger_entries WHERE responsibility = 'patient' "
                             "AND service_date <= ?", (DAY.isoformat(),)).fetchone()[0]
    total_cents = sum(job.totals)
    assert lines[-1][0] == "TOTAL" and total_cents == bare_total, "aging totals differ from the ledger"
    print(f"ar aging --format csv (streamed to a file), wall: median {median(full, 0):.2f} s, "
          f"floor (bare GROUP BY SUM) {median(floor, 0):.2f} s, ratio {median(full, 0) / median(floor, 0):.1f}x; "
          f"cpu: {median(full, 1):.2f} s vs floor {median(floor, 1):.2f} s, ratio "
          f"{median(full, 1) / median(floor, 1):.1f}x; the SQL pass alone: wall {median(sql, 0):.2f} s, "
          f"cpu {median(sql, 1):.2f} s; writing as many ready-made rows with csv.writer alone: wall "
          f"{median(written, 0):.2f} s, cpu {median(written, 1):.2f} s; {job.patients:,} patients owing, "
          f"{out.stat().st_size / 1e6:.1f} MB; target < 5 s  [load {load()}]")
    print(f"  the same export read in one piece (parts=1): wall median {median(whole, 0):.2f} s, cpu "
          f"{median(whole, 1):.2f} s; in {aging_parts.PARTS} parts: wall {median(full, 0):.2f} s, cpu "
          f"{median(full, 1):.2f} s  [load {load()}]")
    if args.screen:
        screen, screen_floor = [], []
        for _ in range(args.rounds):  # interleaved with the floor
            screen_floor.append(timed(bare_floor))
            screen.append(timed(lambda: aging_overview(ctx, actor, DAY)))
        seen = aging_overview(ctx, actor, DAY)
        assert seen.total_cents == bare_total and seen.count == job.patients, "the screen's totals differ"
        print(f"aging_overview() for the screen (count, totals, first 200), wall: median {median(screen, 0):.2f} s, "
              f"floor (bare GROUP BY SUM) {median(screen_floor, 0):.2f} s; cpu {median(screen, 1):.2f} s vs floor "
              f"{median(screen_floor, 1):.2f} s; {seen.count:,} patients  [load {load()}]")
    text = []
    for _ in range(args.rounds):  # `ar aging --format txt -o FILE`: the same read, streamed as text
        floor.append(timed(bare_floor))
        text.append(timed(lambda: deliver_stream(Target(out), *_parts(aging_export(ctx, actor, DAY, format="txt")))))
    if text:
        print(f"ar aging --format txt (streamed to a file), wall: median {median(text, 0):.2f} s, cpu "
              f"{median(text, 1):.2f} s; floor (bare GROUP BY SUM, all its runs) wall {median(floor, 0):.2f} s, "
              f"cpu {median(floor, 1):.2f} s; {out.stat().st_size / 1e6:.1f} MB; target < 5 s  [load {load()}]")
    folder.cleanup()

    rng = random.Random(17)
    got, bare = [], []
    for _ in range(args.lookups):
        pid = rng.choice(pids)
        bare.append(timed(lambda pid=pid: raw.execute(
            "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE patient_id = ? "
            "AND responsibility = 'patient'", (pid,)).fetchone()))
        got.append(timed(lambda pid=pid: ledger.balance(ctx, pid)))
    print(f"one patient's balance, wall: p50 {percentile(got, 0.5, 0):.2f} ms, p95 {percentile(got, 0.95, 0):.2f} ms "
          f"(floor: bare SUM p50 {percentile(bare, 0.5, 0):.3f} ms, p95 {percentile(bare, 0.95, 0):.3f} ms); "
          f"cpu (this process, so time lost to other processes is left out): p50 "
          f"{percentile(got, 0.5, 1):.2f} ms, p95 {percentile(got, 0.95, 1):.2f} ms (floor p95 "
          f"{percentile(bare, 0.95, 1):.3f} ms); target p95 < 5 ms  [load {load()}]")
    ctx.db.dispose()
    return 0


def _parts(job):
    return job.fill, job.publish


def timed(call) -> tuple[float, float]:
    """(wall, cpu) seconds; the cpu time of this process (every thread) and of the children it
    waited for (the export's parts run in processes of their own)."""
    wall, cpu = time.perf_counter(), _cpu()
    call()
    return time.perf_counter() - wall, _cpu() - cpu


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def median(pairs, index: int) -> float:
    return statistics.median(p[index] for p in pairs)


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
