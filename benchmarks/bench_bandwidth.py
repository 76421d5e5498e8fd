"""Bytes the app sends to an 80x24 terminal: the first screen, one search keystroke, one check-in
and one idle minute (what a desk costs on a slow SSH link).

    python benchmarks/bench_bandwidth.py [--patients 300] [--idle 60] [--term xterm-256color]
                                         [--clock 2026-11-23T10:45-05:00] [--raw out.bin]

Runs the installed `coordinator` command on a pseudo-terminal this script owns (os.openpty, size
set to 80x24), signs in as demo/demo, and counts every byte read from the master side (the same
bytes `tmux pipe-pane` captures in tests/terminal/test_bandwidth.py). A phase ends when the app
has written nothing for a second. The app's clock starts at `--clock` (COORDINATOR_CLOCK), a
Monday mid-morning, so the figures do not depend on the hour the script is run; the clinic is
seeded with `coordinator seed` for that day in a temporary folder (or `--db` an existing one with
the demo users), and one of the day's uniquely named patients is made express-ready (everything
current, nothing owed).

Each figure with a target (issue 13) is printed beside it with PASS or FAIL:
search keystroke mean <= 1.5 KB, check-in (Enter on the search, Enter on the checklist, back on
the board) <= 12 KB, an idle minute <= 1 KB.

`measure(...)` returns the figures as a dict, for benchmarks/bench_desks.py.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from limits import add_time_limit, start_time_limit  # noqa: E402

COORDINATOR = Path(sys.executable).parent / "coordinator"
CLOCK = "2026-11-23T10:45-05:00"  # a Monday mid-morning at the seeded clinic (America/New_York)
# Issue 13, item 6: bytes at 80x24.
TARGETS = {"search_keystroke_mean": 1500, "checkin_enter_enter": 12000, "idle_bytes_per_minute": 1000}


class PtyApp:
    """The installed app on a pty of width x height; counts what it writes."""

    def __init__(self, db: Path, home: Path, term: str, width: int = 80, height: int = 24,
                 clock: str = CLOCK) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": term, "HOME": str(home),
               "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config",
               "LANG": "C.UTF-8", "COORDINATOR_CLOCK": clock}
        self.proc = subprocess.Popen([str(COORDINATOR), "--db", str(db), "run", "--user", "demo"],
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.data = bytearray()
        self.lock = threading.Lock()
        self.last_write = time.monotonic()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                if self.proc.poll() is not None:
                    return
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk
                self.last_write = time.monotonic()

    def count(self) -> int:
        with self.lock:
            return len(self.data)

    def seen(self, text: bytes) -> bool:
        with self.lock:
            return text in self.data

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def answer(self, before: int, seconds: float = 1.0, timeout: float = 30.0) -> int:
        """After a key: wait for the app to start answering (up to 3 s), then for it to finish."""
        end = time.monotonic() + 3
        while self.count() == before and time.monotonic() < end:
            time.sleep(0.01)
        return self.quiet(seconds, timeout)

    def quiet(self, seconds: float = 1.0, timeout: float = 30.0) -> int:
        """Wait until nothing was written for `seconds`; the byte count then."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                idle = time.monotonic() - self.last_write
            if idle >= seconds:
                return self.count()
            time.sleep(0.05)
        return self.count()

    def wait(self, predicate, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError("the app did not get there in time")
            time.sleep(0.05)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send("\x11")  # Ctrl+Q
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
        os.close(self.master)


def prepare(db: Path, clock: str = CLOCK) -> tuple[int, str]:
    """The day's uniquely named booked patient, made express-ready: (appointment id, family name)."""
    from coordinator_tui.clock import StartedAtClock, parse_instant
    from coordinator_tui.config import Settings
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.domain.vocab import AppointmentStatus as S
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.desk_views import day_appointments
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.store.engine import Database, url_for_path

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_checkin import make_ready

    settings = Settings(db_url=url_for_path(db), clinic_tz="America/New_York")
    ctx = AppContext(db=Database(url_for_path(db)), settings=settings,
                     clock=StartedAtClock(parse_instant(clock)))
    try:
        actor = actor_for(ctx, "demo")
        today = ctx.today()
        everyone = day_appointments(ctx, actor, today)
        for row in everyone:
            family = row.patient_name.split(",")[0]
            if row.status in (S.SCHEDULED, S.CONFIRMED) and family.isascii() and family.isalpha() \
                    and sum(name_key(family) in name_key(o.patient_name) for o in everyone) == 1:
                make_ready(ctx, actor, row.id)
                return row.id, family
        raise SystemExit("no uniquely named patient waiting today: seed more patients")
    finally:
        ctx.db.dispose()


def status_of(db: Path, appointment_id: int) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT status FROM appointments WHERE id = ?", (appointment_id,)).fetchone()[0]
    finally:
        conn.close()


def measure(db: Path | None = None, *, patients: int = 300, idle_seconds: float = 60.0,
            term: str = "xterm-256color", clock: str = CLOCK, raw: Path | None = None) -> dict:
    """Bytes written by the app at 80x24 for each phase. Seeds a temporary clinic when `db` is
    None. Keys of the result: signin_screen, first_desk_screen, search_keystroke_first,
    search_keystroke_mean, checkin_enter_enter, checkin_total, idle_bytes, idle_seconds,
    idle_bytes_per_minute."""
    with tempfile.TemporaryDirectory(prefix="bench-bandwidth-") as folder:
        home = Path(folder)
        if db is None:
            db = home / "clinic.sqlite"
            from coordinator_tui.clock import parse_instant
            from coordinator_tui.config import Settings

            today = parse_instant(clock).astimezone(Settings(clinic_tz="America/New_York").tz).date()
            subprocess.run([str(COORDINATOR), "seed", "--patients", str(patients), "--db", str(db),
                            "--date", today.isoformat()], check=True, capture_output=True, timeout=600)
        appointment_id, family = prepare(db, clock)
        app = PtyApp(db, home, term, clock=clock)
        try:
            figures: dict = {"term": term, "size": "80x24"}
            app.wait(lambda: app.seen(b"Password"))
            figures["signin_screen"] = app.quiet()
            app.send("demo\r")
            app.wait(lambda: app.seen(b"Expected"))
            figures["first_desk_screen"] = app.quiet(1.5) - figures["signin_screen"]

            per_key = []
            for letter in family.lower():
                before = app.count()
                app.send(letter)
                per_key.append(app.answer(before, 0.7) - before)
            figures["search_keystroke_first"] = per_key[0]
            figures["search_keystroke_mean"] = round(sum(per_key) / len(per_key))

            before = app.count()
            app.send("\r")
            app.wait(lambda: app.seen(b"Ready - Enter checks in"))
            app.quiet(0.7)
            app.send("\r")
            app.wait(lambda: status_of(db, appointment_id) == "arrived")
            figures["checkin_enter_enter"] = app.quiet(1.5) - before
            figures["checkin_total"] = figures["checkin_enter_enter"] + sum(per_key)

            app.quiet(5.0, timeout=60)  # the "Checked in" notice times out and is cleared
            start = app.count()
            time.sleep(idle_seconds)
            figures["idle_seconds"] = idle_seconds
            figures["idle_bytes"] = app.count() - start
            figures["idle_bytes_per_minute"] = round(figures["idle_bytes"] * 60 / idle_seconds)
            return figures
        finally:
            app.close()
            if raw is not None:
                raw.write_bytes(bytes(app.data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing clinic (default: seed a temporary one)")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--idle", type=float, default=60.0, help="idle seconds to count (default 60)")
    parser.add_argument("--term", default="xterm-256color")
    parser.add_argument("--clock", default=CLOCK, help=f"the app's starting instant (default {CLOCK})")
    parser.add_argument("--raw", type=Path, help="write every byte the app sent to this file")
    add_time_limit(parser, 900)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_bandwidth")
    figures = measure(args.db, patients=args.patients, idle_seconds=args.idle, term=args.term,
                      clock=args.clock, raw=args.raw)
    report(figures)
    sys.exit(0 if all(figures[key] <= limit for key, limit in TARGETS.items()) else 1)


def verdict(key: str, value: int) -> str:
    """"<= 1,500 B  PASS" beside a figure with a target; "" for the others."""
    if key not in TARGETS:
        return ""
    return f"   target <= {TARGETS[key]:>6,} B  {'PASS' if value <= TARGETS[key] else 'FAIL'}"


def report(figures: dict) -> None:
    print(f"bytes sent to an {figures['size']} {figures['term']} terminal")
    for key in ("signin_screen", "first_desk_screen", "search_keystroke_first",
                "search_keystroke_mean", "checkin_enter_enter", "checkin_total"):
        print(f"  {key.replace('_', ' '):28} {figures[key]:>8,} B{verdict(key, figures[key])}")
    print(f"  {'idle':28} {figures['idle_bytes']:>8,} B in {figures['idle_seconds']:.0f} s")
    print(f"  {'idle per minute':28} {figures['idle_bytes_per_minute']:>8,} B"
          f"{verdict('idle_bytes_per_minute', figures['idle_bytes_per_minute'])}")


if __name__ == "__main__":
    main()
