"""Many desks on one database: the figures of issue 8 points 1, 2 and 4 (7 is added by the lead).

  desks   N real desk processes (default 8) doing mixed check-ins, undos, bookings, patient edits
          and registrations through the services for --seconds (default 60) on one SQLite file:
          transactions per second overall and per action, p50/p95 latency per action, refusals
          (another desk won the race: expected), storage errors (must be 0), lost updates and
          half-written rows found afterwards (must be none), whether the desks' views converged.
  crashes a writer killed with SIGKILL at a random moment, --crashes times (default 100): writes
          reported as saved, any lost, anything half-written, PRAGMA integrity_check.
  queue   issue 23 point 2: 1 desk and --desks desks, with the write queue off (the floor:
          SQLite's busy handler alone) and on, in --rounds interleaved rounds: p50/p95 per action,
          its first step (the checklist or record view, the free-slot search), its time waiting
          for and holding the write lock, actions per second and the ratio to one desk; beside
          it two ceilings: what N processes of pure Python sharing nothing do over one in the
          same window (scaling_floor.py), and cores / the CPU each action cost.
  idle    an idle desk (the app under Pilot, no key for longer than the idle threshold):
          data_version polls per second and any other statements; the same while active.

    python benchmarks/bench_desks.py [--seconds 60] [--desks 8] [--crashes 100] [--patients 5000]
                                     [--only desks,crashes,idle,bandwidth,queue] [--rounds 3]

The desk processes run tests/helpers/desk_driver.py (the same code the tests run, shorter).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scaling_floor  # noqa: E402
from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402
from tests.helpers import desk_driver  # noqa: E402

TZ_NAME = "America/New_York"
DAY = date(2026, 11, 23)


def context(path: Path, clock: FrozenClock) -> AppContext:
    return AppContext(db=Database(url_for_path(path)), settings=Settings(db_url=url_for_path(path),
                      clinic_tz=TZ_NAME), clock=clock)


def clinic_clock() -> FrozenClock:
    return FrozenClock(datetime.combine(DAY, clock_time(10, 45), tzinfo=ZoneInfo(TZ_NAME)).astimezone(UTC))


def seeded(path: Path, patients: int) -> Path:
    ensure_current(url_for_path(path))
    ctx = context(path, clinic_clock())
    seed_clinic(ctx, patients=patients, seed=7, day=DAY)
    ctx.db.dispose()
    return path


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# --- sections ------------------------------------------------------------------------------------


def section_desks(args, template: Path, work: Path) -> None:
    db = work / "desks.sqlite"
    shutil.copyfile(template, db)
    print(f"\n== {args.desks} desks for {args.seconds:.0f} s on one file ==")
    result = desk_driver.run_desks(db, DAY, desks=args.desks, seconds=args.seconds, workdir=work / "desks")
    desks = result["desks"]
    seconds = max(o["seconds"] for o in desks)
    total_ok = 0
    print(f"{'action':<10}{'ok':>7}{'ok/s':>8}{'refused':>9}{'storage':>9}{'other':>7}{'p50 ms':>9}{'p95 ms':>9}")
    for action in desk_driver.ACTIONS:
        ok = sum(o["outcomes"][action]["ok"] for o in desks)
        refused = sum(o["outcomes"][action]["refused"] for o in desks)
        storage = sum(o["outcomes"][action]["storage"] for o in desks)
        other = sum(o["outcomes"][action]["other"] for o in desks)
        lat = [x for o in desks for x in o["latencies_ms"][action]]
        total_ok += ok
        print(f"{action:<10}{ok:>7}{ok / seconds:>8.1f}{refused:>9}{storage:>9}{other:>7}"
              f"{pct(lat, 50):>9.1f}{pct(lat, 95):>9.1f}")
    storage = sum(o["outcomes"][a]["storage"] for o in desks for a in desk_driver.ACTIONS)
    print(f"successful actions: {total_ok} = {total_ok / seconds:.1f}/s overall "
          f"(an action = 1-2 write transactions plus its reads)")
    print(f"storage errors reaching a desk: {storage}")
    for problem in [p for o in desks for p in o["problems"]][:5]:
        print(f"  {problem}")
    print(f"lost or miscounted updates: {len(result['reported'])}  {result['reported'][:3]}")
    print(f"half-written / integrity / audit chain problems: {len(result['database'])}  "
          f"{result['database'][:3]}")
    converged = {o["digest"] for o in desks} == {result["digest"]}
    print(f"desks' final views converged: {'yes' if converged else 'NO'}")
    if result["failures"]:
        print(f"desk process failures: {result['failures'][:3]}")


def section_crashes(args, template: Path, work: Path) -> None:
    db = work / "crashes.sqlite"
    shutil.copyfile(template, db)
    print(f"\n== SIGKILL a writer at random moments, {args.crashes} times ==")
    started = time.monotonic()
    result = desk_driver.crash_runs(db, DAY, runs=args.crashes, workdir=work, seed=11)
    writes = result["writes_per_run"]
    print(f"runs: {result['runs']} in {time.monotonic() - started:.0f} s; writes reported saved: "
          f"{result['saved']} (per run: median {statistics.median(writes):.0f}, max {max(writes)}; "
          f"{sum(1 for w in writes if w == 0)} runs killed before the first write returned)")
    print(f"runs with a lost or half-written write, integrity or audit-chain problem: "
          f"{len({p.split(':')[0] for p in result['problems']})}")
    for problem in result["problems"][:5]:
        print(f"  {problem}")


def section_idle(args, template: Path, work: Path) -> None:
    from sqlalchemy import event

    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.tui.app import CoordinatorApp
    from coordinator_tui.tui.screens.desk import DeskScreen

    db = work / "idle.sqlite"
    shutil.copyfile(template, db)
    clock = clinic_clock()
    ctx = context(db, clock)
    actor = actor_for(ctx, "demo")
    print(f"\n== Database cost of one desk (Check-in desk, {args.idle_seconds:.0f} s each) ==")

    async def measure() -> None:
        app = CoordinatorApp(ctx, actor)
        statements = [0]

        def seen(*_a):
            statements[0] += 1

        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            event.listen(ctx.db.engine, "before_cursor_execute", seen)
            for label in ("active", "idle"):
                if label == "idle":
                    clock.advance(seconds=DeskScreen.IDLE_AFTER_SECONDS + 1)
                statements[0] = 0
                polls = screen._watcher.queries
                started = time.monotonic()
                while time.monotonic() - started < args.idle_seconds:
                    await asyncio.sleep(0.1)
                    await pilot.pause()
                elapsed = time.monotonic() - started
                polls = screen._watcher.queries - polls
                print(f"{label:<7} {polls / elapsed:.2f} data_version polls/s "
                      f"({polls} in {elapsed:.1f} s), {statements[0]} other statements")
            event.remove(ctx.db.engine, "before_cursor_execute", seen)

    asyncio.run(measure())
    ctx.db.dispose()
    print(f"poll interval: {DeskScreen.POLL_SECONDS} s active, {DeskScreen.IDLE_POLL_SECONDS} s after "
          f"{DeskScreen.IDLE_AFTER_SECONDS} s without a key; each poll is one PRAGMA, no table read")


def _summary(result: dict) -> dict:
    """Per action: ok count and latencies; overall: actions/s, storage and other errors, checks."""
    desks = result["desks"]
    seconds = max(o["seconds"] for o in desks)
    out = {"seconds": seconds, "lat": {}, "ok": 0, "storage": 0, "other": 0,
           "problems": len(result["reported"]) + len(result["database"]) + len(result["failures"])}
    for action in desk_driver.ACTIONS:
        out["lat"][action] = [x for o in desks for x in o["latencies_ms"][action]]
        out["ok"] += sum(o["outcomes"][action]["ok"] for o in desks)
        out["storage"] += sum(o["outcomes"][action]["storage"] for o in desks)
        out["other"] += sum(o["outcomes"][action]["other"] for o in desks)
        out["tries"] = out.get("tries", 0) + sum(sum(o["outcomes"][action].values()) for o in desks)
    out["rate"] = out["ok"] / seconds
    cpu = 1000 * sum(o.get("cpu_seconds", 0.0) for o in desks)
    out["cpu_ms"] = cpu / max(1, out["ok"])
    out["cpu_try_ms"] = cpu / max(1, out["tries"])  # refusals (desks racing) cost CPU too
    out["load"] = os.getloadavg()[0]
    for part in ("wait", "hold"):
        out[part] = [x for o in desks for x in o.get("lock_ms", {}).get(part, [])]
    for part in PARTS:
        out[part] = [x for o in desks for x in o.get("parts_ms", {}).get(part, [])]
    return out


# The first step of checkin, book, edit; then each action's time waiting for the write lock.
PARTS = ("checklist view", "free slots", "record view",
         *(f"{a} {p}" for a in desk_driver.ACTIONS for p in ("wait", "hold")))
QUEUE_MODES = {"off": "off", "queue": "fifo"}  # label -> COORDINATOR_WRITE_QUEUE


def section_queue(args, template: Path, work: Path) -> None:
    """Issue 23 point 2: 1 desk and N desks, with the write queue off (the floor: SQLite's busy
    handler alone) and on, interleaved in rounds so the machine's load falls on both alike."""
    import os

    from coordinator_tui.store.write_queue import ENV_OFF

    modes = [m for m in args.modes.split(",") if m]
    runs: dict[tuple[str, int], list[dict]] = {}
    floors: list[float] = []  # per round: N processes of pure Python over one (scaling_floor.py)
    print(f"\n== write queue: 1 and {args.desks} desks, modes {', '.join(modes)}, "
          f"{args.rounds} rounds of {args.seconds:.0f} s each, interleaved ==")
    saved = os.environ.get(ENV_OFF)
    try:
        for round_no in range(args.rounds):
            for mode in modes:
                os.environ[ENV_OFF] = QUEUE_MODES.get(mode, mode)
                for count in (1, args.desks):
                    db = work / f"q-{round_no}-{mode}-{count}.sqlite"
                    shutil.copyfile(template, db)
                    result = desk_driver.run_desks(db, DAY, desks=count, seconds=args.seconds,
                                                   workdir=work / f"q-{round_no}-{mode}-{count}")
                    runs.setdefault((mode, count), []).append(_summary(result))
                    if count > 1 and len(floors) <= round_no:  # the same window as its desks
                        floors.append(scaling_floor.ratio(count, 5.0))
                    print(f"  round {round_no + 1} {mode:<6} {count} desk(s): "
                          f"{runs[(mode, count)][-1]['rate']:.1f} actions/s, "
                          f"{runs[(mode, count)][-1]['cpu_ms']:.1f} CPU ms/action, "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if saved is None:
            os.environ.pop(ENV_OFF, None)
        else:
            os.environ[ENV_OFF] = saved
    columns = [(mode, count) for mode in modes for count in (1, args.desks)]
    print(f"{'p50 / p95 ms':<12}" + "".join(f"{f'{m} x{c}':>17}" for m, c in columns))
    for action in desk_driver.ACTIONS:
        cells = []
        for key in columns:
            lat = [x for r in runs[key] for x in r["lat"][action]]
            cells.append(f"{pct(lat, 50):7.1f} /{pct(lat, 95):7.1f}")
        print(f"{action:<12}" + "".join(f"{c:>17}" for c in cells))
    for part in PARTS + ("wait", "hold"):
        cells = []
        for key in columns:
            lat = [x for r in runs[key] for x in r[part]]
            cells.append(f"{pct(lat, 50):7.1f} /{pct(lat, 95):7.1f}")
        label = ("lock " + part if part in ("wait", "hold") else
                 part if part.endswith((" wait", " hold")) else part.split()[0] + " step")
        print(f"{label:<12}" + "".join(f"{c:>17}" for c in cells))
    rate = {key: statistics.mean(r["rate"] for r in runs[key]) for key in columns}
    print(f"{'actions/s':<12}" + "".join(f"{rate[k]:>17.1f}" for k in columns))
    # Process CPU per successful action and per try (a refusal costs CPU too): the figure that
    # does not depend on who else uses the machine. Load: the 1-minute average after each run.
    for label, field in (("CPU ms/act", "cpu_ms"), ("CPU ms/try", "cpu_try_ms"), ("load 1 min", "load")):
        values = {key: statistics.mean(r[field] for r in runs[key]) for key in columns}
        print(f"{label:<12}" + "".join(f"{values[k]:>17.2f}" for k in columns))
    refused = {key: sum(r["tries"] - r["ok"] for r in runs[key]) for key in columns}
    print(f"{'not done':<12}" + "".join(f"{refused[k]:>17}" for k in columns))
    print(f"{'x one desk':<12}" + "".join(f"{rate[k] / rate[(k[0], 1)]:>17.2f}" for k in columns))
    # The most any number of desks could do at the CPU each action cost in that run, with every
    # core busy on desks alone and nothing else running: above this no ordering of the writers
    # helps. One desk flat out is itself CPU-bound, so this ceiling is about cores x (one desk's
    # time per action / the CPU per action with N desks).
    cores = os.cpu_count() or 1
    ceiling = {key: cores * 1000 / statistics.mean(r["cpu_ms"] for r in runs[key]) for key in columns}
    floor = statistics.mean(floors) if floors else float("nan")
    print(f"{'machine x1':<12}" + "".join(f"{1.0 if k[1] == 1 else floor:>16.2f}x" for k in columns)
          + f"   ({args.desks} processes of pure Python sharing nothing, over one)")
    print(f"{'CPU ceiling':<12}" + "".join(f"{ceiling[k] / rate[(k[0], 1)]:>16.2f}x" for k in columns)
          + f"   ({cores} cores / CPU ms per action, over one desk's actions/s)")
    for label, field in (("storage err", "storage"), ("other err", "other"), ("lost/broken", "problems")):
        print(f"{label:<12}" + "".join(f"{sum(r[field] for r in runs[k]):>17}" for k in columns))


SECTIONS = {"desks": section_desks, "crashes": section_crashes, "idle": section_idle}
def section_bandwidth(args, _template: Path, _work: Path) -> None:
    """Issue 8 point 7: bytes sent to an 80x24 terminal (benchmarks/bench_bandwidth.py; it seeds
    its own small clinic for today, since it drives the installed command on the real clock)."""
    from benchmarks.bench_bandwidth import measure, report

    print("\n== Bandwidth: bytes to the terminal per action ==")
    report(measure(idle_seconds=60.0))


EXTRA_SECTIONS: dict = {"bandwidth": section_bandwidth, "queue": section_queue}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="desk run length (default 60)")
    parser.add_argument("--desks", type=int, default=8, help="desk processes (default 8)")
    parser.add_argument("--crashes", type=int, default=100, help="SIGKILL runs (default 100)")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle measure (default 10)")
    parser.add_argument("--patients", type=int, default=5000, help="seeded patients (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="queue: interleaved rounds (default 3)")
    parser.add_argument("--modes", default="off,queue",
                        help="queue: write-queue modes to compare (off = the floor; default off,queue)")
    parser.add_argument("--only", default="", help="comma-separated sections to run")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_desks")
    sections = {**SECTIONS, **EXTRA_SECTIONS}
    chosen = [s for s in args.only.split(",") if s] or list(sections)
    unknown = [s for s in chosen if s not in sections]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(sections)}")
    with tempfile.TemporaryDirectory(prefix="bench-desks-") as tmp:
        work = Path(tmp)
        template = seeded(work / "template.sqlite", args.patients)
        print(f"clinic: {args.patients} patients seeded for {DAY}; SQLite file in {work}")
        for name in chosen:
            sections[name](args, template, work)


if __name__ == "__main__":
    main()
