"""Driving the installed `coordinator` command in a real terminal: tmux on a private socket.

Shared by tests/tui/test_real_terminal.py and tests/terminal/: a seeded database built with the
installed command, the command line that opens the app with its environment spelled out (so the
test's own environment can't leak in), and a `Tmux` pane to type into and read from. The pane's
raw output (every byte the app wrote, escape sequences included) is kept in a file by
`tmux pipe-pane`, for the tests that look at what is sent rather than what is shown.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE, FrozenClock
from tests.conftest import CLINIC_DAY, CLINIC_NOW

COORDINATOR = Path(sys.executable).parent / "coordinator"
TMUX = shutil.which("tmux")

needs_real_terminal = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed: no real terminal to drive"),
    pytest.mark.skipif(not COORDINATOR.exists(),
                       reason="the coordinator command is not installed in this venv"),
]

_sockets = itertools.count()


def wait_for(predicate, timeout=30.0, step=0.1):
    """The predicate's first truthy value within `timeout` seconds, else its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def clinic_today() -> date:
    """The app's "today": the suite's clinic day (tests.conftest.CLINIC_DAY), never the real
    date. The installed app is started at CLINIC_NOW through COORDINATOR_CLOCK (see
    app_environment), and the database is seeded for that day."""
    return CLINIC_DAY


def clock_environment() -> dict[str, str]:
    """The installed command's clock: the suite's clinic instant, running forward from there."""
    return {CLOCK_VARIABLE: CLINIC_NOW.isoformat()}


def seed_database(db: Path, patients: int = 300) -> date:
    """`coordinator seed` a clinic for the clinic day into `db` (users demo/demo, super/demo,
    admin/demo)."""
    today = clinic_today()
    seeded = subprocess.run([str(COORDINATOR), "seed", "--patients", str(patients), "--db", str(db),
                             "--date", today.isoformat()], capture_output=True, text=True, timeout=300,
                            env={**os.environ, **clock_environment()})
    assert seeded.returncode == 0, seeded.stderr
    return today


def open_context(db: Path):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database, url_for_path

    return AppContext(db=Database(url_for_path(db)),
                      settings=Settings(db_url=url_for_path(db), clinic_tz="America/New_York"),
                      clock=FrozenClock(CLINIC_NOW))  # what the app's clock says


def unique_waiting(ctx, actor, day):
    """One of the day's booked (not yet arrived) patients whose ASCII family name no one else on
    the day shares: typing it leaves exactly one row."""
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.domain.vocab import AppointmentStatus as S
    from coordinator_tui.services.desk_views import day_appointments
    from coordinator_tui.services.patients.lookup import search_patients

    everyone = day_appointments(ctx, actor, day)
    today = {o.patient_id for o in everyone}
    for row in everyone:
        family = row.patient_name.split(",")[0]
        if row.status not in (S.SCHEDULED, S.CONFIRMED) or not (family.isascii() and family.isalpha()):
            continue
        if sum(name_key(family) in name_key(o.patient_name) for o in everyone) != 1:
            continue
        # The desk's lookup also finds sound-alikes (Thompson: Thomas): it must leave one row.
        found = search_patients(ctx, actor, family.lower(), limit=30, today_first=True)
        if [hit.id for hit in found if hit.id in today] == [row.patient_id]:
            return row
    return None


def express_ready_patient(db: Path, day: date):
    """A uniquely named patient expected today with nothing outstanding (express check-in:
    letters, Enter, Enter). Returns the day_appointments row."""
    from coordinator_tui.services.staff.actors import actor_for
    from tests.helpers.checkin import make_ready

    ctx = open_context(db)
    try:
        actor = actor_for(ctx, "demo")
        row = unique_waiting(ctx, actor, day)
        assert row is not None, "no uniquely named waiting patient in the seeded clinic"
        make_ready(ctx, actor, row.id)
        return row
    finally:
        ctx.db.dispose()


# How often a test reads a status back while the app writes it. Opening a fresh connection ten
# times a second held the app's check-in back until the polling stopped (30 s, about two runs
# in three, seen 2026-12-02); twice a second it goes through at once.
STATUS_POLL = 0.5


def appointment_status(db: Path, appointment_id: int) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT status FROM appointments WHERE id = ?", (appointment_id,)).fetchone()[0]
    finally:
        conn.close()


def app_environment(home: Path, term: str, **extra: str) -> dict[str, str]:
    env = {"TERM": term, "HOME": str(home), "XDG_DATA_HOME": f"{home}/data",
           "XDG_CONFIG_HOME": f"{home}/config", "LANG": "C.UTF-8", **clock_environment()}
    env.update(extra)
    return env


def app_command(db: Path, home: Path, term: str = "xterm-256color", *, args: tuple[str, ...] = (),
                **extra_env: str) -> str:
    """The shell command that opens the installed app on `db`, environment spelled out."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in app_environment(home, term, **extra_env).items())
    return f"env {env} {shlex.quote(str(COORDINATOR))} --db {shlex.quote(str(db))} run --user demo " \
           + " ".join(shlex.quote(a) for a in args)


class Tmux:
    """One detached tmux session on a private socket, `width` x `height`, running `command`.
    Every byte the command writes is appended to `raw_path`."""

    def __init__(self, command: str, raw_path: Path, width: int = 80, height: int = 24) -> None:
        self.socket = f"coord-test-{os.getpid()}-{next(_sockets)}"
        self.raw_path = raw_path
        self.base = [TMUX or "tmux", "-L", self.socket]
        # pipe-pane in the same tmux call as new-session: nothing the app writes is missed (it
        # takes most of a second to start Python).
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                 "-s", "desk", command, ";", "set-option", "-w", "-t", "desk", "remain-on-exit", "on", ";",
                 "pipe-pane", "-t", "desk", f"cat >> {shlex.quote(str(raw_path))}")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=30,
                              check=check)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "desk").stdout

    def lines(self) -> list[str]:
        return self.screen().split("\n")

    def styled_screen(self) -> str:
        """The screen with its colour and attribute codes (what a reader's eyes get)."""
        return self.run("capture-pane", "-p", "-e", "-t", "desk").stdout

    def keys(self, *keys: str) -> None:
        """tmux key names (Enter, Escape, F2, M-1, C-q)."""
        self.run("send-keys", "-t", "desk", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "desk", "-l", text)

    def send_bytes(self, data: bytes) -> None:
        """Exactly these bytes, as a terminal would send them (a function key's sequence)."""
        self.run("send-keys", "-t", "desk", "-H", *(f"{b:02x}" for b in data))

    def resize(self, width: int, height: int) -> None:
        self.run("resize-window", "-t", "desk", "-x", str(width), "-y", str(height))

    def size(self) -> tuple[int, int]:
        out = self.run("display-message", "-p", "-t", "desk", "#{pane_width} #{pane_height}").stdout
        width, height = out.split()
        return int(width), int(height)

    def dead(self) -> bool:
        return self.run("display-message", "-p", "-t", "desk", "#{pane_dead}").stdout.strip() == "1"

    def raw(self) -> bytes:
        try:
            return self.raw_path.read_bytes()
        except FileNotFoundError:
            return b""

    def raw_size(self) -> int:
        try:
            return self.raw_path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_drawn(self, wanted, timeout: float = 30.0) -> str:
        """The first screen for which wanted(screen) holds, else "". The screen is read again as
        soon as the app has written anything (a stat of the raw file, every 10 ms), and at least
        every 0.1 s: a wait ends within milliseconds of the drawing instead of a 0.1 s poll."""
        end = time.monotonic() + timeout
        looked_at_size, looked_at = -1, 0.0
        while True:
            size, now = self.raw_size(), time.monotonic()
            if size != looked_at_size or now - looked_at >= 0.1:
                looked_at_size, looked_at = size, now
                screen = self.screen()
                if wanted(screen):
                    return screen
            if now >= end:
                return ""
            time.sleep(0.01)

    def wait_screen(self, *texts: str, timeout: float = 30.0) -> str:
        """Wait until every text is on screen; fail with the screen shown."""
        screen = self.wait_drawn(lambda shown: all(t in shown for t in texts), timeout=timeout)
        assert screen, f"{texts} not on screen:\n{self.screen()}\n{self.where_the_app_is()}"
        return screen

    def where_the_app_is(self) -> str:
        """For a wait that failed: where the app is. Its own stack report (kill -USR1,
        tui/stack_report.py: threads, asyncio tasks, the key queue) and each thread's stack read
        from outside by py-spy (a test dependency), which still answers when the event loop is
        stuck in C code. Names and lines only, never values (they could hold patient data)."""
        pid = self.run("display-message", "-p", "-t", "desk", "#{pane_pid}", check=False).stdout.strip()
        if not pid.isdigit() or self.dead():
            return "(the app has exited)"
        try:
            quiet = f"{time.time() - self.raw_path.stat().st_mtime:.1f} s"
        except FileNotFoundError:
            quiet = "ever (nothing written)"
        parts = [f"The app last wrote to the terminal {quiet} ago.", _own_report(int(pid))]
        spy = Path(sys.executable).parent / "py-spy"
        if spy.exists():
            try:
                done = subprocess.run([str(spy), "dump", "--pid", pid], capture_output=True,
                                      text=True, timeout=30, check=False)
                parts.append(f"py-spy dump:\n{done.stdout}{done.stderr}")
            except subprocess.TimeoutExpired:
                parts.append("(py-spy did not answer in 30 s)")
        return "\n".join(parts)

    def wait_change(self, screen: str, timeout: float = 3.0) -> str:
        """Wait until the screen differs from `screen` (a key has acted); the new one, else ""."""
        return self.wait_drawn(lambda shown: shown != screen, timeout=timeout)

    def wait_quiet(self, quiet: float = 0.6, timeout: float = 15.0) -> int:
        """Wait until the app has written nothing for `quiet` seconds; the raw size then."""
        end = time.monotonic() + timeout
        last, since = self.raw_size(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.05)
            size = self.raw_size()
            if size != last:
                last, since = size, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return size
        return last

    def close(self) -> None:
        if not self.dead():
            self.run("send-keys", "-t", "desk", "C-q", check=False)
            wait_for(self.dead, timeout=5)
        self.run("kill-server", check=False)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _own_report(pid: int) -> str:
    """The app's stack report (SIGUSR1), from the data folder its environment names."""
    try:
        environ = dict(item.split("=", 1) for item in
                       Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    except OSError:
        return "(no stack report: the app's environment cannot be read)"
    report = Path(environ.get("XDG_DATA_HOME", "")) / "coordinator" / "stack-reports" / f"stacks-{pid}.txt"
    os.kill(pid, signal.SIGUSR1)
    if wait_for(lambda: report.exists() and "== end" in report.read_text(), timeout=10, step=0.2):
        return f"The app's stack report:\n{report.read_text()}"
    partial = report.read_text() if report.exists() else ""
    return f"(no whole stack report in 10 s: the main thread is stuck outside Python) {partial}"


def sign_in(pane: Tmux, password: str = "demo") -> str:
    """The sign-in screen comes first with the user filled in: type the password, Enter; returns
    the Check-in desk's screen."""
    pane.wait_screen("Password")
    time.sleep(0.3)  # the password box takes focus once the screen is mounted
    pane.type(password)
    pane.keys("Enter")
    return pane.wait_screen("Check-in", "Expected")


# --- reading what the app wrote ----------------------------------------------------------------

MOUSE_ON = (b"\x1b[?1000h", b"\x1b[?1002h", b"\x1b[?1003h", b"\x1b[?1005h", b"\x1b[?1006h",
            b"\x1b[?1015h")
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def blinking_sgr(raw: bytes) -> list[bytes]:
    """SGR sequences that turn on blinking text (5 slow, 6 rapid), colour parameters skipped."""
    found = []
    for match in SGR.finditer(raw):
        params = [p for p in match.group(1).split(b";")]
        i = 0
        while i < len(params):
            p = params[i]
            if p in (b"38", b"48", b"58") and i + 1 < len(params):
                i += 3 if params[i + 1] == b"5" else 5 if params[i + 1] == b"2" else 1
                continue
            if p in (b"5", b"6"):
                found.append(match.group(0))
            i += 1
    return found


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def text_drawn_in_its_background(styled: str) -> list[str]:
    """Lines of `tmux capture-pane -e` output with text whose colour is its own background: the
    characters are there for a screen reader, and invisible to the person at the desk."""
    bad = []
    for line in styled.split("\n"):
        fg = bg = None  # None: the terminal's default
        reverse = False
        position = 0
        for match in [*_SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            text = line[position:end]
            shown_fg, shown_bg = (bg, fg) if reverse else (fg, bg)
            if text.strip() and shown_fg is not None and shown_fg == shown_bg:
                bad.append(_SGR.sub("", line))
                break
            if match is None:
                break
            position = match.end()
            params = [p for p in re.split("[;:]", match.group(1))] or ["0"]
            i = 0
            while i < len(params):
                p = params[i] or "0"
                code = int(p)
                if code == 0:
                    fg = bg = None
                    reverse = False
                elif code == 7:
                    reverse = True
                elif code == 27:
                    reverse = False
                elif code in (38, 48) and i + 1 < len(params):
                    width = 3 if params[i + 1] == "5" else 5
                    value = tuple(params[i + 1:i + width])
                    if code == 38:
                        fg = value
                    else:
                        bg = value
                    i += width - 1
                elif 30 <= code <= 37 or 90 <= code <= 97:
                    fg = ("ansi", code % 10 + (8 if code >= 90 else 0))
                elif 40 <= code <= 47 or 100 <= code <= 107:
                    bg = ("ansi", code % 10 + (8 if code >= 100 else 0))
                elif code == 39:
                    fg = None
                elif code == 49:
                    bg = None
                i += 1
    return bad
