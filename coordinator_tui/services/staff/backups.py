"""Backing up and restoring the clinic's database.

`backup` copies the live database with SQLite's online backup API while the desks keep working,
checks the copy's integrity, and only then gives it its name; the file is owner-only from the
moment it exists. `restore` refuses a damaged, foreign or newer-version backup before touching
anything, refuses while desks have the database open, upgrades an older backup in a temporary
file, and swaps it in with one atomic rename (the replaced database is kept beside it).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from coordinator_tui.errors import StorageError, UserError
from coordinator_tui.folders import make_private_dirs
from coordinator_tui.interop.private_file import check_target
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.view_audit import settle
from coordinator_tui.store import audit_files, backup_file
from coordinator_tui.store.engine import Database, url_for_path
from coordinator_tui.store.migrate import check_not_newer, ensure_current, read_revision
from coordinator_tui.store.models import StaffUser
from coordinator_tui.store.view_journal import JOURNAL_FILES as VIEW_JOURNAL_FILES

# Errors writing the copy (the source is opened read-only, so these are the target's disk).
_WRITE_FAILURES = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_FSYNC,
                   sqlite3.SQLITE_IOERR_TRUNCATE}

# progress(stage, done, total): the shape of commands.common.progress_bar's update.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BackupReport:
    path: Path
    pages: int
    bytes: int
    revision: str | None
    copy_seconds: float
    check_seconds: float


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    revision: str | None  # the backup's schema revision, before any upgrade
    upgraded: bool
    kept_previous: Path | None  # the database that was replaced, kept under another name


def _db_file(ctx: AppContext) -> Path:
    path = ctx.db.path
    if path is None:
        raise UserError("coordinator restore replaces SQLite database files only; a PostgreSQL "
                        "backup (a pg_dump) is restored with pg_restore into an empty database "
                        "(docs/postgresql.md)")
    return path.resolve()


def _temp_beside(target: Path, tag: str) -> Path:
    # mkstemp creates the file with mode 0600 and O_EXCL: never readable by anyone else,
    # not even for a moment. A run killed before it could remove its own is cleaned up by
    # the next one in that folder.
    backup_file.remove_abandoned(target.parent, tag)
    return backup_file.temp_beside(target, tag)


def _cleanup(temp: Path) -> None:
    for extra in ("", "-journal", "-wal", "-shm"):
        Path(str(temp) + extra).unlink(missing_ok=True)


def backup(ctx: AppContext, actor: Actor, dest: Path | str, *, force: bool = False,
           progress: Progress | None = None, pages_per_step: int = 2048) -> BackupReport:
    """Copy the live database to `dest` (refusing an existing file unless `force`); on
    PostgreSQL a pg_dump (services/staff/pg_backups.py)."""
    require(actor, Permission.BACKUP)
    if ctx.db.path is None and ctx.db.engine.dialect.name == "postgresql":
        from coordinator_tui.services.staff.pg_backups import pg_backup

        return pg_backup(ctx, actor, dest, force=force, progress=progress)
    source = _db_file(ctx)
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    if not str(dest).strip():
        raise UserError("give the backup a file name")
    # Refuses a link, folder, device, FIFO or socket: even --force only replaces a regular file.
    dest = check_target(dest)
    dest = dest.parent.resolve() / dest.name
    if dest == source or dest.name.startswith(source.name + "-") and dest.parent == source.parent:
        raise UserError("the backup cannot overwrite the database or its journal")
    if dest.exists() and not force:
        raise UserError(f"{dest} already exists; use --force to replace it")
    if not os.access(dest.parent, os.W_OK):
        raise UserError(f"cannot write in {dest.parent}")
    with suppress(StorageError):  # a journal we cannot read: its events wait there, not lost
        settle(ctx.db)  # views' events still in the journal beside the file go into the copy too

    try:
        temp = _temp_beside(dest, "partial")
    except OSError as exc:
        raise UserError(f"cannot write {dest}: {exc.strerror}") from None
    try:
        started = time.monotonic()
        report = (lambda done, total: progress("copy", done, total)) if progress else None
        try:
            pages = backup_file.online_copy(source, temp, pages=pages_per_step, progress=report)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in _WRITE_FAILURES:
                raise
            raise StorageError(f"cannot write {dest}: {exc}; no backup was written") from None
        copied = time.monotonic()
        if progress:
            progress("check", 0, 1)
        problem = backup_file.check_file(temp)
        if problem is not None:
            raise StorageError(f"the copy {problem}; the database itself may be damaged "
                               "(run 'coordinator db check'); no backup was written")
        if progress:
            progress("check", 1, 1)
        checked = time.monotonic()
        revision = read_revision(url_for_path(temp))
        backup_file.fsync_file(temp)
        if force:
            check_target(dest)  # again just before: a rename would replace a device node
            os.replace(temp, dest)
        else:
            try:
                os.link(temp, dest)  # fails if the name was taken meanwhile: never overwrites
            except FileExistsError:
                raise UserError(f"{dest} already exists; use --force to replace it") from None
            temp.unlink()
        backup_file.fsync_dir(dest.parent)
    finally:
        _cleanup(temp)
    size = dest.stat().st_size
    with ctx.db.write() as session:
        audit.record(session, actor, "backup", ctx.now(), entity="database",
                     detail={"file": str(dest), "bytes": size, "revision": revision})
        audit.anchor_on_commit(session)  # every backup anchors the trail's head outside it
    return BackupReport(dest, pages, size, revision, copied - started, checked - copied)


def _set_anchors_aside(target: Path) -> None:
    """The anchors of the replaced trail no longer describe the restored one: they are kept
    beside it (`.before-restore-STAMP`, like the replaced database) and verify no longer reads
    them; the restore's own event anchors the restored head."""
    anchor = audit_files.anchor_path(target)
    if anchor.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        os.replace(anchor, anchor.with_name(f"{anchor.name}.before-restore-{stamp}"))


def restore_needs_admin(ctx: AppContext) -> bool:
    """Whether the database to be replaced has staff accounts (then an admin must restore).
    A missing or unreadable database (the usual reason to restore) needs file access only."""
    rows = backup_file.count_rows(_db_file(ctx), StaffUser.__tablename__)
    return bool(rows)


def check_backup(path: Path | str) -> str | None:
    """The backup's schema revision, after refusing (StorageError) a file that is missing,
    not an SQLite database, damaged, not coordinator's, or from a newer version."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise StorageError(f"no backup file at {path}")
    problem = backup_file.check_file(path)
    if problem is not None:
        raise StorageError(f"refused: the backup {path} {problem}; nothing was changed")
    url = url_for_path(path)
    revision = read_revision(url)
    if revision is None:
        raise StorageError(f"refused: {path} is an empty database, not a coordinator backup; "
                           "nothing was changed")
    try:
        check_not_newer(url, revision)
    except StorageError:
        raise StorageError(f"refused: the backup {path} was written by a newer version of "
                           f"coordinator (schema {revision}); upgrade coordinator first; "
                           "nothing was changed") from None
    return revision


def restore(ctx: AppContext, actor: Actor | None, source: Path | str, *,
            progress: Progress | None = None) -> RestoreReport:
    """Replace the database behind `ctx` with the backup at `source`.

    The caller must hold no connection to the target (ctx.db is disposed here)."""
    target = _db_file(ctx)
    source = Path(source).expanduser().resolve()
    if restore_needs_admin(ctx):
        require(actor, Permission.RESTORE)
    if source == target:
        raise UserError("the backup and the database are the same file")
    revision = check_backup(source)
    ctx.db.dispose()
    if not target.parent.is_dir():
        make_private_dirs(target.parent)  # 0700 each, whatever the umask
    if backup_file.other_connections(target):
        raise StorageError("refused: the database is open at a desk or in another program; "
                           "close every desk (and stop cron jobs) first; nothing was changed")

    temp = _temp_beside(target, "restoring")
    kept: Path | None = None
    try:
        report = (lambda done, total: progress("copy", done, total)) if progress else None
        backup_file.online_copy(source, temp, progress=report)
        if progress:
            progress("upgrade", 0, 1)
        upgraded = ensure_current(url_for_path(temp), create=False)
        Path(str(temp) + ".migrate-lock").unlink(missing_ok=True)
        backup_file.to_single_file(temp)
        if progress:
            progress("upgrade", 1, 1)
        if backup_file.check_file(temp) is not None:
            raise StorageError("the restored copy failed its integrity check; nothing was changed")
        backup_file.fsync_file(temp)
        if backup_file.other_connections(target):  # a desk opened while we copied
            raise StorageError("refused: a desk opened the database during the restore; close "
                               "every desk first; nothing was changed")
        if target.exists():
            try:
                backup_file.checkpoint(target)
            except Exception:  # noqa: BLE001 - a damaged database: keep its files as they are
                pass
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            os.link(target, kept)
            # Never leave the old WAL where SQLite would replay it over the restored file; the
            # views' journal holds the replaced trail's waiting events: it goes with that file.
            for suffix in ("-wal", "-shm", *VIEW_JOURNAL_FILES):
                companion = Path(str(target) + suffix)
                if companion.exists():
                    os.replace(companion, Path(str(kept) + suffix))
        os.replace(temp, target)
        backup_file.fsync_dir(target.parent)
        _set_anchors_aside(target)
        audit_files.adopt_keys(temp, target)  # an older backup's upgrade sealed its trail there
    finally:
        _cleanup(temp)
        if audit_files.key_path(temp) != audit_files.key_path(target):
            audit_files.key_path(temp).unlink(missing_ok=True)
        Path(str(temp) + ".migrate-lock").unlink(missing_ok=True)

    restored = Database(url_for_path(target))
    try:
        with restored.write() as session:
            from sqlalchemy import select

            same = None
            if actor is not None:
                same = session.scalar(select(StaffUser).where(StaffUser.username == actor.username))
            by = Actor(same.id, actor.username, actor.display_name, actor.role) if same else None
            audit.record(session, by, "restore", ctx.now(), entity="database",
                         detail={"file": str(source), "revision": revision, "upgraded": upgraded,
                                 "by": actor.username if actor else None})
            audit.anchor_on_commit(session)  # the restored trail's head starts the new anchors
    finally:
        restored.dispose()
    return RestoreReport(target, revision, upgraded, kept)
