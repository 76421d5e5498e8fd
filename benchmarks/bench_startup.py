"""Start-up: wall time from process start to the first screen ready for keys, and peak RSS.

Measured for the real app (check-in desk with today's arrivals drawn) on an empty and on a seeded
database, beside the floor of a minimal Textual app on the same machine in the same run (imports
Textual and SQLAlchemy, mounts a header, a 50-row DataTable and a footer). Each run is a fresh
process; "ready" is stamped by the child after its first screen has been drawn with data, using
the system-wide monotonic clock, so parent and child times compare.

    python benchmarks/bench_startup.py --patients 1000000 [--big-db /tmp/big.sqlite] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from limits import add_time_limit, start_time_limit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


# --- children -------------------------------------------------------------------------------------

def child_floor() -> None:
    import sqlalchemy  # noqa: F401  (the floor pays for the same two big imports)
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Floor(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("#", "Time", "Patient", "Status")
            for n in range(50):
                table.add_row(str(n), "09:00", f"Patient {n}", "Booked")
            self.call_after_refresh(self._ready)

        def _ready(self):
            _report_ready()
            self.exit()

    Floor().run(headless=True, size=(80, 24))


def child_app(db_url: str, signed_in: bool) -> None:
    """What `coordinator run --user demo` does (commands.app_commands.prepare_app: a current
    schema, the staff checks, the app on its sign-in screen), ready when the sign-in screen is
    drawn with the focus in the password box. With `signed_in`, the app starts already signed in
    and is ready once the check-in desk has drawn today's arrivals (the time after a sign-in)."""
    from coordinator_tui.commands.app_commands import prepare_app
    from coordinator_tui.config import load_settings

    settings = load_settings(db_url=db_url)
    if not signed_in:
        from coordinator_tui.tui.screens.signin import SignInScreen

        # Stamped like the floor: after the first refresh that follows the screen's on_mount
        # (where the focus goes to the password box).
        focus_password = SignInScreen.on_mount

        def on_mount(screen) -> None:
            focus_password(screen)
            screen.call_after_refresh(ready)

        def ready() -> None:
            _report_ready()
            app.exit()

        SignInScreen.on_mount = on_mount
        app = prepare_app(settings, "demo")
        app.run(headless=True, size=(80, 24))
        return

    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.tui.app import CoordinatorApp

    app = prepare_app(settings, "demo")
    actor = actor_for(app.ctx, "demo")

    class Measured(CoordinatorApp):
        async def on_mount(self) -> None:
            super().on_mount()
            self.set_timer(0.001, self._wait_for_data)

        async def _wait_for_data(self) -> None:
            await self.workers.wait_for_complete()
            self.call_after_refresh(self._ready)

        def _ready(self) -> None:
            _report_ready()
            self.exit()

    Measured(app.ctx, actor).run(headless=True, size=(80, 24))


def _report_ready() -> None:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ready": time.monotonic(), "peak_rss_mb": peak_kb / 1024}), flush=True)


# --- parent -----------------------------------------------------------------------------------------

def measure(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    times, peaks = [], []
    for _ in range(runs):
        start = time.monotonic()
        out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                             check=True, cwd=REPO)
        line = next(line for line in out.stdout.splitlines() if line.startswith("{"))
        result = json.loads(line)
        times.append((result["ready"] - start) * 1000)
        peaks.append(result["peak_rss_mb"])
    return times, peaks


def seed(path: Path, patients: int) -> None:
    subprocess.run([sys.executable, "-m", "coordinator_tui", "seed", "--patients", str(patients),
                    "--db", str(path)], check=True, cwd=REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--big-db", help="reuse a seeded database (else one is built)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=["floor", "app", "desk"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_startup")
    if args.child == "floor":
        return child_floor()
    if args.child in ("app", "desk"):
        return child_app(args.db, signed_in=args.child == "desk")

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    empty = work / "empty.sqlite"
    subprocess.run([sys.executable, "-m", "coordinator_tui", "db", "upgrade", "--db", str(empty)],
                   check=True, cwd=REPO, capture_output=True)
    # An empty clinic still needs a user to sign in as.
    subprocess.run([sys.executable, "-c",
                    "import sys; from coordinator_tui.config import load_settings;"
                    "from coordinator_tui.services.context import AppContext;"
                    "from coordinator_tui.store.engine import Database;"
                    "from coordinator_tui.services.staff import ensure_user;"
                    "from coordinator_tui.domain.vocab import Role;"
                    "s = load_settings(db_url=sys.argv[1]);"
                    "ensure_user(AppContext(db=Database(s.db_url), settings=s), 'demo', 'Dana Demo', Role.FRONT_DESK)",
                    f"sqlite:///{empty}"], check=True, cwd=REPO)
    big = Path(args.big_db) if args.big_db else work / "big.sqlite"
    if not big.exists():
        print(f"seeding {args.patients:,} patients into {big} ...", file=sys.stderr)
        seed(big, args.patients)

    # Warm the file cache and the interpreter's bytecode once, so every row pays the same.
    measure(["--child", "floor"], 1)
    measure(["--child", "app", "--db", f"sqlite:///{big}"], 1)

    rows = [("minimal Textual app (floor)", *measure(["--child", "floor"], args.runs))]
    rows.append(("coordinator, empty database", *measure(["--child", "app", "--db", f"sqlite:///{empty}"], args.runs)))
    rows.append((f"coordinator, {args.patients:,} patients", *measure(["--child", "app", "--db", f"sqlite:///{big}"], args.runs)))
    rows.append(("  (signed in: check-in desk with data)",
                 *measure(["--child", "desk", "--db", f"sqlite:///{big}"], args.runs)))

    floor_median = statistics.median(rows[0][1])
    print(f"\nStart-up to first screen ready for keys, 80x24 headless, {args.runs} runs each "
          f"({os.cpu_count()} cores)")
    print(f"{'':38} {'median ms':>10} {'p95 ms':>8} {'x floor':>8} {'peak RSS MB':>12}")
    for label, times, peaks in rows:
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{label:38} {statistics.median(times):10.0f} {p95:8.0f} "
              f"{statistics.median(times) / floor_median:8.2f} {max(peaks):12.1f}")
    print("\nTarget: coordinator within 1.5x of the floor (first screen = the sign-in screen).")


if __name__ == "__main__":
    main()
