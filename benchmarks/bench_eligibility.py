"""X12 eligibility: how fast a 270 is written and a 271 read, and a whole clinic day's
request + import through the services.

    python benchmarks/bench_eligibility.py --answers 5000 --patients 3000 --time-limit 120

Pure part (no database): `--answers` synthetic inquiries written as one 270, answered by the test
payer as a 271 (every answer active with the full set of benefits), and read back. Database
part: a seeded clinic of `--patients` patients (a temporary file), every coverage of the seeded
day made unverified, then `request_eligibility` and `import_271` of the payer's answer, timed.
Prints each figure beside its floor measured in the same run (the least this machine must do
for the same work: splitting the file into segments and elements; one indexed lookup and one
insert per answer in one SQLite transaction), the ratio, and the load average. Exits 1 when a
rate is below the fixed minimum (FLOOR_*_PER_S), which says nothing on a loaded machine: read the
ratio.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.interop.x12.x270 import Inquiry, Person, Submitter, write_270  # noqa: E402
from coordinator_tui.interop.x12.x271 import read_271  # noqa: E402
from tests.helpers.eligibility import SETTINGS, traces  # noqa: E402
from tests.helpers.x12_payer import ACTIVE, answer_270  # noqa: E402

FLOOR_READ_PER_S = 2_000     # 271 answers read per second
FLOOR_IMPORT_PER_S = 100     # answers matched and recorded per second (database)


def pure(answers: int) -> tuple[float, float, int]:
    submitter = Submitter("CLINIC01", "Bench Clinic", "1234567893", "AVAILITY")
    inquiries = [Inquiry(f"{n:013d}", "Aetna" if n % 2 else "Cigna", "60054" if n % 2 else "62308",
                         f"M{n:09d}", Person(f"Family{n}", "Given", date(1980, 1, 1 + n % 28), "F"), None,
                         ("30", "98"), date(2026, 11, 23)) for n in range(answers)]
    started = time.perf_counter()
    text = write_270(inquiries, submitter, 1, datetime(2026, 11, 22, 17, 0))
    wrote = time.perf_counter() - started
    response = answer_270(text, lambda t: ACTIVE)
    started = time.perf_counter()
    read = read_271(response)
    parsed = time.perf_counter() - started
    assert len(read.answers) == answers
    started = time.perf_counter()
    split = [segment.split("*") for segment in response.split("~")]
    floor = time.perf_counter() - started
    assert len(split) > answers
    return wrote, parsed, floor, len(response)


def floor_import(path: Path, traces_sent: list[str]) -> float:
    """The least recording the answers needs: in one write transaction, each answer's inquiry
    found by its trace number (indexed) and one row inserted, on the same file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("CREATE TABLE bench_floor (inquiry_id INTEGER, trace TEXT, status TEXT)")
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for trace in traces_sent:
            (inquiry_id,) = conn.execute("SELECT id FROM eligibility_inquiries WHERE trace_number = ?",
                                         (trace,)).fetchone()
            conn.execute("INSERT INTO bench_floor VALUES (?, ?, 'active')", (inquiry_id, trace))
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def database(patients: int) -> tuple[int, float, float, float]:
    from coordinator_tui.services.demo.clinic import seed_clinic
    from coordinator_tui.services.eligibility import import_271, request_eligibility
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.store.migrate import ensure_current
    from coordinator_tui.store.models import Coverage
    from tests.conftest import CLINIC_DAY, CLINIC_NOW, make_context

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        from coordinator_tui.store.engine import url_for_path

        ensure_current(url_for_path(path))
        ctx = make_context(path, FrozenClock(CLINIC_NOW))
        seed_clinic(ctx, patients=patients, seed=7, day=CLINIC_DAY)
        ctx.settings = replace(ctx.settings, **SETTINGS)
        with ctx.db.write() as session:
            session.query(Coverage).update({"eligibility_status": "unverified"})
        actor = actor_for(ctx, "demo")
        files: list[str] = []
        started = time.perf_counter()
        request_eligibility(ctx, actor, CLINIC_DAY, files.append)
        requested = time.perf_counter() - started
        answer = answer_270(files[0], lambda t: ACTIVE)
        started = time.perf_counter()
        import_271(ctx, actor, answer)
        imported = time.perf_counter() - started
        ctx.db.dispose()
        sent = traces(files[0])
        return len(sent), requested, imported, floor_import(path, sent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=2000, help="inquiries in the pure test")
    parser.add_argument("--patients", type=int, default=2000, help="patients in the seeded clinic")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds; stop after the part running then")
    args = parser.parse_args()
    # A hard stop past the soft limit above (set-up such as seeding runs before it counts).
    start_time_limit(int(args.time_limit) + 1800, "bench_eligibility")
    began = time.perf_counter()
    ok = True
    wrote, parsed, split, size = pure(args.answers)
    rate = args.answers / parsed
    ok &= rate >= FLOOR_READ_PER_S
    print(f"270 write   {args.answers:>6} inquiries  {wrote * 1000:8.1f} ms")
    print(f"271 read    {args.answers:>6} answers    {parsed * 1000:8.1f} ms  {rate:9,.0f}/s  "
          f"(minimum {FLOOR_READ_PER_S:,}/s; {size / 1e6:.1f} MB)")
    print(f"  floor: split into segments and elements {split * 1000:8.1f} ms; read = "
          f"{parsed / split:.0f}x the floor; {load()}")
    if time.perf_counter() - began > args.time_limit:
        print("time limit reached; database part skipped")
        return 0 if ok else 1
    count, requested, imported, floor = database(args.patients)
    rate = count / imported if imported else float("inf")
    ok &= rate >= FLOOR_IMPORT_PER_S
    print(f"request     {count:>6} coverages  {requested * 1000:8.1f} ms  (seeded day, {args.patients:,} patients)")
    print(f"import      {count:>6} answers    {imported * 1000:8.1f} ms  {rate:9,.0f}/s  "
          f"(minimum {FLOOR_IMPORT_PER_S:,}/s)")
    print(f"  floor: one lookup + one insert each, one transaction {floor * 1000:8.1f} ms; import = "
          f"{imported / floor:.0f}x the floor; {load()}")
    return 0 if ok else 1


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    sys.exit(main())
