"""What the security controls cost: the keyed audit writer, `audit verify`, and a command-line
sign-in (password vs bound OS account), each beside its floor.

    python benchmarks/bench_audit.py [--events 2000] [--time-limit 120]

Builds a scratch clinic in /tmp (removed after); prints figures only.
- audit write: one event per BEGIN IMMEDIATE transaction through `audit.record` (HMAC, key-file
  stat, anchor check) vs the same transaction inserting the row with a plain SHA-256 (the floor).
- verify: `audit_trail.verify` (every row's HMAC, then the anchors) per 1,000 events.
- sign-in: `cli_signin.sign_in_with_password` (one Argon2 check) vs `sign_in_by_os_account`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from limits import start_time_limit  # noqa: E402
from sqlalchemy import select

from coordinator_tui.clock import FrozenClock
from coordinator_tui.config import Settings
from coordinator_tui.services import audit
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.staff import accounts, audit_trail, cli_signin
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store import audit_guard
from coordinator_tui.store.engine import Database, url_for_path
from coordinator_tui.store.migrate import ensure_current
from coordinator_tui.store.models import AuditEvent


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    # A hard stop past the soft limit above (set-up such as seeding runs before it counts).
    start_time_limit(int(args.time_limit) + 1800, "bench_audit")
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        path = Path(scratch) / "bench.sqlite"
        url = url_for_path(path)
        ensure_current(url)
        from datetime import UTC, datetime

        ctx = AppContext(db=Database(url), settings=Settings(db_url=url),
                         clock=FrozenClock(datetime(2026, 11, 23, 15, 45, tzinfo=UTC)))
        accounts.add_user(ctx, None, "admin", "Admin", "admin", "a long password 1")
        actor = actor_for(ctx, "admin")
        keyed, plain = [], []
        for n in range(args.events):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            with ctx.db.write() as session:
                audit.record(session, actor, "patient.view", ctx.now(), patient_id=None,
                             detail={"n": n})
            keyed.append(time.perf_counter() - start)
            start = time.perf_counter()
            with ctx.db.write() as session:  # the floor: the same row, plain SHA-256
                prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
                digest = hashlib.sha256(f"{prev}{n}".encode()).hexdigest()
                with audit_guard.writing():
                    session.add(AuditEvent(at=ctx.now(), user_id=actor.id, action="bench.floor",
                                           prev_hash=prev, hash=digest, key_id=None))
                    session.flush()
            plain.append(time.perf_counter() - start)
        print(f"audit write, {len(keyed):,} events: keyed {_ms(keyed)}   |  floor (plain) {_ms(plain)}")
        # Verify stops at the first floor row (unkeyed after keyed): time it on keyed rows only.
        keyed_only = Database(url_for_path(Path(scratch) / "verify.sqlite"))
        vpath = Path(scratch) / "verify.sqlite"
        ensure_current(url_for_path(vpath))
        vctx = AppContext(db=keyed_only, settings=Settings(db_url=url_for_path(vpath)),
                          clock=ctx.clock)
        with vctx.db.write() as session:
            for n in range(len(keyed)):
                audit.record(session, None, "patient.view", ctx.now(), detail={"n": n})
        start = time.perf_counter()
        report = audit_trail.verify(vctx)
        took = time.perf_counter() - start
        print(f"audit verify: {report.events:,} events in {took * 1000:.0f} ms "
              f"({took / max(1, report.events) * 1e6:.1f} us/event; intact={report.intact})")
        with_password, by_os = [], []
        cli_signin.bind_os(ctx, actor, "admin", os.getuid())
        for _ in range(10):
            start = time.perf_counter()
            cli_signin.sign_in_with_password(ctx, "admin", "a long password 1")
            with_password.append(time.perf_counter() - start)
            start = time.perf_counter()
            cli_signin.sign_in_by_os_account(ctx, "admin", os.getuid())
            by_os.append(time.perf_counter() - start)
        print(f"command-line sign-in: password (Argon2) {_ms(with_password)}   |  "
              f"bound OS account {_ms(by_os)}")
        ctx.db.dispose()
        vctx.db.dispose()


if __name__ == "__main__":
    main()
