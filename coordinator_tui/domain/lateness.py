"""When an expected patient counts as late: the one grace period the check-in board and the
check-in service share. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from coordinator_tui.domain.vocab import AppointmentStatus

LATE_AFTER_MINUTES = 10
LATE_AFTER = timedelta(minutes=LATE_AFTER_MINUTES)
# Only a patient still expected can be late: one who has arrived is waiting, not late.
EXPECTED = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED})


def is_late(status: AppointmentStatus, starts_at: datetime, now: datetime) -> bool:
    """Still expected, and more than the grace period past the booked time."""
    return status in EXPECTED and now - starts_at > LATE_AFTER


def late_minutes(starts_at: datetime, at: datetime) -> int:
    """Whole minutes after the start, once past the grace period (0 when not late)."""
    minutes = int((at - starts_at).total_seconds() // 60)
    return minutes if minutes > LATE_AFTER_MINUTES else 0
