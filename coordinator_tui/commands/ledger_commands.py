"""coordinator ledger: patient accounts on the command line (issue 17).

  ledger import FILE.csv [--map COLUMN=field] [--expect-total AMOUNT] [--dry-run]
  ledger post MRN KIND AMOUNT [--reason TEXT] [--date DATE] [--yes]
  ledger show MRN
  ledger plan MRN AMOUNT --first-due DATE
  ledger transfer MRN AMOUNT [--reason TEXT]     (insurance pending -> patient)
  ledger reverse ROW --reason TEXT
"""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import acting_user, clinic_day, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    ledger = sub.add_parser("ledger", parents=[common], help="patient accounts: import, post, show, plans")
    what = ledger.add_subparsers(dest="ledger_command", required=True, parser_class=type(ledger))
    imp = what.add_parser("import", parents=[common], help="post patient balances from the billing system's CSV")
    imp.add_argument("file")
    imp.add_argument("--map", action="append", metavar="COLUMN=FIELD",
                     help="use COLUMN for FIELD (mrn, service_date, amount, reference); repeatable")
    imp.add_argument("--expect-total", metavar="AMOUNT", help="refuse the file unless its rows add up to this")
    imp.add_argument("--dry-run", action="store_true", help="check the whole file and post nothing")
    imp.add_argument("--user")
    imp.set_defaults(handler=cmd_import)
    post = what.add_parser("post", parents=[common], help="post one row: charge, payment, adjustment, "
                                                           "write_off or refund")
    post.add_argument("mrn")
    post.add_argument("kind", choices=("charge", "payment", "adjustment", "write_off", "refund"))
    post.add_argument("amount", help="dollars and cents; an adjustment may be negative (-5.00)")
    post.add_argument("--reason")
    post.add_argument("--date", type=clinic_day, help="date of service (default: today)")
    post.add_argument("--yes", action="store_true", help="take a payment larger than the balance")
    post.add_argument("--user")
    post.set_defaults(handler=cmd_post)
    show = what.add_parser("show", parents=[common], help="a patient's ledger and balance")
    show.add_argument("mrn")
    show.add_argument("--user")
    show.set_defaults(handler=cmd_show)
    plan = what.add_parser("plan", parents=[common], help="record a payment plan (amount per month)")
    plan.add_argument("mrn")
    plan.add_argument("amount")
    plan.add_argument("--first-due", type=clinic_day, required=True)
    plan.add_argument("--user")
    plan.set_defaults(handler=cmd_plan)
    transfer = what.add_parser("transfer", parents=[common], help="move an amount from insurance to the patient")
    transfer.add_argument("mrn")
    transfer.add_argument("amount")
    transfer.add_argument("--reason")
    transfer.add_argument("--user")
    transfer.set_defaults(handler=cmd_transfer)
    reverse = what.add_parser("reverse", parents=[common], help="reverse a ledger row (by its number), with a reason")
    reverse.add_argument("row", type=int)
    reverse.add_argument("--reason", required=True)
    reverse.add_argument("--user")
    reverse.set_defaults(handler=cmd_reverse)


def cmd_import(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts.imports import import_balances

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger import")
    result = import_balances(ctx, actor, args.file, mapping=args.map, expect_total=args.expect_total,
                             dry_run=args.dry_run)
    verb = "would post" if result.dry_run else "posted"
    print(f"{verb} {result.posted} balance(s), {format_cents(result.posted_cents)}; "
          f"{result.already} already posted; file total {format_cents(result.total_cents)}")
    return 0


def cmd_post(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts import ledger

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger post")
    patient_id = ledger.patient_id_for(ctx, args.mrn)
    row = ledger.post_entry(ctx, actor, patient_id, args.kind, args.amount, reason=args.reason,
                            service_date=args.date, confirm_over_balance=args.yes)
    print(f"posted {row.kind} {format_cents(row.amount_cents)} (row {row.id}); "
          f"balance {format_cents(ledger.balance(ctx, patient_id))}")
    return 0


def cmd_show(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts import ledger

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger show")
    patient_id = ledger.patient_id_for(ctx, args.mrn)
    out = [f"{'Row':>6} {'Date':<10} {'Kind':<10} {'Resp':<9} {'Amount':>11}  Reference / reason"]
    for row in ledger.entries(ctx, actor, patient_id):
        note = " ".join(x for x in (row.reference, row.reason, "(reversed)" if row.reversed else None) if x)
        out.append(f"{row.id:>6} {row.service_date:%Y-%m-%d} {row.kind:<10} {row.responsibility:<9} "
                   f"{format_cents(row.amount_cents):>11}  {note[:40]}")
    out.append(f"Balance {format_cents(ledger.balance(ctx, patient_id))}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def cmd_plan(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts import ledger, plans

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger plan")
    status = plans.record_plan(ctx, actor, ledger.patient_id_for(ctx, args.mrn), args.amount, args.first_due)
    print(f"payment plan: {format_cents(status.amount_cents)} a month from {status.first_due:%Y-%m-%d}")
    return 0


def cmd_transfer(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts import ledger

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger transfer")
    patient_id = ledger.patient_id_for(ctx, args.mrn)
    _out, into = ledger.transfer_to_patient(ctx, actor, patient_id, args.amount, reason=args.reason)
    print(f"moved {format_cents(into.amount_cents)} from insurance to the patient; "
          f"balance {format_cents(ledger.balance(ctx, patient_id))}")
    return 0


def cmd_reverse(args) -> int:
    from coordinator_tui.domain.money import format_cents
    from coordinator_tui.services.accounts import ledger

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "ledger reverse")
    row = ledger.reverse_entry(ctx, actor, args.row, args.reason)
    print(f"reversed row {args.row} by row {row.id} ({format_cents(row.amount_cents)})")
    return 0
