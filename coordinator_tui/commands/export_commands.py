"""coordinator export payments --date D --format csv [--output FILE].

This module creates the top-level `export` command; `schedule_commands` adds `export schedule`
to it (it reuses an existing `export` parser), so COMMAND_MODULES lists this module first."""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import acting_user, ready_context
from coordinator_tui.errors import UserError


def register(sub, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser("export", parents=[common], help="write data out for other systems")
    export_sub = export.add_subparsers(dest="export_command", required=True, parser_class=type(export))
    payments = export_sub.add_parser("payments", parents=[common],
                                     help="one clinic day's payments (voids included, marked)")
    payments.add_argument("--date", required=True,
                          help="the clinic day: 2026-11-23, T, T-1, mon ... (clinic time zone)")
    payments.add_argument("--format", choices=["csv"], default="csv", help="output format (csv)")
    payments.add_argument("--output", "-o", metavar="FILE",
                          help="file to write, owner-only (0600); - or no option: standard output")
    payments.add_argument("--user", help="staff username to act as (recorded in the audit trail)")
    payments.set_defaults(handler=cmd_export_payments)


def cmd_export_payments(args) -> int:
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.checkin.cashup import exported, payments_csv

    target = output_target(args.output)  # refused before any work is done
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    try:
        day = parse_day(args.date, today=ctx.today(), day_first=ctx.settings.day_first)
    except DateNotUnderstood as exc:
        raise UserError(str(exc)) from None
    actor = acting_user(ctx, args.user, "export")
    text, count = payments_csv(ctx, day)
    deliver(target, text, lambda: exported(ctx, actor, day, count))
    if target.path is not None:
        print(f"Wrote {count} payments for {day.isoformat()} to {target}", file=sys.stderr)
    return 0
