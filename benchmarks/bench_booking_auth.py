"""Booking with the authorisation check beside booking without it, on a large clinic.

A synthetic clinic of --patients patients (the seed's own generator) plus --auths active prior
authorisations (in use) for PROC visits (10 visits each, valid a year) on insured patients, and a rule
that PROC visits need an authorisation from every payer. Then, one booking at a time through
the real service (`services.schedule.book`: one BEGIN IMMEDIATE transaction on a real SQLite file,
synchronous=FULL), each in a different free slot:

  without   PROC bookings with the check taken out (authorise_visit replaced by a no-op): the
            floor the check is measured against
  no rule   FU bookings, a type no rule covers: the check runs and finds nothing to do
  counted   PROC bookings on a patient's authorisation: the check finds it, counts its visits
            inside the transaction and links the visit (named in the booking's audit row)

interleaved booking by booking, and prints p50 / p95 in milliseconds side by side: the whole
booking (commit and fsync included; wall clock, and this thread's CPU time) and the check alone
(timed inside the transaction, on the wall clock and as CPU time, which a machine shared with
other work leaves alone), each mode as a ratio of the floor. Target: the check adds under 2 ms
at p95. The authorisations start with no visits booked on them (each run adds some).

    python benchmarks/bench_booking_auth.py [--patients 1000000] [--auths 100000] [--rounds 300]
                                            [--time-limit 600] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import os
import random
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

from limits import start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services import schedule as booking  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.services.referrals.booking_check import Assessment  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.bulk import insert_many, sql_date, sql_instant  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
SEED_DAY = date(2026, 11, 23)
TARGET_ADDED_P95_MS = 2.0


def build(path: Path, patients: int, auths: int) -> tuple[AppContext, list[int]]:
    ensure_current(url_for_path(path))
    now = datetime.combine(SEED_DAY, clock_time(10, 45), tzinfo=TZ).astimezone(UTC)
    ctx = context(path)
    started = time.perf_counter()
    seed_clinic(ctx, patients=patients, seed=11, day=SEED_DAY)
    print(f"seeded {patients:,} patients in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with ctx.db.engine.begin() as conn:
        insured = [r[0] for r in conn.exec_driver_sql(
            "SELECT patient_id FROM coverages WHERE rank = 'primary' AND active = 1 ORDER BY patient_id")]
        chosen = random.Random(3).sample(insured, min(auths, len(insured)))
        payer = dict(conn.exec_driver_sql("SELECT patient_id, payer_id FROM coverages "
                                          "WHERE rank = 'primary' AND active = 1").fetchall())
        proc = conn.exec_driver_sql("SELECT id FROM appointment_types WHERE code = 'PROC'").scalar()
        first = (conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM referrals").scalar() or 0) + 1
        valid_to = sql_date(SEED_DAY + timedelta(days=365))
        insert_many(conn, "referrals", ("id", "patient_id", "kind", "payer_id", "received_on", "status",
                                        "auth_number", "auth_valid_from", "auth_valid_to", "auth_visits",
                                        "created_at", "version_id"),
                    [(first + n, pid, "prior_authorisation", payer[pid], sql_date(SEED_DAY), "active",
                      f"B{first + n:07d}", sql_date(SEED_DAY), valid_to, 10, sql_instant(now), 1)
                     for n, pid in enumerate(chosen)])
        insert_many(conn, "referral_types", ("referral_id", "appointment_type_id"),
                    [(first + n, proc) for n in range(len(chosen))])
        insert_many(conn, "auth_requirements", ("appointment_type_id", "payer_id"), [(proc, None)])
    print(f"added {len(chosen):,} active authorisations in {time.perf_counter() - started:.0f} s", flush=True)
    return ctx, chosen


def context(path: Path) -> AppContext:
    now = datetime.combine(SEED_DAY, clock_time(10, 45), tzinfo=TZ).astimezone(UTC)
    return AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path),
                      clinic_tz=TZ_NAME), clock=FrozenClock(now))


def reopen(path: Path) -> tuple[AppContext, list[int]]:
    """A database an earlier run kept: its patients with a benchmark authorisation."""
    ensure_current(url_for_path(path))
    ctx = context(path)
    with ctx.db.engine.begin() as conn:
        chosen = [r[0] for r in conn.exec_driver_sql(
            "SELECT patient_id FROM referrals WHERE kind = 'prior_authorisation' AND auth_number LIKE 'B%' "
            "ORDER BY id")]
    print(f"reusing {path}: {len(chosen):,} authorisations", flush=True)
    return ctx, chosen


def free_slots(ctx, actor, type_code: str, after: date, count: int) -> list:
    """`count` free slots of `type_code`, none overlapping another of the same provider."""
    found, last_end = [], {}
    day = after
    while len(found) < count:
        batch = booking.find_free_slots(ctx, actor, provider_id=None, type_code=type_code, after=day, limit=500)
        if not batch:
            break
        for slot in batch:
            if slot.starts_at >= last_end.get(slot.provider_id, slot.starts_at):
                found.append(slot)
                last_end[slot.provider_id] = slot.ends_at
        day = batch[-1].starts_at.astimezone(TZ).date() + timedelta(days=1)
    return found[:count]


class Timed:
    """authorise_visit with a stopwatch (or, `skip`, replaced by a no-op): the time the check
    itself takes inside the booking transaction, apart from the commit's fsync."""

    def __init__(self, real) -> None:
        self.real = real
        self.skip = False
        self.last = 0.0
        self.last_cpu = 0.0

    def __call__(self, *args, **kwargs):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return Assessment(False) if self.skip else self.real(*args, **kwargs)
        finally:
            self.last = (time.perf_counter() - started) * 1000
            self.last_cpu = (time.thread_time() - cpu) * 1000


def measure(ctx, actor, timed: Timed, modes: dict, deadline: float) -> dict[str, tuple[list, ...]]:
    """The modes interleaved booking by booking (so a busy disk or a growing file weighs on each
    alike): {mode: (whole booking ms, check ms, check CPU ms)}."""
    out = {name: ([], [], [], []) for name in modes}
    for index in range(max(len(v[1]) for v in modes.values())):
        if time.perf_counter() > deadline:
            break
        for name, (type_code, slots, patients, skip) in modes.items():
            if index >= len(slots):
                continue
            timed.skip = skip
            started, cpu = time.perf_counter(), time.thread_time()
            result = booking.book(ctx, actor, patients[index], slots[index].provider_id, type_code,
                                  slots[index].starts_at)
            out[name][0].append((time.perf_counter() - started) * 1000)
            out[name][1].append(timed.last)
            out[name][2].append(timed.last_cpu)
            out[name][3].append((time.thread_time() - cpu) * 1000)
            assert result.appointment_id is not None
    return out


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--auths", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300, help="bookings per mode")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for the measuring part")
    parser.add_argument("--keep", type=Path, help="build the database in this folder and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: measure on the database an "
                        "earlier --keep run left there (no seeding; its earlier bookings stay)")
    args = parser.parse_args(argv)
    # A hard stop past the soft limit above (set-up such as seeding runs before it counts).
    start_time_limit(int(args.time_limit) + 1800, "bench_booking_auth")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-auth-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.sqlite"
    if args.reuse and path.exists():
        ctx, with_auth = reopen(path)
    else:
        if path.exists():
            path.unlink()
        ctx, with_auth = build(path, args.patients, args.auths)
    with ctx.db.engine.begin() as conn:
        args.patients = conn.exec_driver_sql("SELECT count(*) FROM patients").scalar()
    actor = actor_for(ctx, "demo")
    rounds = min(args.rounds, len(with_auth) // 3)
    far = SEED_DAY + timedelta(days=30)
    slots = free_slots(ctx, actor, "PROC", far, 3 * rounds)
    rounds = min(rounds, len(slots) // 3)
    plain, fu, counted = slots[:rounds], slots[rounds:2 * rounds], slots[2 * rounds:3 * rounds]
    deadline = time.perf_counter() + args.time_limit
    with ctx.db.engine.begin() as conn:  # a reused database: other patients than last time
        earlier = conn.exec_driver_sql("SELECT count(*) FROM referral_visits").scalar()
    rng = random.Random(9 + earlier)
    rng.shuffle(with_auth)
    import coordinator_tui.services.schedule.booking as booking_module

    load_before = os.getloadavg()[0]
    timed = Timed(booking_module.authorise_visit)
    booking_module.authorise_visit = timed
    try:
        results = measure(ctx, actor, timed, {
            "without the check": ("PROC", plain, with_auth[:rounds], True),
            "check, no rule for type": ("FU", fu, with_auth[rounds:2 * rounds], False),
            "check, counted + linked": ("PROC", counted, with_auth[2 * rounds:3 * rounds], False),
        }, deadline)
    finally:
        booking_module.authorise_visit = timed.real
    counts = "/".join(str(len(v[0])) for v in results.values())
    print(f"\nbooking on {args.patients:,} patients, {len(with_auth):,} authorisations ({counts} bookings, "
          f"interleaved)")
    print(f"{'':<26}{'booking p50':>12}{'p95':>8}{'check p50':>11}{'p95':>8}{'check CPU p50':>15}"
          f"{'p95':>8}   (ms)")
    for name, (whole, check, cpu, _whole_cpu) in results.items():
        print(f"{name:<26}{pct(whole, 50):>12.2f}{pct(whole, 95):>8.2f}{pct(check, 50):>11.3f}"
              f"{pct(check, 95):>8.3f}{pct(cpu, 50):>15.3f}{pct(cpu, 95):>8.3f}")
    print(f"load average before / after measuring: {load_before:.1f} / {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores "
          f"(wall-clock figures include waiting for a core; CPU figures do not)")
    floor = results["without the check"][0]
    floor_cpu = results["without the check"][3]
    for name, (whole, _check, _cpu, whole_cpu) in results.items():
        print(f"  {name:<26} p50 {pct(whole, 50) / pct(floor, 50):.2f}x, p95 {pct(whole, 95) / pct(floor, 95):.2f}x "
              f"the floor (without the check); the booking's CPU p50 {pct(whole_cpu, 50):.2f} / p95 "
              f"{pct(whole_cpu, 95):.2f} ms ({pct(whole_cpu, 50) - pct(floor_cpu, 50):+.2f} / "
              f"{pct(whole_cpu, 95) - pct(floor_cpu, 95):+.2f} ms beside the floor)")
    added = pct(results["check, counted + linked"][0], 95) - pct(floor, 95)
    verdict = "ok" if added < TARGET_ADDED_P95_MS else "OVER"
    print(f"booking with the check (counted + linked) vs without, at p95: {added:+.2f} ms (target < "
          f"{TARGET_ADDED_P95_MS:.0f} ms): {verdict}. The check alone, timed inside the transaction: "
          f"p95 {pct(results['check, counted + linked'][1], 95):.2f} ms wall, "
          f"{pct(results['check, counted + linked'][2], 95):.2f} ms CPU")
    from coordinator_tui.services.referrals import work_list

    started = time.perf_counter()
    rows = work_list(ctx, actor)
    print(f"referrals work list over {len(with_auth):,} authorisations: {len(rows)} rows in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    if args.keep is None:
        ctx.db.dispose()
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
