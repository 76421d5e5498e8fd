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


def context_for(settings):
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database

    return AppContext(db=Database(settings.db_url), settings=settings)


def ready_context(args, *, create: bool = False):
    """Settings + a current schema + a context: what most commands start with.

    Only commands whose job is to make a clinic pass `create`; the others refuse a missing or
    empty database rather than leave an empty one behind."""
    from coordinator_tui.store.migrate import ensure_current

    settings = settings_from(args)
    ensure_current(settings.db_url, create=create)
    return context_for(settings)


def acting_user(ctx, username: str | None):
    from coordinator_tui.services.staff.actors import actor_for

    return actor_for(ctx, username or ctx.settings.user or login_name())


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
