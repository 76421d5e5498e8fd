"""coordinator reminders: batches for the SMS gateway, a mail merge, letters and invitations;
the gateway's replies; letters for no-shows, clinic cancellations and recalls; consent.

    coordinator reminders --channel sms|email|letter|ics [--date D] -o FILE|FOLDER
    coordinator reminders replies RESULTS.csv
    coordinator reminders letters --kind no-show|cancellation|recall [--date D] (-o FILE.pdf | --print)
    coordinator reminders consent MRN [--sms yes|no] [--voice ..] [--email ..] [--letter ..] [--language L]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coordinator_tui.commands.common import acting_user, ready_context
from coordinator_tui.errors import UserError

MAX_LISTED = 200


def _yes_no(text: str) -> bool:
    value = text.strip().casefold()
    if value in ("yes", "y", "true", "1", "agreed"):
        return True
    if value in ("no", "n", "false", "0", "withdrawn"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not yes or no")


def register(sub, common: argparse.ArgumentParser) -> None:
    rem = sub.add_parser("reminders", parents=[common],
                         help="reminder batches, the gateway's replies, letters, consent")
    rem.add_argument("--channel", choices=("sms", "email", "letter", "ics"),
                     help="what to write: SMS CSV, e-mail CSV, letters PDF, .ics per appointment")
    rem.add_argument("--date", help="the appointments' day: 2026-11-25, T+2, fri... "
                     "(default: the days ahead the settings name for the channel)")
    rem.add_argument("--output", "-o", metavar="FILE",
                     help="file to write (owner-only); for ics an existing folder")
    rem.add_argument("--user", help="staff username to act as (recorded as the sender)")
    rem.set_defaults(handler=cmd_batch)
    what = rem.add_subparsers(dest="reminders_command", parser_class=type(rem))

    replies = what.add_parser("replies", parents=[common],
                              help="apply the SMS gateway's results: delivered, failed, C, R, STOP")
    replies.add_argument("file", type=Path, help="the gateway's CSV (appointment_id,status,reply)")
    replies.add_argument("--user", help="staff username to act as")
    replies.set_defaults(handler=cmd_replies)

    letters = what.add_parser("letters", parents=[common],
                              help="no-show, cancelled-by-clinic or recall letters as one PDF")
    letters.add_argument("--kind", required=True, choices=("no-show", "cancellation", "recall"))
    letters.add_argument("--date", help="the day (no-shows of, cancellations made on); default today")
    out = letters.add_mutually_exclusive_group(required=True)
    out.add_argument("--output", "-o", metavar="FILE.pdf", help="the PDF to write (owner-only)")
    out.add_argument("--print", action="store_true", dest="to_printer",
                     help="print at the desk's printer (setting printer) or its printouts folder")
    letters.add_argument("--user", help="staff username to act as")
    letters.set_defaults(handler=cmd_letters)

    consent = what.add_parser("consent", parents=[common],
                              help="show or record a patient's contact channels and language")
    consent.add_argument("mrn", help="the patient's MRN")
    for channel in ("sms", "voice", "email", "letter"):
        consent.add_argument(f"--{channel}", type=_yes_no, metavar="yes|no",
                             help=f"the patient agreed to {channel} (yes) or not (no)")
    consent.add_argument("--language", help="preferred language, like Spanish")
    consent.add_argument("--user", help="staff username to act as")
    consent.set_defaults(handler=cmd_consent)


def _day(ctx, text: str | None):
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day

    if text is None:
        return None
    try:
        return parse_day(text, today=ctx.today(), day_first=ctx.settings.day_first)
    except DateNotUnderstood as exc:
        raise UserError(str(exc)) from None


def _list_skipped(skipped) -> None:
    for row in skipped[:MAX_LISTED]:
        print(f"appointment {row.appointment_id} ({row.mrn}): left out: {row.reason}", file=sys.stderr)
    if len(skipped) > MAX_LISTED:
        print(f"... and {len(skipped) - MAX_LISTED} more left out", file=sys.stderr)


def cmd_batch(args) -> int:
    from coordinator_tui.interop.private_file import not_the_database, output_target, write_private
    from coordinator_tui.interop.private_folder import check_folder, write_private_files
    from coordinator_tui.services.reminders.batches import plan_batch, recorded_batch, render_batch

    if args.channel is None:
        raise UserError("reminders needs --channel sms, email, letter or ics (or a subcommand: "
                        "replies, letters, consent)")
    if not args.output or args.output == "-":
        raise UserError("reminders needs -o FILE (a folder for ics): the batch is recorded as "
                        "sent only once its file is written")
    folder = check_folder(args.output) if args.channel == "ics" else None
    target = None if folder else output_target(args.output)
    ctx = ready_context(args)
    if target is not None:
        not_the_database(target, ctx.db.path)
    day = _day(ctx, args.date)
    actor = acting_user(ctx, args.user, "reminders")
    batch = plan_batch(ctx, actor, args.channel, [day] if day else None)
    _list_skipped(batch.skipped)
    days = ", ".join(d.isoformat() for d in batch.days)
    if not batch.items:
        print(f"no {args.channel} reminders to send for {days} ({batch.already} sent before, "
              f"{batch.no_consent} without consent, {len(batch.skipped)} left out); "
              "no file written", file=sys.stderr)
        return 0
    content = render_batch(batch, ctx.now())
    publish = lambda: recorded_batch(ctx, actor, batch)  # noqa: E731
    if folder is not None:
        write_private_files(folder, content, publish)
        where = f"{len(content)} files in {folder}"
    else:
        write_private(target.path, content, publish)
        where = str(target.path)
    print(f"{len(batch)} {args.channel} reminders for {days} written to {where} "
          f"({batch.already} sent before, {batch.no_consent} without consent, "
          f"{len(batch.skipped)} left out)", file=sys.stderr)
    return 0


def cmd_replies(args) -> int:
    from coordinator_tui.services.reminders.replies import apply_replies

    if not args.file.is_file():  # before any database work
        raise UserError(f"no file {args.file}" if not args.file.exists()
                        else f"{args.file} is not a file; give the gateway's CSV file")
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "reminders replies")
    report = apply_replies(ctx, actor, args.file)
    for problem in report.bad[:MAX_LISTED]:
        print(f"line {problem.line}: {problem.reason}", file=sys.stderr)
    if len(report.bad) > MAX_LISTED:
        print(f"... and {len(report.bad) - MAX_LISTED} more problem rows", file=sys.stderr)
    for note in report.notes[:MAX_LISTED]:
        print(f"line {note.line}: note: {note.reason}", file=sys.stderr)
    print(f"{report.rows} rows: {report.delivered} delivered, {report.failed} failed, "
          f"{report.confirmed} confirmed, {report.reschedule} to reschedule (callback queue), "
          f"{report.stopped} opted out of SMS, {report.unchanged} already applied, "
          f"{len(report.bad)} bad")
    return 0 if not report.bad else 1


def cmd_letters(args) -> int:
    from coordinator_tui.interop.private_file import not_the_database, output_target, write_private
    from coordinator_tui.services.printing import print_document
    from coordinator_tui.services.reminders.letters import plan_letters, recorded_letters

    target = None if args.to_printer else output_target(args.output)
    if target is not None and target.path is None:
        raise UserError("letters are a PDF: give -o FILE.pdf or --print")
    ctx = ready_context(args)
    if target is not None:
        not_the_database(target, ctx.db.path)
    day = _day(ctx, args.date)
    actor = acting_user(ctx, args.user, "reminders letters")
    batch = plan_letters(ctx, actor, args.kind.replace("-", "_"), day)
    _list_skipped(batch.skipped)
    if not batch.pages:
        print(f"no {args.kind} letters to write ({batch.already} written before, "
              f"{len(batch.skipped)} left out)", file=sys.stderr)
        return 0
    publish = lambda: recorded_letters(ctx, actor, batch)  # noqa: E731
    if target is None:
        printed = print_document(ctx, actor, title=f"{batch.kind.value} letters {ctx.today()}",
                                 kind="letters", pdf=batch.pdf(), publish=publish)
        where = printed.where
    else:
        write_private(target.path, batch.pdf(), publish)
        where = str(target.path)
    print(f"{len(batch)} {args.kind} letters written to {where} ({batch.already} written "
          f"before, {len(batch.skipped)} left out)", file=sys.stderr)
    return 0


def cmd_consent(args) -> int:
    from coordinator_tui.domain.reminders import ConsentSource, ContactChannel
    from coordinator_tui.services.reminders.consent import (
        contact_preferences,
        patient_by_mrn,
        set_contact_preferences,
    )

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "reminders consent")
    patient_id = patient_by_mrn(ctx, args.mrn)
    wanted = {ContactChannel(name): getattr(args, name) for name in ("sms", "voice", "email", "letter")
              if getattr(args, name) is not None}
    if wanted or args.language is not None:
        prefs = set_contact_preferences(ctx, actor, patient_id, wanted, language=args.language,
                                        source=ConsentSource.COMMAND)
    else:
        prefs = contact_preferences(ctx, actor, patient_id)
    tz = ctx.settings.tz
    print(f"{prefs.mrn}  language {prefs.language}")
    for c in prefs.channels:
        when = (f"  {c.recorded_at.astimezone(tz):%Y-%m-%d %H:%M} by {c.recorded_by or '-'}"
                f" ({c.source.value})" if c.recorded_at else "  never asked")
        print(f"  {c.channel.label:<7} {'yes' if c.agreed else 'no':<4}{when}")
    return 0
