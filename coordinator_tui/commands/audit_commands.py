"""coordinator audit verify | show [--patient MRN] [--user U] [--since T]."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time

from coordinator_tui.commands.common import acting_user, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, parser_class=type(audit))
    verify = audit_sub.add_parser("verify", parents=[common], help="check the keyed chain and "
                                  "its anchors; exit 1 naming what was edited, deleted, inserted "
                                  "or cut")
    verify.add_argument("--anchor", metavar="FILE", help="also compare with this anchor file or "
                        "backup copy (the clinic's own anchor file is always compared)")
    verify.set_defaults(handler=cmd_audit_verify)
    audit_sub.add_parser("anchor", parents=[common], help="append the chain's head to the anchor "
                         "file now (for cron; it is also done every few minutes and on backup)"
                         ).set_defaults(handler=cmd_audit_anchor)
    rotate = audit_sub.add_parser("rotate-key", parents=[common], help="start signing with a new "
                                  "audit key (admins; recorded)")
    rotate.add_argument("--user", help="the admin doing this (default: $COORDINATOR_USER, else "
                        "your login name)")
    rotate.set_defaults(handler=cmd_audit_rotate_key)
    show = audit_sub.add_parser("show", parents=[common], help="list events (supervisor or admin)")
    show.add_argument("--patient", metavar="MRN", help="only events about this patient")
    show.add_argument("--user", dest="staff", metavar="U", help="only events by this staff member")
    show.add_argument("--since", metavar="T", help="from this date or date-time (clinic time), "
                      "e.g. 2026-11-23, 2026-11-23T09:00, T (today) or T-7")
    show.add_argument("--as", dest="acting", metavar="U", help="the supervisor or admin reading "
                      "(default: $COORDINATOR_USER, else your login name)")
    show.add_argument("--limit", type=_limit, default=1000,
                      help=f"most recent N events, 1 to {MAX_LIMIT:,} (default 1000)")
    show.set_defaults(handler=cmd_audit_show)


def cmd_audit_verify(args) -> int:
    from coordinator_tui.services.staff.audit_trail import verify

    ctx = ready_context(args)
    report = verify(ctx, args.anchor)
    for finding in report.problems:
        when = f" of {ctx.local(finding.at):%Y-%m-%d %H:%M}" if finding.at else ""
        print(f"audit trail BROKEN: the anchor{when} ({finding.source}): {finding.problem}",
              file=sys.stderr)
    if report.broken is not None:
        print(f"audit trail BROKEN at event {report.broken.event_id}: {report.broken.problem}",
              file=sys.stderr)
    if not report.intact:
        return 1
    if report.anchor_files:
        after = f"; events after event {report.last_anchored} are not anchored yet" \
            if report.last_anchored < report.events else ""
        anchors = f"{len(report.anchors)} anchors hold{after}"
    else:
        anchors = "no anchor to compare with: a trail cut at its end would not show"
    print(f"audit trail intact: {report.events:,} events; {anchors}")
    return 0


def cmd_audit_anchor(args) -> int:
    from coordinator_tui.services.staff.audit_keys import anchor_now

    done = anchor_now(ready_context(args))
    print(f"anchored {done.events:,} events (last event {done.last_id}) in {done.path}")
    return 0


def cmd_audit_rotate_key(args) -> int:
    from coordinator_tui.services.staff.audit_keys import rotate_key

    ctx = ready_context(args)
    key = rotate_key(ctx, acting_user(ctx, args.user, "audit rotate-key"))
    print(f"new audit key {key} signs from now on (older keys stay for older events)")
    return 0


MAX_LIMIT = 1_000_000


def _limit(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_LIMIT:,}")
    return value


def _since(text: str | None, ctx):
    """A date-time as ISO, or a day as the desk types it (2026-11-23, T, T-7, mon)."""
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
    from coordinator_tui.errors import UserError

    if text is None:
        return None
    tz = ctx.settings.tz
    try:
        # "since" looks back: "mon" is the last Monday, "6/1" the last first of June.
        day = parse_day(text, today=ctx.today(), day_first=ctx.settings.day_first, prefer="past")
        return datetime.combine(day, time.min, tzinfo=tz)
    except DateNotUnderstood:
        pass
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--since {text[:40]!r} is not a date like 2026-11-23, T-7 or "
                        f"2026-11-23T09:00") from None
    try:
        parse_day(value.date().isoformat(), today=ctx.today())  # the same range of years
    except DateNotUnderstood as exc:
        raise UserError(f"--since: {exc}") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def cmd_audit_show(args) -> int:
    from coordinator_tui.services.staff.audit_trail import show

    ctx = ready_context(args)
    actor = acting_user(ctx, args.acting, "audit show", "--as")
    lines = show(ctx, actor, mrn=args.patient, username=args.staff,
                 since=_since(args.since, ctx), limit=args.limit)
    for line in lines:
        at = ctx.local(line.at).strftime("%Y-%m-%d %H:%M:%S")
        target = f"MRN {line.mrn}" if line.mrn else (f"{line.entity} {line.entity_id}"
                                                     if line.entity else "")
        print(f"{line.id:>7} {at} {line.username or '-':<12} {line.action:<20} {target:<16} "
              f"{line.detail or ''}")
    print(f"{len(lines)} events", file=sys.stderr)
    return 0
