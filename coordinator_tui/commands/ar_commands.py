"""coordinator ar: accounts receivable (issue 17). Supervisors and admins; files are owner-only.

  ar aging --as-of DATE --format txt|csv [--min-balance AMOUNT] [-o FILE]
  ar weekly --week DATE --format txt|csv|pdf [-o FILE]
  ar worklist [--min-balance AMOUNT]
  ar call MRN / ar promise MRN AMOUNT --by DATE
"""

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
    weekly = what.add_parser("weekly", parents=[common], help="the week's A/R status for the supervisor")
    weekly.add_argument("--week", type=clinic_day, help="any day of the week (default: this week)")
    weekly.add_argument("--format", choices=("txt", "csv", "pdf"), default="txt")
    weekly.add_argument("--output", "-o", metavar="FILE", help="file to write, owner-only (0600)")
    weekly.add_argument("--user")
    weekly.set_defaults(handler=cmd_weekly)
    work = what.add_parser("worklist", parents=[common], help="today's A/R work list")
    work.add_argument("--min-balance", metavar="AMOUNT", help="only patients owing at least this (default 25.00)")
    work.add_argument("--user")
    work.set_defaults(handler=cmd_worklist)
    call = what.add_parser("call", parents=[common], help="put a billing call on the callback queue (once)")
    call.add_argument("mrn")
    call.add_argument("--user")
    call.set_defaults(handler=cmd_call)
    promise = what.add_parser("promise", parents=[common], help="note a promise to pay")
    promise.add_argument("mrn")
    promise.add_argument("amount")
    promise.add_argument("--by", type=clinic_day, required=True, help="the date promised")
    promise.add_argument("--note")
    promise.add_argument("--user")
    promise.set_defaults(handler=cmd_promise)


def cmd_aging(args) -> int:
    from coordinator_tui.interop.private_file import deliver_stream, not_the_database, output_target
    from coordinator_tui.services.accounts.aging_export import aging_export
    from coordinator_tui.services.accounts.ledger import parse_cents

    target = output_target(args.output)
    minimum = parse_cents(args.min_balance) if args.min_balance else 0
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "ar aging")
    as_of = args.as_of or ctx.today()
    # Streamed from the one SQL pass, either format: a million rows are never held whole.
    export = aging_export(ctx, actor, as_of, min_balance_cents=minimum, format=args.format)
    deliver_stream(target, export.fill, export.publish)
    patients = export.patients
    if target.path is not None:
        print(f"Wrote A/R aging ({patients} patients) to {target}", file=sys.stderr)
    return 0


def cmd_weekly(args) -> int:
    from coordinator_tui.errors import UserError
    from coordinator_tui.interop.paper import text_pdf
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.accounts.weekly import weekly_csv, weekly_report, weekly_text
    from coordinator_tui.services.clinic import clinic_name

    if args.format == "pdf" and args.output in (None, "-"):
        raise UserError("a PDF goes to a file: give --output FILE.pdf")
    target = output_target(args.output)
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "ar weekly")
    report = weekly_report(ctx, actor, args.week or ctx.today())
    text = weekly_text(report, clinic_name(ctx))
    body = weekly_csv(report) if args.format == "csv" else text_pdf(text, "A/R weekly") \
        if args.format == "pdf" else text
    deliver(target, body)
    if target.path is not None:
        print(f"Wrote the A/R weekly report to {target}", file=sys.stderr)
    return 0


def cmd_worklist(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts.ledger import parse_cents
    from coordinator_tui.services.accounts.worklist import DEFAULT_MIN_CENTS, work_list

    minimum = parse_cents(args.min_balance) if args.min_balance else DEFAULT_MIN_CENTS
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ar worklist")
    items = work_list(ctx, actor, min_balance_cents=minimum)
    for n, item in enumerate(items, start=1):
        p = item.aged
        print(f"{n:>3} {p.mrn:<10} {p.name[:24]:<24} {format_cents(p.balance_cents):>11} "
              f"oldest {p.oldest} last paid {p.last_payment or '-'}")
    print(f"{len(items)} patient(s) to work")
    return 0


def cmd_call(args) -> int:
    from coordinator_tui.services.accounts.ledger import patient_id_for
    from coordinator_tui.services.accounts.worklist import call_about_balance

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ar call")
    callback_id, created = call_about_balance(ctx, actor, patient_id_for(ctx, args.mrn))
    print(f"{'added' if created else 'already on the queue:'} callback {callback_id}")
    return 0


def cmd_promise(args) -> int:
    from coordinator_tui.services.accounts.ledger import patient_id_for
    from coordinator_tui.services.accounts.worklist import note_promise

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ar promise")
    note_promise(ctx, actor, patient_id_for(ctx, args.mrn), args.amount, args.by, args.note)
    print(f"promise noted; back on the work list after {args.by}")
    return 0
