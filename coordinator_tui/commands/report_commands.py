"""coordinator report NAME --from DATE --to DATE [--provider P] [--by CUT] [--patient MRN]
--format txt|csv|json|pdf [--output FILE]: the Reports desk's reports, the same numbers.

The text form is the desk's table and its chart as text bars with the numbers printed beside
them. Files are owner-only (0600) and written whole, like every export; a file or a PDF is
audited once written."""

from __future__ import annotations

import argparse
import sys
import threading

from coordinator_tui.commands.common import acting_user, ready_context
from coordinator_tui.errors import UserError

NAMES = ("no-shows", "flow", "collections", "day", "upcoming")
SLOW_SECONDS = 0.5  # a report taking longer says what it is counting (on a terminal)


def register(sub, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser(
        "report", parents=[common], help="reports: no-shows, flow (waits), collections, day, upcoming",
        description="Reports counted from the status history. no-shows: --by provider|weekday|hour|"
                    "type|lead|patient|history; flow: --by none|provider|hour; collections: --by "
                    "user|day; day: the day's summary; upcoming: --patient MRN, the next two years.")
    report.add_argument("name", choices=NAMES, help="which report")
    report.add_argument("--from", dest="start", default="T",
                        help="first clinic day: 2026-11-02, T-28, mon... (default today)")
    report.add_argument("--to", dest="end", default="T", help="last clinic day (default today)")
    report.add_argument("--provider", help="one provider's short name (default: every provider)")
    report.add_argument("--location", help="one location's name (default: every location)")
    report.add_argument("--by", help="how the rows are cut (see above)")
    report.add_argument("--patient", metavar="MRN", help="the patient, for 'upcoming'")
    report.add_argument("--format", choices=("txt", "csv", "json", "pdf"), default="txt")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="file to write, owner-only (0600); - or no option: standard output")
    report.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER or login)")
    report.set_defaults(handler=cmd_report)


def _day(text: str, option: str, ctx):
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day

    try:
        return parse_day(text, today=ctx.today(), day_first=ctx.settings.day_first, prefer="past")
    except DateNotUnderstood as exc:
        raise UserError(f"{option}: {exc}") from None


def cmd_report(args) -> int:
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.clinic import clinic_name
    from coordinator_tui.services.reports import render, report_exported, run_report

    if args.format == "pdf" and args.output in (None, "-"):
        raise UserError("a PDF goes to a file: give --output FILE.pdf")
    target = output_target(args.output)  # refused before any work is done
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    start, end = _day(args.start, "--from", ctx), _day(args.end, "--to", ctx)
    actor = acting_user(ctx, args.user, "report")
    report = _with_progress(lambda say: run_report(
        ctx, actor, args.name, start, end, provider=args.provider, by=args.by, mrn=args.patient,
        location=args.location, progress=say))
    clinic = clinic_name(ctx)
    if args.format == "pdf":
        from coordinator_tui.services.reports.pdf import to_pdf

        body: str | bytes = to_pdf(report, clinic)
    elif args.format == "csv":
        body = render.to_csv(report)
    elif args.format == "json":
        body = render.to_json(report)
    else:
        body = render.to_text(report, clinic)
    # A file (or a PDF) leaves the screen: audited once it is written. Text and CSV on the
    # terminal are a look at the numbers, like the desk.
    audited = target.path is not None or args.format == "pdf"
    deliver(target, body, (lambda: report_exported(ctx, actor, report, args.format)) if audited
            else _nothing)
    if target.path is not None:
        print(f"Wrote the {report.name} report ({len(report.rows)} rows) to {target}", file=sys.stderr)
    return 0


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def _with_progress(work):
    """Run `work(say)`; if it takes over SLOW_SECONDS and stderr is a terminal, show its latest
    words on one line there until it is done."""
    latest = ["counting"]
    done = threading.Event()
    shown = [False]

    def say(words: str) -> None:
        latest[0] = words

    def show() -> None:
        while not done.wait(SLOW_SECONDS if not shown[0] else 0.25):
            if sys.stderr.isatty():
                sys.stderr.write(f"\r{latest[0][:70]}...".ljust(74))
                sys.stderr.flush()
                shown[0] = True

    watcher = threading.Thread(target=show, daemon=True)
    watcher.start()
    try:
        return work(say)
    finally:
        done.set()
        watcher.join()
        if shown[0]:
            sys.stderr.write("\r" + " " * 74 + "\r")
            sys.stderr.flush()
