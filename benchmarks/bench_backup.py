"""Time `backup` (copy + integrity check) and `check_backup` on a big database.

    python benchmarks/bench_backup.py /tmp/big.sqlite [--time-limit 1800]

The size is the database given (build one with `coordinator seed --patients N --db FILE`). The
source is first copied to a scratch folder (never modified); that plain file copy is printed as
the floor beside the backup's own copy."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.config import Settings
from coordinator_tui.domain.vocab import Role
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.staff.backups import backup, check_backup
from coordinator_tui.store.engine import Database, url_for_path


def main(source: str) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        work = Path(scratch) / "live.sqlite"
        start = time.monotonic()
        shutil.copyfile(source, work)
        plain_copy = time.monotonic() - start
        ctx = AppContext(db=Database(url_for_path(work)), settings=Settings(db_url=url_for_path(work)))
        with ctx.db.read() as session:
            from sqlalchemy import select

            from coordinator_tui.store.models import StaffUser
            user = session.scalars(select(StaffUser).where(StaffUser.role != "front_desk")).first()
        actor = Actor(user.id, user.username, user.display_name, Role.SUPERVISOR)
        steps = [0]
        start = time.monotonic()
        report = backup(ctx, actor, Path(scratch) / "copy.sqlite",
                        progress=lambda stage, d, t: steps.__setitem__(0, steps[0] + 1))
        total = time.monotonic() - start
        print(f"database {report.bytes / 1e6:,.0f} MB, {report.pages:,} pages")
        print(f"backup: copy {report.copy_seconds:.1f} s, integrity check {report.check_seconds:.1f} s, "
              f"total {total:.1f} s, {steps[0]} progress updates")
        print(f"floor: a plain file copy of the same database {plain_copy:.1f} s")
        start = time.monotonic()
        check_backup(report.path)
        print(f"restore's check of the backup: {time.monotonic() - start:.1f} s")
        ctx.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default="/tmp/big.sqlite", help="the database to back up")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_backup")
    if not Path(args.source).is_file():
        sys.exit(f"bench_backup: no database at {args.source} (make one with coordinator seed)")
    main(args.source)
