"""Patient accounts at scale (issue 17): `ar aging` in full and one patient's balance, each beside
a floor measured in the same run, interleaved (the machine is shared: read the ratios).

    python benchmarks/bench_ledger.py --patients 1000000 --db /tmp/bench_ledger.sqlite

Builds the database if the file does not exist: a small seeded clinic (its staff sign the audit
events) plus `--patients` patients with 3 ledger rows each (a charge of a visit 0-400 days ago, a
payment, and a second charge or an adjustment), inserted by SQL in one transaction with the
indexes built afterwards (store/bulk.py). Then:
- aging: the full report as `coordinator ar aging --format csv` computes it (aging() with its
  audit event, plus the CSV), against a floor of a bare GROUP BY patient SUM over the same rows;
- balance: `ledger.balance()` for random patients (its own read session, as the desk calls it),
  against a floor of the bare SUM on a raw sqlite3 connection; p50 and p95.
Targets: aging under 5 s, balance p95 under 5 ms.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
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
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    ctx.db.dispose()
    print(f"built {patients:,} patients x 3 ledger rows in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)


def context(path: Path) -> AppContext:
    return AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path)),
                      clock=FrozenClock(parse_instant(NOW)))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000, help="patients (x 3 ledger rows)")
    parser.add_argument("--db", type=Path, default=None, help="database file (built if missing)")
    parser.add_argument("--rounds", type=int, default=3, help="aging runs (each beside a floor run)")
    parser.add_argument("--lookups", type=int, default=500, help="balance look-ups (each beside a floor)")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_ledger")
    path = args.db or Path(f"/tmp/bench_ledger_{args.patients}.sqlite")
    if not path.exists():
        build(path, args.patients)

    from coordinator_tui.services.accounts import aging, ledger
    from coordinator_tui.services.staff.actors import actor_for

    ctx = context(path)
    actor = actor_for(ctx, "super")
    raw = sqlite3.connect(path)
    rows = raw.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
    pids = [r[0] for r in raw.execute("SELECT id FROM patients")]
    print(f"{len(pids):,} patients, {rows:,} ledger rows")

    full, floor = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        raw.execute("SELECT patient_id, sum(amount_cents) FROM ledger_entries WHERE responsibility = 'patient' "
                    "GROUP BY patient_id").fetchall()
        floor.append(time.perf_counter() - t)
        t = time.perf_counter()
        report = aging.aging(ctx, actor, DAY)
        text = aging.aging_csv(report)
        full.append(time.perf_counter() - t)
    bare_total = raw.execute("SELECT sum(amount_cents) FROM ledger_entries WHERE responsibility = 'patient' "
                             "AND service_date <= ?", (DAY.isoformat(),)).fetchone()[0]
    assert sum(report.totals) == report.ledger_total == bare_total, "aging totals differ from the ledger"
    print(f"ar aging full run: median {statistics.median(full):.2f} s  (floor: bare GROUP BY SUM "
          f"{statistics.median(floor):.2f} s; ratio {statistics.median(full) / statistics.median(floor):.1f}x; "
          f"{len(report.patients):,} patients owing, {len(text) / 1e6:.1f} MB CSV; target < 5 s)")

    rng = random.Random(17)
    got, bare = [], []
    for _ in range(args.lookups):
        pid = rng.choice(pids)
        t = time.perf_counter()
        raw.execute("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE patient_id = ? "
                    "AND responsibility = 'patient'", (pid,)).fetchone()
        bare.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        ledger.balance(ctx, pid)
        got.append((time.perf_counter() - t) * 1000)
    print(f"one patient's balance: p50 {percentile(got, 0.5):.2f} ms, p95 {percentile(got, 0.95):.2f} ms  "
          f"(floor: bare SUM p50 {percentile(bare, 0.5):.3f} ms, p95 {percentile(bare, 0.95):.3f} ms; "
          f"target p95 < 5 ms)")
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
