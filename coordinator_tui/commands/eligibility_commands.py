"""coordinator eligibility request|import|estimate: insurance eligibility with payers as X12
005010X279A1 files (a 270 inquiry out, a 271 response back, through the clinic's clearinghouse),
and the estimate of what a patient will owe for a visit.

    coordinator eligibility request --date T+1 -o inquiries.x12
    coordinator eligibility import responses.x12
    coordinator eligibility estimate --mrn 0000123 --date T [-o sheet.txt]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coordinator_tui.commands.common import acting_user, positive_int, ready_context
from coordinator_tui.errors import UserError

MAX_FILE_BYTES = 64 * 1024 * 1024


def register(sub, common: argparse.ArgumentParser) -> None:
    elig = sub.add_parser("eligibility", parents=[common],
                          help="insurance eligibility with payers (X12 270/271) and estimates")
    what = elig.add_subparsers(dest="eligibility_command", required=True, parser_class=type(elig))
    request = what.add_parser("request", parents=[common],
                              help="write a 270 for the day's booked patients whose coverage is not current")
    request.add_argument("--date", required=True, help="the clinic day: 2026-11-23, T, T+1, mon ...")
    request.add_argument("--output", "-o", metavar="FILE",
                         help="file to write, owner-only (0600); - or no option: standard output")
    request.add_argument("--user", help="staff username to act as (recorded in the audit trail)")
    request.set_defaults(handler=cmd_request)
    importing = what.add_parser("import", parents=[common],
                                help="record a 271 file's answers (refused whole if any segment is bad)")
    importing.add_argument("file", metavar="FILE", help="the 271 file from the clearinghouse or payer")
    importing.add_argument("--user", help="staff username to act as (recorded in the audit trail)")
    importing.set_defaults(handler=cmd_import)
    est = what.add_parser("estimate", parents=[common],
                          help="estimate what a patient will owe for a visit (recorded; a text sheet)")
    est.add_argument("--appointment", type=positive_int, help="the appointment's number")
    est.add_argument("--mrn", help="the patient's MRN (with --date: that day's appointment)")
    est.add_argument("--date", default="T", help="with --mrn: the clinic day (default: today)")
    est.add_argument("--output", "-o", metavar="FILE",
                     help="file to write, owner-only (0600); - or no option: standard output")
    est.add_argument("--user", help="staff username to act as (recorded in the audit trail)")
    est.set_defaults(handler=cmd_estimate)


def _day(ctx, text: str):
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day

    try:
        return parse_day(text, today=ctx.today(), day_first=ctx.settings.day_first)
    except DateNotUnderstood as exc:
        raise UserError(str(exc)) from None


def cmd_request(args) -> int:
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.eligibility import request_eligibility

    target = output_target(args.output)
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    day = _day(ctx, args.date)
    actor = acting_user(ctx, args.user, "eligibility request")
    result = request_eligibility(ctx, actor, day, lambda text: deliver(target, text))
    for payer in result.without_payer_id:
        print(f"skipped {payer}: no payer id in eligibility_payer_ids", file=sys.stderr)
    if result.control_number is None:
        print(f"Nothing to ask for {day.isoformat()}: every booked patient's coverage is current "
              "(or self-pay); no file written", file=sys.stderr)
        return 0
    print(f"Wrote {result.inquiries} inquiries for {day.isoformat()} to {target} "
          f"(interchange {result.control_number:09d}; payers: {', '.join(result.payers)})", file=sys.stderr)
    return 0


def read_x12_file(name: str) -> str:
    path = Path(name).expanduser()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: not a 271 file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"no file {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give the 271 file") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not a text file (X12 files are plain text): nothing recorded") from None


def cmd_import(args) -> int:
    from coordinator_tui.services.eligibility import import_271

    text = read_x12_file(args.file)
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "eligibility import")
    try:
        result = import_271(ctx, actor, text)
    except UserError as exc:
        raise UserError(f"{args.file}: {exc}; nothing recorded") from None
    print(f"{result.answers} answers: {result.recorded} recorded ({result.active} active, "
          f"{result.inactive} inactive, {result.rejected} rejected), {result.already} already recorded; "
          f"{result.callbacks} insurance callbacks added")
    return 0


def cmd_estimate(args) -> int:
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.eligibility import estimate_visit
    from coordinator_tui.services.eligibility.estimates import appointment_for

    if (args.appointment is None) == (args.mrn is None):
        raise UserError("give --appointment ID or --mrn MRN (with --date)")
    target = output_target(args.output)
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "eligibility estimate")
    appointment = args.appointment or appointment_for(ctx, args.mrn, _day(ctx, args.date))
    estimate_visit(ctx, actor, appointment, lambda sheet: deliver(target, sheet))
    return 0
