"""coordinator statements --as-of DATE [--min-balance AMOUNT] [--patient MRN] [--text] -o FILE:
patient statements, one page per patient, recorded on the ledger (issue 17). Supervisors and
admins; the file is owner-only."""

from __future__ import annotations

import argparse
import sys

from coordinator_tui.commands.common import acting_user, clinic_day, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    statements = sub.add_parser("statements", parents=[common], help="patient statements (PDF or text)")
    statements.add_argument("--as-of", type=clinic_day, help="statement date (default: today)")
    statements.add_argument("--min-balance", metavar="AMOUNT", help="only patients owing at least this")
    statements.add_argument("--patient", metavar="MRN", help="one patient's statement")
    statements.add_argument("--text", action="store_true", help="plain text for a plain printer, not a PDF")
    statements.add_argument("--output", "-o", metavar="FILE", required=True, help="file to write (0600)")
    statements.add_argument("--user")
    statements.set_defaults(handler=cmd_statements)


def cmd_statements(args) -> int:
    from coordinator_tui.interop.private_file import check_target, not_the_database, output_target
    from coordinator_tui.services.accounts import ledger
    from coordinator_tui.services.accounts.statements import write_statements

    target = output_target(args.output)
    if target.path is None:
        from coordinator_tui.errors import UserError

        raise UserError("statements go to a file: give --output FILE")
    minimum = ledger.parse_cents(args.min_balance) if args.min_balance else 1
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "statements")
    patient_id = ledger.patient_id_for(ctx, args.patient) if args.patient else None
    run = write_statements(ctx, actor, args.as_of or ctx.today(), target.path, min_balance_cents=minimum,
                           patient_id=patient_id, text=args.text, check=check_target)
    print(f"Wrote {len(run.statements)} statement(s) to {target}", file=sys.stderr)
    for mrn, why in run.skipped:
        print(f"skipped {mrn}: {why}")
    return 0
