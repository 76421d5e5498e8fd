"""`coordinator export schedule --date D [--provider P] --format csv|ics|txt [--output FILE]`:
the day sheet. Patient data goes only to stdout or the named file (owner-only, written whole).

`coordinator schedule hours PROVIDER [--weekday mon --start 08:00 --end 12:00 | --hours
"08:00-12:00,13:00-17:00" | --off] [--slot 20] [--location NAME|ID] [--types FU,NEW] [--from DATE]`:
show a provider's weekly hours, or replace one weekday's from a date on (history kept)."""

from __future__ import annotations

import argparse

from coordinator_tui.commands.common import acting_user, ready_context


def _export_subparsers(sub, common):
    """The `export` command's own subcommands, shared with other areas' exports if they exist."""
    export = sub.choices.get("export")
    if export is None:
        export = sub.add_parser("export", parents=[common], help="write data out (day sheet...)")
    for action in export._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return export.add_subparsers(dest="export_what", parser_class=type(export))


def register(sub, common: argparse.ArgumentParser) -> None:
    what = _export_subparsers(sub, common)
    sheet = what.add_parser("schedule", parents=[common], help="one day's schedule (the day sheet)")
    sheet.add_argument("--date", required=True, help="the day: T, T+7, mon, 12/24, 2026-12-24...")
    sheet.add_argument("--provider", help="one provider's short name (default: every provider)")
    sheet.add_argument("--location", help="one location's name (default: every location)")
    sheet.add_argument("--format", choices=("csv", "ics", "txt"), default="txt")
    sheet.add_argument("--output", "-o", metavar="FILE",
                       help="file to write, owner-only (0600); - or no option: standard output")
    sheet.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER or login)")
    sheet.set_defaults(handler=cmd_export_schedule)

    schedule = sub.add_parser("schedule", parents=[common], help="provider availability")
    what_schedule = schedule.add_subparsers(dest="schedule_command", required=True,
                                            parser_class=type(schedule))
    hours = what_schedule.add_parser("hours", parents=[common],
                                     help="show a provider's weekly hours, or set one weekday's")
    hours.add_argument("provider", help="the provider's short name")
    hours.add_argument("--weekday", help="mon..sun: the weekday to set (without it: show the week)")
    hours.add_argument("--start", help="start of one block of hours, HH:MM")
    hours.add_argument("--end", help="end of that block, HH:MM (24:00 = midnight)")
    hours.add_argument("--hours", help='several blocks: "08:00-12:00,13:00-17:00"')
    hours.add_argument("--off", action="store_true", help="not working that weekday")
    hours.add_argument("--slot", type=int, default=20, help="slot length in minutes (default 20)")
    hours.add_argument("--location", help="location name or id (default: where the provider works now)")
    hours.add_argument("--types", default="", help="only these appointment types, e.g. FU,NEW (default all)")
    hours.add_argument("--from", dest="valid_from", default="T",
                       help="first day the hours apply: T, T+7, mon, 12/24... (default today)")
    hours.add_argument("--user", help="staff username to act as (needs 'manage schedule templates')")
    hours.set_defaults(handler=cmd_schedule_hours)


def cmd_export_schedule(args) -> int:
    from coordinator_tui.domain.relative_dates import parse_day
    from coordinator_tui.errors import UserError
    from coordinator_tui.interop.private_file import deliver, not_the_database, output_target
    from coordinator_tui.services.locations import find_location
    from coordinator_tui.services.schedule.export import day_sheet, exported, render

    target = output_target(args.output)  # refused before any work is done
    ctx = ready_context(args)
    not_the_database(target, ctx.db.path)
    actor = acting_user(ctx, args.user, "schedule hours")
    try:
        day = parse_day(args.date, today=ctx.today(), day_first=ctx.settings.day_first)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    sheet = day_sheet(ctx, actor, day, args.provider, find_location(ctx, args.location))
    deliver(target, render(sheet, args.format, ctx), lambda: exported(ctx, actor, sheet))
    return 0


def _location_id(ctx, given: str | None) -> int | None:
    """--location as a name (a clinic network's "North clinic") or an id; None: the default."""
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.locations import find_location

    if given is None:
        return None
    text = given.strip()
    if not text:
        raise UserError("--location: give the location's name (or id)")
    return int(text) if text.isdigit() else find_location(ctx, text).id


def cmd_schedule_hours(args) -> int:
    from coordinator_tui.domain.hours import (
        WEEKDAYS,
        format_clock,
        parse_blocks,
        parse_clock,
        parse_weekday,
    )
    from coordinator_tui.domain.relative_dates import parse_day
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.schedule.hours import set_weekly_hours, weekly_hours
    from coordinator_tui.services.schedule.schedule_view import provider_ids_by_name

    ctx = ready_context(args)
    actor = acting_user(ctx, args.user, "schedule hours")
    location_id = _location_id(ctx, args.location)
    names = {name.upper(): pid for name, pid in provider_ids_by_name(ctx, actor).items()}
    provider_id = names.get(args.provider.strip().upper())
    if provider_id is None:
        raise UserError(f"no provider {args.provider[:20]!r}; one of {', '.join(sorted(names))}")
    try:
        valid_from = parse_day(args.valid_from, today=ctx.today(), day_first=ctx.settings.day_first)
        if args.weekday is not None:
            weekday = parse_weekday(args.weekday)
            given = [args.hours is not None, args.off, args.start is not None or args.end is not None]
            if sum(given) != 1:
                raise UserError("give one of --start/--end, --hours or --off with --weekday")
            if args.off:
                blocks = []
            elif args.hours is not None:
                blocks = parse_blocks(args.hours)
            else:
                if args.start is None or args.end is None:
                    raise UserError("give both --start and --end")
                start, end = parse_clock(args.start, "start"), parse_clock(args.end, "end")
                if end <= start:
                    raise UserError("the end must be after the start")
                blocks = [(start, end)]
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.weekday is not None:
        types = [t for t in args.types.replace(" ", ",").split(",") if t]
        change = set_weekly_hours(ctx, actor, provider_id, weekday, hours=blocks, slot_minutes=args.slot,
                                  location_id=location_id, type_codes=types, valid_from=valid_from)
        if change.affected:
            print(f"{len(change.affected)} appointment(s) booked outside the new hours; "
                  f"{change.callbacks_created} rebook callback(s) added:")
            for item in change.affected:
                print(f"  {item.starts_at.astimezone(ctx.settings.tz):%a %Y-%m-%d %H:%M}  {item.mrn}")
    rows = weekly_hours(ctx, actor, provider_id, valid_from)
    print(f"{args.provider.upper()} from {valid_from:%a %Y-%m-%d}:")
    for index, day in enumerate(WEEKDAYS):
        mine = [r for r in rows if r.weekday == index]
        if not mine:
            print(f"  {day}  off")
        for r in mine:
            print(f"  {day}  {format_clock(r.start_minute)}-{format_clock(r.end_minute)}  "
                  f"slot {r.slot_minutes}m  at {r.location}  types {','.join(sorted(r.type_codes)) or 'all'}")
    return 0
