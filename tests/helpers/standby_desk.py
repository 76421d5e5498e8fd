"""A desk booking visits through the services, in its own process, while its database server
fails over (tests/concurrency/test_standby_takeover.py).

    python -m tests.helpers.standby_desk --url URL --desk N --day D --saved FILE --stop FILE

Books the free slots of provider N one after another for as long as FILE --stop is absent (and
at most LIMIT_SECONDS). Each booking the service reported saved goes to --saved as
"saved <appointment id>", written through to the disk before the next one starts: what the desk
would have shown as saved. When the server cannot be reached (errors.ConnectionLost) the desk
says so in one line and reconnects (services/database.py::reconnect), then books the next slot:
the booking that failed is not retried blindly, its commit may or may not have happened.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

LIMIT_SECONDS = 300


def _context(url: str, day: date):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.database import open_database
    from tests.helpers.desk_driver import CLINIC_TZ, RunningClock

    return AppContext(db=open_database(url), settings=Settings(db_url=url, clinic_tz=CLINIC_TZ),
                      clock=RunningClock(day))


def _say(desk: int):
    def say(line: str) -> None:
        print(f"desk {desk}: {line}", file=sys.stderr, flush=True)
    return say


def run(args) -> int:
    from coordinator_tui.errors import ConnectionLost, UserError
    from coordinator_tui.services.database import reconnect
    from coordinator_tui.services.schedule import booking
    from coordinator_tui.services.schedule.free_slots import find_free_slots
    from coordinator_tui.services.staff.actors import actor_for

    ctx = _context(args.url, args.day)
    actor = actor_for(ctx, "demo")
    say = _say(args.desk)
    slots = find_free_slots(ctx, actor, provider_id=args.desk, type_code="FU", after=args.day,
                            limit=500)
    stop, end = Path(args.stop), time.monotonic() + LIMIT_SECONDS
    fd = os.open(args.saved, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    patient = 1
    try:
        for slot in slots:
            if stop.exists() or time.monotonic() > end:
                break
            patient = patient % 30 + 1
            try:
                result = booking.book(ctx, actor, patient, slot.provider_id, "FU", slot.starts_at,
                                      confirm_double=True)
            except ConnectionLost as lost:
                say(str(lost))
                if not reconnect(ctx, say):
                    return 1
                continue
            except UserError as refused:  # e.g. the slot its failed booking did take after all
                say(f"refused: {refused}")
                continue
            os.write(fd, f"saved {result.appointment_id}\n".encode())
            os.fsync(fd)
    finally:
        os.close(fd)
        ctx.db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="standby_desk")
    parser.add_argument("--url", required=True)
    parser.add_argument("--desk", type=int, required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--saved", required=True)
    parser.add_argument("--stop", required=True)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
