"""Interleaved A/B of the patient lookup: two source trees (say main and a branch), the same
searches sent to both in turn, and a check that both return the same rows in the same order.

    python benchmarks/lookup_ab.py --a /work/main --b . --db /tmp/lookup-1m.sqlite [--runs 100]
    python benchmarks/lookup_ab.py --a /work/main --b . \
        --db postgresql+psycopg://USER:PASS@HOST:PORT/DB [--kinds "typo;sounds like"]

Each tree runs in its own process (its own `.venv/bin/python`, else this one), with the same
PYTHONHASHSEED (a random seed reorders the fuzzy step's ties from process to process). The
searches are bench_lookup's (`queries`, the same sample of the same clinic); per search the
order A-then-B alternates with B-then-A, so a machine's drift falls on both alike. Printed per
kind: wall p50 / p95, the searching thread's CPU mean / p95 (what the code itself costs: on a
loaded machine the wall figures are mostly waits for a core), on PostgreSQL the server
process's CPU per search (mean, /proc), the raw floor query beside them, and how many searches
gave identical results (ids, scores and reasons, in order). Prints figures; never part of the
test run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from limits import add_time_limit, start_time_limit  # noqa: E402

WORKER = r"""
import json, os, sys, time
from pathlib import Path
from sqlalchemy import event
from coordinator_tui.config import load_settings
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.patients.lookup_vocab import warm_vocabulary
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import Database

url = sys.argv[1]
ctx = AppContext(db=Database(url), settings=load_settings(db_url=url))
backends = set()
if url.startswith("postgresql"):
    def _pid(dbapi, _record):
        backends.add(dbapi.info.backend_pid)
    event.listen(ctx.db.engine, "connect", _pid)
    if hasattr(ctx.db, "fixed_engine"):  # the lookup's own pool (read_driver(PG_SESSION))
        from coordinator_tui.services.patients.lookup_sql import PG_SESSION
        event.listen(ctx.db.fixed_engine(PG_SESSION), "connect", _pid)

def server_ms():
    if not backends:
        return None
    total = 0
    for pid in backends:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total * 1000 / os.sysconf("SC_CLK_TCK")

actor = actor_for(ctx, "demo")
warm_vocabulary(ctx)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    text = json.loads(line)
    before = server_ms()
    t, c = time.perf_counter(), time.thread_time()
    hits = search_patients(ctx, actor, text, limit=20)
    wall, cpu = (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000
    after = server_ms()
    server = None if before is None or after is None else after - before
    rows = [[h.id, h.score, h.reason, h.possible_duplicate, str(h.next_appointment)] for h in hits]
    print(json.dumps({"wall": wall, "cpu": cpu, "server": server, "rows": rows}), flush=True)
"""


class Side:
    """One tree's search process."""

    def __init__(self, tree: Path, url: str, seed: str):
        python = tree / ".venv" / "bin" / "python"
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen([str(python) if python.exists() else sys.executable, "-c", WORKER, url],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tree, env=env)
        assert json.loads(self.proc.stdout.readline())["ready"]

    def search(self, text: str) -> dict:
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _columns(got: dict[str, list]) -> tuple[str, str, str]:
    w, c, s = got["wall"], got["cpu"], got["server"]
    return (f"{statistics.median(w):.2f}/{pct(w, 95):.2f}", f"{statistics.mean(c):.2f}/{pct(c, 95):.2f}",
            f"{statistics.mean(s):.2f}" if s else "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, type=Path, help="tree A (e.g. /work/main)")
    parser.add_argument("--b", required=True, type=Path, help="tree B (e.g. this branch)")
    parser.add_argument("--db", required=True, help="a SQLite file or a PostgreSQL URL (already seeded)")
    parser.add_argument("--sqlite", help="with a PostgreSQL --db: the SQLite clinic to sample searches from")
    parser.add_argument("--runs", type=int, default=100, help="searches per kind")
    parser.add_argument("--kinds", default="", help="kinds separated by ; (default: all of bench_lookup's)")
    parser.add_argument("--seed", default="1", help="PYTHONHASHSEED of both processes")
    parser.add_argument("--diffs", action="store_true",
                        help="print each search whose results differ, at the first row that differs")
    add_time_limit(parser, 1200)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "lookup_ab")
    from bench_lookup import queries, sample

    pg = args.db.startswith("postgresql")
    source = Path(args.sqlite) if pg else Path(args.db)
    raw = sqlite3.connect(source)
    rng = random.Random(7)  # bench_lookup's sample and typos
    kinds = queries(sample(raw, args.runs, rng), rng)
    wanted = [k for k in args.kinds.split(";") if k] or list(kinds)
    floor_conn = raw
    if pg:
        import psycopg
        from lookup_on_pg import conninfo, pg_floor

        floor_conn = psycopg.connect(conninfo(args.db), autocommit=True)
    url = args.db if pg else f"sqlite:///{source}"
    sides = {"A": Side(args.a.resolve(), url, args.seed), "B": Side(args.b.resolve(), url, args.seed)}
    print(f"A {args.a}  B {args.b}  {'PostgreSQL' if pg else 'SQLite'}  {args.runs} searches a kind, "
          f"PYTHONHASHSEED={args.seed}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'kind':<22} {'A wall p50/p95':>15} {'B wall p50/p95':>15} {'A cpu mean/p95':>15} "
          f"{'B cpu mean/p95':>15} {'srv A':>6} {'srv B':>6} {'floor p95':>9} {'same':>8}  (ms)")
    for kind in wanted:
        items = kinds[kind]
        for text, _sql, _params in items[:10]:  # warm both
            for side in sides.values():
                side.search(text)
        got: dict[str, dict[str, list]] = {n: {"wall": [], "cpu": [], "server": []} for n in sides}
        floor: list[float] = []
        same = 0
        for i, (text, sql, params) in enumerate(items):
            order = ("A", "B") if i % 2 == 0 else ("B", "A")
            answers = {}
            for name in order:
                answers[name] = out = sides[name].search(text)
                for key in ("wall", "cpu", "server"):
                    if out[key] is not None:
                        got[name][key].append(out[key])
            same += answers["A"]["rows"] == answers["B"]["rows"]
            if args.diffs and answers["A"]["rows"] != answers["B"]["rows"]:
                a_rows, b_rows = answers["A"]["rows"], answers["B"]["rows"]
                pairs = zip(a_rows, b_rows, strict=False)  # one list may be the shorter
                at = next((j for j, (x, y) in enumerate(pairs) if x != y), min(len(a_rows), len(b_rows)))
                print(f"  differs: {text!r} at row {at} of {len(a_rows)}/{len(b_rows)}: "
                      f"A {a_rows[at:at + 1]} B {b_rows[at:at + 1]}", flush=True)
            if pg:
                sql, params = pg_floor(kind, sql, params, text)
            t = time.perf_counter()
            floor_conn.execute(sql, params).fetchall()
            floor.append((time.perf_counter() - t) * 1000)

        (aw, ac, asrv), (bw, bc, bsrv) = _columns(got["A"]), _columns(got["B"])
        print(f"{kind:<22} {aw:>15} {bw:>15} {ac:>15} {bc:>15} {asrv:>6} {bsrv:>6} "
              f"{pct(floor, 95):>9.3f} {same:>4}/{len(items):<3}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")
    for side in sides.values():
        side.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
