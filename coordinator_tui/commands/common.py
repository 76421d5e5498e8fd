"""Helpers shared by the command modules: settings, context, progress bar, argument types."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from coordinator_tui.domain.seed_limits import FIRST_YEAR, LAST_YEAR, MAX_SEED_PATIENTS

EXIT_USER_ERROR = 2


def positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def patient_count(text: str) -> int:
    value = positive_int(text)
    if value > MAX_SEED_PATIENTS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEED_PATIENTS:,} patients (MRNs have "
                                         "seven digits)")
    return value


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def clinic_day(text: str) -> date:
    day = iso_day(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"the year must be {FIRST_YEAR} to {LAST_YEAR}")
    return day


def database_argument(text: str) -> str:
    # An empty --db (an unset shell variable) must not quietly mean the default database.
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a database file path or URL")
    return text


def settings_from(args, **extra):
    from coordinator_tui.config import load_settings

    values = {"db_url": getattr(args, "db", None), **extra}
    return load_settings(**values)


def context_for(settings, clock=None):
    """A context on the process's clock (COORDINATOR_CLOCK or the wall), or on `clock`."""
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.database import open_database

    if clock is None:
        return AppContext(db=open_database(settings.db_url), settings=settings)
    return AppContext(db=open_database(settings.db_url), settings=settings, clock=clock)


def ready_context(args, *, create: bool = False):
    """Settings + a current schema + a context: what most commands start with.

    Only commands whose job is to make a clinic pass `create`; the others refuse a missing or
    empty database rather than leave an empty one behind."""
    from coordinator_tui.services.database import ensure_current

    settings = settings_from(args)
    ensure_current(settings.db_url, create=create)
    return context_for(settings)


DEMO_USER = "demo"  # the demo clinic's front-desk account (services.demo.clinic.STAFF)


def acting_user(ctx, username: str | None, command: str = "this command", flag: str = "--user"):
    """The staff member a command acts as, signed in: --user (or the command's --as/--by),
    else COORDINATOR_USER (or the config file's `user`), else the login name; then proven by
    its bound OS account, a password file, --password-stdin, the demo's public password or a
    terminal prompt (commands/sign_in.py). A name alone is refused. A login name that is no
    staff account is an ordinary case (the README's examples give no --user): on a demo clinic
    the command acts as the demo's front desk, `demo`, whose logins are public; on any other
    clinic it stops and says how to name the account."""
    from coordinator_tui.commands.sign_in import prove
    from coordinator_tui.errors import UserError
    from coordinator_tui.services.clinic import is_demo
    from coordinator_tui.services.staff.actors import account_exists

    given = username or ctx.settings.user
    if given:
        return prove(ctx, given, command, flag)
    login = login_name()
    if account_exists(ctx, login):
        return prove(ctx, login, command, flag)
    if is_demo(ctx):
        return prove(ctx, DEMO_USER, command, flag)
    raise UserError(f"coordinator {command} needs a staff account: add {flag} NAME or set "
                    f"COORDINATOR_USER (your login name {login!r} is not one; the demo clinic's "
                    f"is {DEMO_USER})")


def login_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


def progress_bar():
    """A rich progress bar on stderr (hidden when stderr is not a terminal).

    Returns (update(stage, done, total), bar); use the bar as a context manager."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=False,
                   disable=not sys.stderr.isatty())
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return update, bar
