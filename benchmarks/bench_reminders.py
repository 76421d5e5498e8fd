"""Reminder batches and letters at clinic size: a seeded clinic where every patient agreed to
SMS, e-mail and letters, then the SMS batch (plan, CSV, recorded), the letters batch (plan, PDF
with a page per patient, recorded) and the gateway's replies for every SMS, timed.

    python benchmarks/bench_reminders.py [--patients 5000] [--limit 120]

Prints each figure beside its floor (the most a desk should wait); stops with exit 1 when the
whole run exceeds --limit seconds or a figure misses its floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.clock import FrozenClock  # noqa: E402
from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.domain.reminders import BatchChannel  # noqa: E402
from coordinator_tui.interop.private_file import write_private  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.demo.clinic import seed_clinic  # noqa: E402
from coordinator_tui.services.reminders.batches import (  # noqa: E402
    plan_batch,
    recorded_batch,
    render_batch,
)
from coordinator_tui.services.reminders.replies import apply_replies  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402

TZ = "America/New_York"
DAY = date(2026, 11, 23)
# Floors: seconds a desk may wait for one batch of a day (about 130 appointments a day here;
# a large clinic has a few hundred).
FLOORS = {"SMS batch": 5.0, "letters batch": 10.0, "replies": 5.0}


def build(folder: Path, patients: int) -> AppContext:
    path = folder / "bench.sqlite"
    ensure_current(url_for_path(path))
    now = datetime.combine(DAY, clock_time(10, 45), tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    ctx = AppContext(db=Database(url_for_path(path)),
                     settings=Settings(db_url=url_for_path(path), clinic_tz=TZ),
                     clock=FrozenClock(now))
    seed_clinic(ctx, patients=patients, seed=11, day=DAY)
    with ctx.db.engine.begin() as conn:  # everyone agreed to everything (bench set-up, no audit)
        for channel in ("sms", "email", "letter"):
            conn.exec_driver_sql(
                "INSERT INTO contact_consents (patient_id, channel, agreed, source, recorded_at)"
                f" SELECT id, '{channel}', 1, 'command', '2026-11-01 12:00:00' FROM patients")
    return ctx


def timed(label: str, work, figures: list) -> object:
    start = time.perf_counter()
    result = work()
    figures.append((label, time.perf_counter() - start, result))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds for the whole run")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_reminders")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ctx = build(folder, args.patients)
        actor = actor_for(ctx, "demo")
        figures: list = []
        days = [DAY + timedelta(days=1), DAY + timedelta(days=2)]

        def sms():
            batch = plan_batch(ctx, actor, BatchChannel.SMS, days)
            write_private(folder / "sms.csv", render_batch(batch, ctx.now()),
                          lambda: recorded_batch(ctx, actor, batch))
            return batch

        def letters():
            batch = plan_batch(ctx, actor, BatchChannel.LETTER, days)
            write_private(folder / "letters.pdf", render_batch(batch, ctx.now()),
                          lambda: recorded_batch(ctx, actor, batch))
            return batch

        batch = timed("SMS batch", sms, figures)
        timed("letters batch", letters, figures)
        results = folder / "results.csv"
        results.write_text("appointment_id,status,reply\n" + "".join(
            f"{item.appointment_id},replied,C\n" for item in batch.items), encoding="utf-8")
        timed("replies", lambda: apply_replies(ctx, actor, results), figures)
        ctx.db.dispose()
    total = time.perf_counter() - began
    print(f"{args.patients:,} patients, appointments on {days[0]} and {days[1]}")
    print(f"{'figure':<15} {'rows':>6} {'seconds':>8} {'floor':>7}  ok")
    failed = False
    for label, seconds, result in figures:
        rows = len(result) if hasattr(result, "__len__") else result.rows
        ok = seconds <= FLOORS[label]
        failed |= not ok
        print(f"{label:<15} {rows:>6} {seconds:>8.2f} {FLOORS[label]:>7.1f}  {'yes' if ok else 'NO'}")
    print(f"whole run {total:.1f} s (limit {args.limit:.0f} s)")
    return 1 if failed or total > args.limit else 0


if __name__ == "__main__":
    sys.exit(main())
