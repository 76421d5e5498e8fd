"""coordinator ar aging --as-of DATE --format txt|csv [--min-balance AMOUNT] [-o FILE]: balances by
age from the date of service (issue 17). Supervisors and admins. A file is owner-only."""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import acting_user, clinic_day, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    ar = sub.add_parser("ar", parents=[common], help="accounts receivable: aging")
    what = ar.add_subparsers(dest="ar_command", required=True, parser_class=type(ar))
    aging = what.add_parser("aging", parents=[common], help="balances by age, per patient and in total")
    aging.add_argument("--as-of", type=clinic_day, help="the day to age on (default: today)")
    aging.add_argument("--format", choices=("txt", "csv"), default="txt")
    aging.add_argument("--min-balance", metavar="AMOUNT", help="only patients owing at least this")
    aging.add_argument("--output", "-o", metavar="FILE", help="file to write, owner-only (0600)")
    aging.add_argument("--user")
    aging.set_defaults(handler=cmd_aging)


def cmd_aging(args) -> int:
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.accounts.aging import aging, aging_csv, aging_text
    from coordinator_tui.services.accounts.ledger import parse_cents

    target = output_target(args.output)
    minimum = parse_cents(args.min_balance) if args.min_balance else 0
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "ar aging")
    report = aging(ctx, actor, args.as_of or ctx.today(), min_balance_cents=minimum)
    deliver(target, aging_csv(report) if args.format == "csv" else aging_text(report))
    if target.path is not None:
        print(f"Wrote A/R aging ({len(report.patients)} patients) to {target}", file=sys.stderr)
    return 0
