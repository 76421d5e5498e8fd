"""coordinator book / coordinator cancel: booking for scripts and integrations, through the very
service functions the desks use (the slot re-checked and the authorisation counted inside the
booking's write transaction), acting as a staff member and audited.

    coordinator book --patient MRN --type CODE [--provider P] (--at "DATE HH:MM" | --first-free
                     [--after DATE]) [--referral ID] [--override REASON]
    coordinator cancel APPOINTMENT_ID --reason TEXT [--by patient|clinic]
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime

from coordinator_tui.commands.common import acting_user, positive_int, ready_context

_AT = re.compile(r"^\s*(?P<day>.+?)\s+(?P<h>\d{1,2}):(?P<m>\d{2})\s*$")


def register(sub, common: argparse.ArgumentParser) -> None:
    book = sub.add_parser("book", parents=[common], help="book an appointment (as the desks do)")
    book.add_argument("--patient", required=True, metavar="MRN")
    book.add_argument("--type", dest="type_code", required=True, metavar="CODE", help="e.g. FU, NEW, PROC")
    book.add_argument("--provider", help="the provider's short name (needed with --at)")
    when = book.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help='the slot, clinic time: "2026-12-07 09:20", "T+7 9:20", "mon 14:00"')
    when.add_argument("--first-free", action="store_true", help="the first free slot (any provider "
                                                                "unless --provider)")
    book.add_argument("--after", help="with --first-free: search from this day (default today)")
    book.add_argument("--referral", type=positive_int, metavar="ID", help="book on this referral or "
                                                                          "authorisation")
    book.add_argument("--override", metavar="REASON", help="book without a valid authorisation "
                                                           "(supervisors; the reason is kept)")
    book.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER, else your "
                                     "login name)")
    book.set_defaults(handler=cmd_book)

    cancel = sub.add_parser("cancel", parents=[common], help="cancel an appointment with a reason")
    cancel.add_argument("appointment_id", type=positive_int, metavar="APPOINTMENT_ID")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--by", choices=("patient", "clinic"), default="patient",
                        help="who cancelled (default patient)")
    cancel.add_argument("--user", help="staff username to act as")
    cancel.set_defaults(handler=cmd_cancel)


def _provider_id(ctx, actor, name: str | None) -> int | None:
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.schedule import provider_ids_by_name

    if name is None:
        return None
    names = {n.upper(): pid for n, pid in provider_ids_by_name(ctx, actor).items()}
    found = names.get(name.strip().upper())
    if found is None:
        raise UserError(f"no provider {name[:20]!r}; one of {', '.join(sorted(names))}")
    return found


def _instant(ctx, text: str) -> datetime:
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
    from coordinator_tui.errors import UserError

    match = _AT.match(text or "")
    if not match:
        raise UserError(f'--at wants a day and a time like "2026-12-07 09:20" (got {text[:30]!r})')
    try:
        day = parse_day(match["day"], today=ctx.today(), day_first=ctx.settings.day_first)
    except DateNotUnderstood as exc:
        raise UserError(f"--at: {exc}") from None
    hour, minute = int(match["h"]), int(match["m"])
    if hour > 23 or minute > 59:
        raise UserError(f"--at: {match['h']}:{match['m']} is not a time of day")
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ctx.settings.tz)


def cmd_book(args) -> int:
    from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
    from coordinator_tui.errors import UserError
    from coordinator_tui.services import schedule
    from coordinator_tui.services.patients.records import resolve_mrn

    if args.after is not None and not args.first_free:
        raise UserError("--after goes with --first-free")
    if args.at is not None and args.provider is None:
        raise UserError("--at needs --provider (the slot is that provider's)")
    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "book")
    found = resolve_mrn(ctx, actor, args.patient)
    if found.mrn != found.asked_mrn:
        raise UserError(f"patient {found.asked_mrn} was merged into {found.mrn}; book {found.mrn}")
    provider_id = _provider_id(ctx, actor, args.provider)
    if args.at is not None:
        starts_at = _instant(ctx, args.at)
    else:
        try:
            after = parse_day(args.after, today=ctx.today(), day_first=ctx.settings.day_first) \
                if args.after else ctx.today()
        except DateNotUnderstood as exc:
            raise UserError(f"--after: {exc}") from None
        slots = schedule.find_free_slots(ctx, actor, provider_id=provider_id, type_code=args.type_code,
                                         after=after, limit=1)
        if not slots:
            raise UserError(f"no free {args.type_code.upper()[:12]} slot in the next "
                            f"{schedule.SEARCH_DAYS} days")
        starts_at, provider_id = slots[0].starts_at, slots[0].provider_id
    result = schedule.book(ctx, actor, found.patient_id, provider_id, args.type_code, starts_at,
                           referral_id=args.referral, auth_override=args.override)
    if result.appointment_id is None:
        raise UserError(f"{result.warning}; nothing was booked")
    local = result.starts_at.astimezone(ctx.settings.tz)
    print(f"booked appointment {result.appointment_id}: {local:%a %Y-%m-%d %H:%M} with {result.provider} "
          f"({args.type_code.upper()}){' overbooked' if result.is_overbook else ''}")
    if result.authorisation:
        print(f"  {result.authorisation}")
    return 0


def cmd_cancel(args) -> int:
    from coordinator_tui.domain.vocab import CancelledBy
    from coordinator_tui.services import schedule

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "cancel")
    schedule.cancel(ctx, actor, args.appointment_id, reason=args.reason, by=CancelledBy(args.by))
    print(f"cancelled appointment {args.appointment_id} ({args.by})")
    return 0
