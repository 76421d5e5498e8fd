"""The `coordinator` command.

    coordinator [run]                 open the app on the configured database
    coordinator demo                  build (or reuse) today's demo clinic and open the app on it
    coordinator seed --patients N     fill a database with a synthetic clinic, no UI
    coordinator db upgrade|downgrade REV|current|check

Bad input ends with one line on stderr and exit status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

from coordinator_tui.errors import UserError

EXIT_USER_ERROR = 2


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with the one-line message our other errors use."""

    def error(self, message: str):  # noqa: D401
        self.exit(EXIT_USER_ERROR, f"coordinator: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's copy of --db must not overwrite one given before the subcommand.
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL or file path "
                        "(default: $COORDINATOR_DB_URL, else a file in your data directory)")

    parser = _Parser(prog="coordinator", description="The clinic front desk, in the terminal.",
                     parents=[common])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def app_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="staff username to act as (default: $COORDINATOR_USER, "
                       "else your login name)")
        p.add_argument("--mouse", action="store_true", help="turn mouse reporting on (off by default)")

    run = sub.add_parser("run", parents=[common], help="open the app (the default)")
    app_flags(run)
    run.set_defaults(handler=cmd_run)

    demo = sub.add_parser("demo", parents=[common], help="open the app on today's demo clinic")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--patients", type=_positive_int, default=5000, help="patients (default 5000)")
    demo.add_argument("--fresh", action="store_true", help="rebuild even if today's demo exists")
    demo.add_argument("--no-open", action="store_true", help="build the demo database, don't open the app")
    app_flags(demo)
    demo.set_defaults(handler=cmd_demo)

    seed = sub.add_parser("seed", parents=[common], help="fill a database with a synthetic clinic")
    seed.add_argument("--patients", type=_positive_int, required=True)
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--date", type=_iso_day, help="the clinic day to build the schedule around "
                      "(default: today)")
    seed.set_defaults(handler=cmd_seed)

    db = sub.add_parser("db", parents=[common], help="schema migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_sub.add_parser("upgrade", parents=[common], help="bring the database to this version's schema"
                      ).set_defaults(handler=cmd_db_upgrade)
    down = db_sub.add_parser("downgrade", parents=[common], help="go back to revision REV ('base' = empty)")
    down.add_argument("revision")
    down.set_defaults(handler=cmd_db_downgrade)
    db_sub.add_parser("current", parents=[common], help="print the database's schema revision"
                      ).set_defaults(handler=cmd_db_current)
    db_sub.add_parser("check", parents=[common], help="report drift between the models and the schema"
                      ).set_defaults(handler=cmd_db_check)
    return parser


# --- helpers ---------------------------------------------------------------------------------------


def _settings(args, **extra):
    from coordinator_tui.config import load_settings

    return load_settings(db_url=getattr(args, "db", None), **extra)


def _context(settings):
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database

    return AppContext(db=Database(settings.db_url), settings=settings)


def _progress_bar():
    """A rich progress bar on stderr; returns (callback, context manager)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), transient=False, disable=not sys.stderr.isatty())
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return update, bar


def _open_app(settings, username: str | None, mouse: bool) -> int:
    from coordinator_tui.services.staff import actor_for
    from coordinator_tui.store.migrate import ensure_current

    ensure_current(settings.db_url)
    ctx = _context(settings)
    actor = actor_for(ctx, username or settings.user or _login_name())
    from coordinator_tui.tui.app import CoordinatorApp

    app = CoordinatorApp(ctx, actor)
    app.run(mouse=mouse or settings.mouse)
    return app.return_code or 0


def _login_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


# --- commands ----------------------------------------------------------------------------------------


def cmd_run(args) -> int:
    settings = _settings(args)
    return _open_app(settings, args.user, args.mouse)


def cmd_demo(args) -> int:
    from coordinator_tui.config import demo_db_url
    from coordinator_tui.services.demo_clinic import build_demo

    settings = _settings(args)
    if args.db is None and not os.environ.get("COORDINATOR_DB_URL"):
        settings = _settings(args, db_url=demo_db_url())
    update, bar = _progress_bar()
    with bar:
        built = build_demo(settings, patients=args.patients, seed=args.seed, fresh=args.fresh,
                           progress=update)
    if built:
        print(f"Demo clinic ready: {settings.db_url}", file=sys.stderr)
    if args.no_open:
        return 0
    return _open_app(settings, args.user or "demo", args.mouse)


def cmd_seed(args) -> int:
    from coordinator_tui.services.demo_clinic import seed_clinic
    from coordinator_tui.store.migrate import ensure_current

    settings = _settings(args)
    ensure_current(settings.db_url)
    ctx = _context(settings)
    update, bar = _progress_bar()
    with bar:
        report = seed_clinic(ctx, patients=args.patients, seed=args.seed,
                             day=args.date or ctx.today(), progress=update)
    print(f"Seeded {report.patients:,} patients, {report.appointments:,} appointments "
          f"({report.today_appointments} on the day), {report.callbacks} open callbacks.")
    return 0


def cmd_db_upgrade(args) -> int:
    from coordinator_tui.store.migrate import ensure_current

    settings = _settings(args)
    ran = ensure_current(settings.db_url)
    print("upgraded to the current schema" if ran else "already at the current schema")
    return 0


def cmd_db_downgrade(args) -> int:
    from coordinator_tui.store.engine import prepare_file, sqlite_path
    from coordinator_tui.store.migrate import (
        check_not_newer,
        downgrade,
        known_revisions,
        read_revision,
    )

    settings = _settings(args)
    path = sqlite_path(settings.db_url)
    if path is not None:
        prepare_file(path, create=False)
    check_not_newer(settings.db_url, read_revision(settings.db_url))
    if args.revision not in known_revisions(settings.db_url) | {"base"} and not args.revision.startswith("-"):
        raise UserError(f"unknown revision {args.revision!r}; see 'coordinator db current'")
    downgrade(settings.db_url, args.revision)
    print(f"downgraded to {args.revision}")
    return 0


def cmd_db_current(args) -> int:
    from coordinator_tui.store.engine import prepare_file, sqlite_path
    from coordinator_tui.store.migrate import read_revision
    from coordinator_tui.store.schema_version import SCHEMA_HEAD

    settings = _settings(args)
    path = sqlite_path(settings.db_url)
    if path is not None:
        prepare_file(path, create=False)
    revision = read_revision(settings.db_url)
    state = "current" if revision == SCHEMA_HEAD else f"this version expects {SCHEMA_HEAD}"
    print(f"{revision or 'empty (no schema)'} ({state})")
    return 0


def cmd_db_check(args) -> int:
    from alembic import command
    from alembic.util.exc import AutogenerateDiffsDetected

    from coordinator_tui.store.engine import prepare_file, sqlite_path
    from coordinator_tui.store.migrate import alembic_config, check_not_newer, read_revision

    settings = _settings(args)
    path = sqlite_path(settings.db_url)
    if path is not None:
        prepare_file(path, create=False)
    check_not_newer(settings.db_url, read_revision(settings.db_url))
    try:
        command.check(alembic_config(settings.db_url))
    except AutogenerateDiffsDetected as exc:
        print(f"coordinator: schema drift: {exc}", file=sys.stderr)
        return 1
    print("no drift: the database matches the models")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", cmd_run)
    if not hasattr(args, "user"):
        args.user = None
        args.mouse = False
    try:
        return handler(args)
    except UserError as exc:
        print(f"coordinator: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("coordinator: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("COORDINATOR_DEBUG"):
            raise
        # A traceback's values could hold patient data: name the kind of failure only.
        print(f"coordinator: unexpected error ({type(exc).__name__}); nothing half-written was kept. "
              f"Set COORDINATOR_DEBUG=1 to see details.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
