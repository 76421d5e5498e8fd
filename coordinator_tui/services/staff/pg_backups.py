"""`coordinator backup` when the clinic's database is PostgreSQL: a pg_dump (store/pg_dump.py)
into an owner-only file, named only once it is whole and checked, and an audit event, as the
SQLite backup does (services/staff/backups.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from coordinator_tui.errors import UserError
from coordinator_tui.interop.private_file import check_target
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store import backup_file, pg_dump
from coordinator_tui.store.migrate import read_revision


def pg_backup(ctx: AppContext, actor: Actor, dest: Path | str, *, force: bool, progress=None):
    from coordinator_tui.services.staff.backups import BackupReport

    if not str(dest).strip():
        raise UserError("give the backup a file name")
    dest = check_target(dest)
    dest = dest.parent.resolve() / dest.name
    if dest.exists() and not force:
        raise UserError(f"{dest} already exists; use --force to replace it")
    if not os.access(dest.parent, os.W_OK):
        raise UserError(f"cannot write in {dest.parent}")
    backup_file.remove_abandoned(dest.parent, "partial")
    temp = backup_file.temp_beside(dest, "partial")  # 0600 from the moment it exists
    try:
        started = time.monotonic()
        if progress:
            progress("dump", 0, 1)
        pg_dump.dump(ctx.db.url, temp)
        if progress:
            progress("dump", 1, 1)
        dumped = time.monotonic()
        backup_file.fsync_file(temp)
        if force:
            check_target(dest)
            os.replace(temp, dest)
        else:
            try:
                os.link(temp, dest)  # never replaces a file made meanwhile
            except FileExistsError:
                raise UserError(f"{dest} already exists; use --force to replace it") from None
        backup_file.fsync_dir(dest.parent)
    finally:
        temp.unlink(missing_ok=True)
    size = dest.stat().st_size
    revision = read_revision(ctx.db.url)
    with ctx.db.write() as session:
        audit.record(session, actor, "backup", ctx.now(), entity="database",
                     detail={"file": str(dest), "bytes": size, "revision": revision})
        audit.anchor_on_commit(session)
    return BackupReport(dest, 0, size, revision, dumped - started, 0.0)
