"""Express check-in, driven by keys through Textual's Pilot at 80x24, on a large clinic.

    python benchmarks/bench_checkin.py --db /tmp/bench1m.sqlite --patients 1000000 --count 200

Builds the database with `coordinator seed` if the file does not exist (about 80 s for 1M
patients), makes today's uniquely named waiting patients express-ready through the services,
then checks them in by keys (letters of "family given" until the board shows one of today's
patients, Enter, Enter; a patient it never narrows to one is counted and skipped; a check-in not
back at the search box within 15 s stops the run with the screen it is stuck on). Between rounds each check-in is undone through the service (not timed), so 200
check-ins can cycle over the ~100 patients still expected today. Prints median and p95 keys and
milliseconds per check-in (from the first letter until the status is saved and the cursor is
back in the cleared search box).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import SystemClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.domain.names import name_key  # noqa: E402
from coordinator_tui.domain.vocab import AppointmentStatus as S  # noqa: E402
from coordinator_tui.services import checkin as svc  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.desk_views import day_appointments  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from tests.helpers.checkin import make_ready  # noqa: E402

STUCK_AFTER_S = 15  # a check-in that is not back at the search box by then fails the run


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def today_rows(table) -> int:
    """The board's rows that are today's appointments (the search adds "not today" patients,
    keyed "p<id>", after them: at a million patients there are always some)."""
    return sum(not key.value.startswith("p") for key in table.rows)


async def type_until_one(app, pilot, table, text: str) -> int | None:
    """Type `text` a letter at a time, as a receptionist watching the board would, until it
    shows exactly one of today's appointments; the keys typed, or None if it never does."""
    for typed, letter in enumerate(text, start=1):
        await pilot.press("space" if letter == " " else letter)
        await app.workers.wait_for_complete()
        await pilot.pause()
        if typed >= 3 and today_rows(table) == 1:
            return typed
    return None


async def until_back_at_search(app, pilot, n: int) -> None:
    from textual.widgets import Input

    from coordinator_tui.tui.screens.checkin.board import CheckinScreen

    deadline = time.perf_counter() + STUCK_AFTER_S
    while time.perf_counter() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, CheckinScreen):
            box = screen.query_one("#checkin-search", Input)
            if app.focused is box and not box.value:
                return
    raise SystemExit(f"check-in {n} stuck on {type(app.screen).__name__} for {STUCK_AFTER_S} s")


async def drive(ctx, actor, rows, count):
    from textual.widgets import DataTable

    from coordinator_tui.tui.app import CoordinatorApp

    app = CoordinatorApp(ctx, actor)
    keys_per, ms_per, ambiguous = [], [], 0
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        n = 0
        while len(ms_per) < count and n < count * 3:
            row = rows[n % len(rows)]
            n += 1
            family, given = (part.strip().lower() for part in row.patient_name.split(",", 1))
            table = app.screen.query_one("#arrivals", DataTable)
            started = time.perf_counter()
            keys = await type_until_one(app, pilot, table, f"{family} {given}")
            if keys is None:  # sounds-like and typo matches keep another of today's patients
                ambiguous += 1
                await pilot.press("escape")
                await until_back_at_search(app, pilot, n)
                continue
            await pilot.press("enter", "enter")
            await until_back_at_search(app, pilot, n)
            elapsed = (time.perf_counter() - started) * 1000
            with ctx.db.read() as session:
                from coordinator_tui.store.models import Appointment

                status = session.get(Appointment, row.id).status
            if status != S.ARRIVED.value:
                raise SystemExit(f"check-in {n} (appointment {row.id}) did not save: {status}")
            keys_per.append(keys + 2)
            ms_per.append(elapsed)
            svc.undo_check_in(ctx, actor, row.id, "benchmark round")  # not timed
            await app.workers.wait_for_complete()
    return keys_per, ms_per, ambiguous


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/coordinator-bench-1m.sqlite")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=200)
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_checkin")
    settings = Settings(db_url=url_for_path(args.db), clinic_tz="America/New_York")
    today = SystemClock().now().astimezone(settings.tz).date()
    if not Path(args.db).exists():
        started = time.perf_counter()
        coordinator = Path(sys.executable).parent / "coordinator"
        subprocess.run([str(coordinator), "seed", "--patients", str(args.patients), "--db", args.db,
                        "--date", today.isoformat()], check=True)
        print(f"seeded {args.patients:,} patients in {time.perf_counter() - started:.0f} s")
    ctx = AppContext(db=Database(url_for_path(args.db)), settings=settings)
    actor = actor_for(ctx, "demo")
    everyone = day_appointments(ctx, actor, today)
    rows = []
    for row in everyone:
        family = row.patient_name.split(",")[0]
        if row.status not in (S.SCHEDULED, S.CONFIRMED) or not (family.isascii() and family.isalpha()):
            continue
        if sum(name_key(family) in name_key(o.patient_name) for o in everyone) == 1:
            rows.append(row)
    if not rows:
        raise SystemExit("no uniquely named waiting patients today: seed with --date today")
    for row in rows:
        if not svc.is_express_ready(svc.checklist(ctx, actor, row.id)):
            make_ready(ctx, actor, row.id)
    print(f"{len(rows)} express-ready patients today; driving {args.count} check-ins by keys")
    keys, ms, ambiguous = asyncio.run(drive(ctx, actor, rows, args.count))
    print(f"check-ins: {len(ms)}; patients the board never narrowed to one (skipped): {ambiguous}")
    if not ms:
        raise SystemExit("no check-in could be driven")
    print(f"keys per check-in: median {statistics.median(keys):.0f}, p95 {percentile(keys, 0.95):.0f}, "
          f"max {max(keys)}")
    print(f"ms per check-in:   median {statistics.median(ms):.1f}, p95 {percentile(ms, 0.95):.1f}, "
          f"max {max(ms):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
