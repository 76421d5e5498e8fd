"""The version the user saw (issue #22, point 3): every update of a patient, appointment,
callback, coverage or referral that a person asked for carries the `version_id` of the row as
their screen showed it. When another desk saved the row since, nothing is saved and the desk is
told who and when, then shows the row again ("changed by ... ; reloaded"), never a silent
overwrite. `None` means no person saw the row (a scheduled job, a script)."""

from __future__ import annotations

from datetime import datetime

from coordinator_tui.errors import ConflictError


def check_version(row, expected: int | None, *, who: str | None = None,
                  when: datetime | None = None, what: str = "this record",
                  nothing: str = "nothing was saved") -> None:
    """Raise ConflictError unless `row.version_id` is still `expected` (the caller's screen)."""
    if expected is None or row.version_id == expected:
        return
    by = f" by {who}" if who else " at another desk"
    at = f" at {when:%H:%M}" if when is not None else ""
    raise ConflictError(f"{what} was changed{by}{at} since you opened it; {nothing}; reloaded")
