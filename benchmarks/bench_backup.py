"""Time `backup` (copy + integrity check) and `check_backup` on a big database.

    python benchmarks/bench_backup.py /tmp/big.sqlite

The source is first copied to a scratch folder (never modified); prints figures only."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from coordinator_tui.config import Settings
from coordinator_tui.domain.vocab import Role
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.staff.backups import backup, check_backup
from coordinator_tui.store.engine import Database, url_for_path


def main(source: str) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        work = Path(scratch) / "live.sqlite"
        shutil.copyfile(source, work)
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
        start = time.monotonic()
        check_backup(report.path)
        print(f"restore's check of the backup: {time.monotonic() - start:.1f} s")
        ctx.db.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/big.sqlite")
