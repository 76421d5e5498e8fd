"""coordinator run | demo | seed: open the app, build the demo clinic, seed a database."""

from __future__ import annotations

import argparse
import os
import sys

from coordinator_tui.commands.common import (
    clinic_day,
    context_for,
    patient_count,
    progress_bar,
    ready_context,
    settings_from,
)


def register(sub, common: argparse.ArgumentParser) -> None:
    def app_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="staff username to fill in on the sign-in screen "
                       "(default: $COORDINATOR_USER)")
        p.add_argument("--mouse", action="store_true", help="turn mouse reporting on (off by default)")
        p.add_argument("--location", help="the location this desk works at, by name (default: "
                       "$COORDINATOR_DESK_LOCATION, else every location)")

    run = sub.add_parser("run", parents=[common], help="open the app (the default)")
    app_flags(run)
    run.set_defaults(handler=cmd_run)

    demo = sub.add_parser("demo", parents=[common], help="open the app on today's demo clinic")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--patients", type=patient_count, default=5000, help="patients (default 5000)")
    demo.add_argument("--fresh", action="store_true", help="rebuild even if today's demo exists "
                      "(only a file demo made: any other clinic is refused)")
    demo.add_argument("--no-open", action="store_true", help="build the demo database, don't open the app")
    app_flags(demo)
    demo.set_defaults(handler=cmd_demo)

    seed = sub.add_parser("seed", parents=[common], help="fill a database with a synthetic clinic")
    seed.add_argument("--patients", type=patient_count, required=True,
                      help="how many patients, 1 to 9,999,999")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--date", type=clinic_day, help="the clinic day to build the schedule around, "
                      "years 1900-2200 (default: today)")
    seed.set_defaults(handler=cmd_seed)


def prepare_app(settings, username: str | None, clock=None):
    """A current schema, the staff checks, and the app on its sign-in screen (not yet running),
    on the process's clock or on `clock` (the demo's).

    Nothing here imports the ORM for a SQLite database: the first frame does not need it."""
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.database import ensure_current, startup_facts

    refuse_first_start(settings)
    ensure_current(settings.db_url, create=False)
    ctx = context_for(settings, clock)
    username = username or settings.user
    facts = startup_facts(settings.db_url, username)
    if facts is None:  # not SQLite: ask the services
        from coordinator_tui.services.clinic import clinic_name, is_demo
        from coordinator_tui.services.staff.accounts import staff_count

        staff, clinic, demo = staff_count(ctx), clinic_name(ctx), is_demo(ctx)
    else:
        staff, clinic = facts.staff_accounts, facts.clinic_name or settings.clinic_name
        demo = facts.is_demo
    if not staff:
        raise UserError("no staff accounts yet: create the first admin with "
                        "'coordinator users add NAME --name \"Full Name\" --role admin'")
    # The name given only fills in the sign-in screen, which answers an unknown, disabled or
    # locked name like a wrong password: refusing it here would tell anyone with a shell which
    # names are accounts (issue 22).
    place = None
    if settings.desk_location:  # a typo in the desk's location is seen now, not at the first desk
        from coordinator_tui.services.locations import desk_location

        place = desk_location(ctx)
    from coordinator_tui.tui.app import CoordinatorApp

    return CoordinatorApp(ctx, prefill_username=username or "", clinic_name=clinic, demo=demo,
                          place=place)


def refuse_first_start(settings) -> None:
    """A first start (no database file yet, or an empty one) changes nothing: a clinic without
    staff could not be signed into anyway. Say how to make the first admin, who makes the file."""
    from coordinator_tui.config import default_db_url
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.database import sqlite_path

    path = sqlite_path(settings.db_url)
    if path is None or path.is_dir() or (path.exists() and path.stat().st_size > 0):
        return
    where = "" if settings.db_url == default_db_url() else f" --db {path}"
    raise UserError(f"no database at {path} yet: create the first admin with 'coordinator users "
                    f"add NAME --name \"Full Name\" --role admin{where}' (or try 'coordinator demo')")


def open_app(settings, username: str | None, mouse: bool, clock=None) -> int:
    from coordinator_tui.errors import UserError

    app = prepare_app(settings, username, clock)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Over SSH without a terminal (`ssh desk@server some-command`, no -t) Textual would wait
        # forever on a pipe: say what to do instead.
        raise UserError("coordinator needs a terminal: connect with 'ssh -t' (or run it in one)")
    if not sys.stderr.isatty():
        # Textual draws the screen on stderr: `coordinator run 2>file` would write patient
        # names into that file (issue #22). Refused before anything is drawn.
        raise UserError("coordinator draws its screen on the terminal and will not draw it into "
                        "a file or pipe: run it without redirecting its output (2>...)")
    # Textual sizes the screen with shutil.get_terminal_size(), which believes exported COLUMNS
    # and LINES before the terminal: a login script or wrapper that exports them would pin the
    # app at that size and every resize (SIGWINCH) would redraw the old one.
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)
    app.run(mouse=mouse or settings.mouse)
    return app.return_code or 0


def _desk_settings(args, **extra):
    """Settings with the desk's location from --location, when given."""
    if getattr(args, "location", None):
        extra["desk_location"] = args.location
    return settings_from(args, **extra)


def cmd_run(args) -> int:
    return open_app(_desk_settings(args), getattr(args, "user", None), getattr(args, "mouse", False))


def cmd_demo(args) -> int:
    from coordinator_tui.config import demo_db_url
    from coordinator_tui.services.demo.file import build_demo, demo_clock

    settings = _desk_settings(args)
    if getattr(args, "db", None) is None and not os.environ.get("COORDINATOR_DB_URL"):
        settings = _desk_settings(args, db_url=demo_db_url())
    # The demo's morning at 10:30, running forward, whatever the hour (COORDINATOR_CLOCK wins).
    clock = demo_clock(settings)
    update, bar = progress_bar()
    with bar:
        built = build_demo(settings, patients=args.patients, seed=args.seed, fresh=args.fresh,
                           progress=update, clock=clock)
    if built:
        print(f"Demo clinic ready: {settings.db_url}", file=sys.stderr)
    if args.no_open:
        return 0
    return open_app(settings, args.user or "demo", args.mouse, clock)


def cmd_seed(args) -> int:
    from coordinator_tui.services.database import sqlite_path, undone_on_failure
    from coordinator_tui.services.demo.clinic import seed_clinic

    # A seed that fails or is interrupted leaves no file, folder or lock it made.
    with undone_on_failure(sqlite_path(settings_from(args).db_url)):
        ctx = ready_context(args, create=True)
        try:
            update, bar = progress_bar()
            with bar:
                report = seed_clinic(ctx, patients=args.patients, seed=args.seed,
                                     day=args.date or ctx.today(), progress=update)
        finally:
            ctx.db.dispose()
    print(f"Seeded {report.patients:,} patients, {report.appointments:,} appointments "
          f"({report.today_appointments} on the day), {report.callbacks} open callbacks.")
    return 0
