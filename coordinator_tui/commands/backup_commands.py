"""coordinator backup PATH [--force] | restore PATH [--yes].

    coordinator backup /mnt/usb/clinic-2026-11-23.sqlite      # desks keep working meanwhile
    coordinator restore /mnt/usb/clinic-2026-11-23.sqlite     # every desk must be closed

The acting user is --user / $COORDINATOR_USER / your login name: a supervisor or admin backs
up; an admin restores (anyone with access to the files may restore over a missing or unreadable
database, which is when restoring is most needed).
"""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import (
    acting_user,
    context_for,
    progress_bar,
    ready_context,
    settings_from,
)
from coordinator_tui.errors import UserError


def register(sub, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser("backup", parents=[common],
                            help="copy the database to PATH while the desks keep working")
    backup.add_argument("path", metavar="PATH", help="the backup file to create")
    backup.add_argument("--force", action="store_true",
                        help="replace PATH if it is an existing file (never a link or device)")
    backup.add_argument("--user", help="the supervisor or admin doing this")
    backup.set_defaults(handler=cmd_backup)

    restore = sub.add_parser("restore", parents=[common],
                             help="replace the database with the backup at PATH (close every "
                                  "desk first)")
    restore.add_argument("path", metavar="PATH", help="the backup file to restore")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.add_argument("--user", help="the admin doing this")
    restore.set_defaults(handler=cmd_restore)


def cmd_backup(args) -> int:
    from coordinator_tui.services.staff.backups import backup

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "backup")
    update, bar = progress_bar()
    with bar:
        report = backup(ctx, actor, args.path, force=args.force, progress=update)
    print(f"backed up {report.bytes / 1e6:,.1f} MB to {report.path} (integrity ok, schema "
          f"{report.revision}; copy {report.copy_seconds:.1f} s, check "
          f"{report.check_seconds:.1f} s)")
    return 0


def cmd_restore(args) -> int:
    from coordinator_tui.services.staff.backups import check_backup, restore, restore_needs_admin

    settings = settings_from(args)
    ctx = context_for(settings)
    # Refuse a bad backup first, before asking anything.
    revision = check_backup(args.path)
    actor = acting_user(ctx, args.user, "restore") if restore_needs_admin(ctx) else None
    if not args.yes and not sys.stdin.isatty():
        raise UserError("not a terminal to confirm on; add --yes to restore")
    print(f"coordinator: restore REPLACES the database {ctx.db.path} with {args.path} (schema "
          f"{revision}). Every desk must be closed.", file=sys.stderr)
    if not args.yes:
        answer = input("Type 'restore' to go on: ")
        if answer.strip().lower() != "restore":
            raise UserError("not restored; nothing was changed")
    update, bar = progress_bar()
    with bar:
        report = restore(ctx, actor, args.path, progress=update)
    upgraded = " and upgraded to the current schema" if report.upgraded else ""
    kept = f"; the replaced database is kept as {report.kept_previous}" if report.kept_previous else ""
    print(f"restored {report.path} from schema {report.revision}{upgraded}{kept}")
    return 0
