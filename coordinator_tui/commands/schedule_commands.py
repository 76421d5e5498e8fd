"""`coordinator export schedule --date D [--provider P] --format csv|ics|txt [--output FILE]`:
the day sheet. Patient data goes only to stdout or the named file (created owner-only)."""

from __future__ import annotations

import argparse
import os
import sys

from coordinator_tui.commands.common import acting_user, ready_context


def _export_subparsers(sub, common):
    """The `export` command's own subcommands, shared with other areas' exports if they exist."""
    export = sub.choices.get("export")
    if export is None:
        export = sub.add_parser("export", parents=[common], help="write data out (day sheet...)")
    for action in export._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return export.add_subparsers(dest="export_what", parser_class=type(export))


def register(sub, common: argparse.ArgumentParser) -> None:
    what = _export_subparsers(sub, common)
    sheet = what.add_parser("schedule", parents=[common], help="one day's schedule (the day sheet)")
    sheet.add_argument("--date", required=True, help="the day: T, T+7, mon, 12/24, 2026-12-24...")
    sheet.add_argument("--provider", help="one provider's short name (default: every provider)")
    sheet.add_argument("--format", choices=("csv", "ics", "txt"), default="txt")
    sheet.add_argument("--output", metavar="FILE", help="write to FILE (owner-only) instead of stdout")
    sheet.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER or login)")
    sheet.set_defaults(handler=cmd_export_schedule)


def cmd_export_schedule(args) -> int:
    from coordinator_tui.domain.relative_dates import parse_day
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.schedule_export import day_sheet, render

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user)
    try:
        day = parse_day(args.date, today=ctx.today(), day_first=ctx.settings.day_first)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    text = render(day_sheet(ctx, actor, day, args.provider), args.format, ctx)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise UserError(f"cannot write {args.output}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    return 0
