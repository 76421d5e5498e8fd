"""Time is injected, never read from the wall inside the logic, so tests can freeze it.

`clock_from_environment()` is what a process starts with: the wall clock, unless
`COORDINATOR_CLOCK` names the instant the process should believe it started at (ISO 8601 with
an offset, e.g. `2026-11-23T10:45-05:00`). From there that clock runs forward at the wall's
pace, so a command, the installed app in a real terminal, or the demo behaves exactly as it
would at that moment, whatever the date and hour on the machine running it.
"""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

CLOCK_VARIABLE = "COORDINATOR_CLOCK"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests and benchmarks: stands still until told to move."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


class StartedAtClock:
    """Starts at a chosen instant and runs forward with the wall (monotonic, so a change of the
    machine's clock does not jump it)."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("StartedAtClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._started)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (`Z` or `+hh:mm`); ValueError otherwise."""
    at = datetime.fromisoformat(text.strip())
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (add Z or -05:00)")
    return at


def clock_from_environment(environ=os.environ) -> Clock:
    """The process's clock. One instance per setting, so every context in a process agrees."""
    return _clock_for(environ.get(CLOCK_VARIABLE, "").strip())


@functools.cache
def _clock_for(text: str) -> Clock:
    if not text:
        return SystemClock()
    try:
        return StartedAtClock(parse_instant(text))
    except ValueError as error:
        from coordinator_tui.errors import UserError

        raise UserError(f"{CLOCK_VARIABLE}: {error}") from None
