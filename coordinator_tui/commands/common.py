"""Helpers shared by the command modules: settings, context, progress bar, argument types."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

EXIT_USER_ERROR = 2


def positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def settings_from(args, **extra):
    from coordinator_tui.config import load_settings

    values = {"db_url": getattr(args, "db", None), **extra}
    return load_settings(**values)


def context_for(settings):
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database

    return AppContext(db=Database(settings.db_url), settings=settings)


def ready_context(args):
    """Settings + a current schema + a context: what most commands start with."""
    from coordinator_tui.store.migrate import ensure_current

    settings = settings_from(args)
    ensure_current(settings.db_url)
    return context_for(settings)


def acting_user(ctx, username: str | None):
    from coordinator_tui.services.staff import actor_for

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
