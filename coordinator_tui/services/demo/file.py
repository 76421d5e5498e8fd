"""The file `coordinator demo` works on: built for today, reused the same day, rebuilt the next.

The demo's day is today (on a weekend the nearest weekday: providers work weekdays only), and
the app runs on a clock that starts at the day's 10:30 snapshot and runs forward, so the README's
flows (patients still to come, express check-in, free walk-in times) are there at any hour.
`COORDINATOR_CLOCK`, when set, wins (tests and rehearsals pick their own instant).

Demo rebuilds (deletes) only a file it made itself, as recorded by the DEMO_MARK setting that
only demo writes: a clinic made by seed, by `db upgrade` or holding imported patients looks
like a demo in every other way, and wiping it would lose real work.
"""

from __future__ import annotations

import os

from coordinator_tui.clock import CLOCK_VARIABLE, Clock, StartedAtClock, clock_from_environment
from coordinator_tui.config import demo_db_url
from coordinator_tui.errors import UserError
from coordinator_tui.services.clinic import DEMO_DATE, DEMO_MARK, DEMO_SEED
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.demo.clinic import Progress, seed_clinic
from coordinator_tui.services.demo.schedule import demo_day, snapshot_instant
from coordinator_tui.store.engine import Database, sqlite_path
from coordinator_tui.store.file_guard import undone_on_failure
from coordinator_tui.store.migrate import check_not_newer, ensure_current, read_revision
from coordinator_tui.store.startup_probe import stored_setting


def demo_clock(settings, environ=os.environ, wall: Clock | None = None) -> Clock:
    """The clock the demo runs on: COORDINATOR_CLOCK when set, else one that starts at 10:30
    clinic time on the demo's day (today by `wall`, or the nearest weekday) and runs forward."""
    if environ.get(CLOCK_VARIABLE, "").strip():
        return clock_from_environment(environ)
    today = (wall or clock_from_environment(environ)).now().astimezone(settings.tz).date()
    return StartedAtClock(snapshot_instant(demo_day(today), settings.tz))


def build_demo(settings, *, patients: int, seed: int, fresh: bool,
               progress: Progress | None = None, clock: Clock | None = None) -> bool:
    """Create the demo clinic for the day of `clock` (default: demo_clock) at settings.db_url,
    or reuse it when it is already that day's with the same seed. Returns True when it was
    (re)built."""
    url = settings.db_url
    path = sqlite_path(url)
    if path is None:
        raise UserError("the demo clinic is an SQLite file: give --db a file path")
    clock = clock or demo_clock(settings)
    today = clock.now().astimezone(settings.tz).date()
    if path.exists() and not path.is_dir() and path.stat().st_size > 0:
        revision = read_revision(url)  # refuses a file that is not a database, untouched
        check_not_newer(url, revision)
        if revision is None or stored_setting(url, DEMO_MARK) is None:
            hint = "give --db another file"
            if path == sqlite_path(demo_db_url()) and stored_setting(url, DEMO_DATE) is not None:
                # Demo files made before the mark existed: never wiped silently, but say how.
                hint = f"if it is a demo from an older coordinator, delete it (rm {path}) and run demo again"
            raise UserError(f"{path} holds a clinic that was not made by demo; nothing was "
                            f"changed; {hint}")
        if (not fresh and stored_setting(url, DEMO_DATE) == today.isoformat()
                and stored_setting(url, DEMO_SEED) == str(seed)):
            ensure_current(url, create=False)
            return False
        # Our own stale demo: build it again for today, with a new audit trail (its anchors and
        # key described the old one).
        for suffix in ("", "-wal", "-shm", ".audit-anchor", ".audit-key"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    with undone_on_failure(path):
        ensure_current(url)
        ctx = AppContext(db=Database(url), settings=settings, clock=clock)
        try:
            seed_clinic(ctx, patients=patients, seed=seed, day=today, progress=progress,
                        mark_demo=True)
        finally:
            ctx.db.dispose()
    return True
