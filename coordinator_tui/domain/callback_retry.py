"""When a callback whose call just failed (no answer, busy, voicemail, wrong number) is due again.

A failed call puts the item back by the retry interval (setting `callback_retry_minutes`), so the
next item in the queue comes first instead of the one nobody answered. A retry that would land
after calling hours (CALLS_END) is due at CALLS_START the next weekday instead: "in 2 hours" at
16:00 is tomorrow morning, not 18:00; one before CALLS_START waits for it. Pure: times in, times out (aware datetimes, any zone; the
answer is in the zone of `now`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

CALLS_START = time(9)
CALLS_END = time(17)  # also when a callback due "on a day" falls due (services.callbacks.DUE_HOUR)
DEFAULT_RETRY_MINUTES = 120


def next_try(now: datetime, retry_minutes: int) -> datetime:
    """When to call again after a failed call at `now` (clinic local time, aware)."""
    if now.tzinfo is None:
        raise ValueError("now must carry its time zone")
    zone = now.tzinfo
    # Through UTC, so a daylight-saving change in between counts real minutes.
    again = (now.astimezone(UTC) + timedelta(minutes=retry_minutes)).astimezone(zone)
    if again.date() == now.date() and again.time() <= CALLS_END:
        # Never before calling hours: a failed call at 05:00 is tried again at 09:00.
        return max(again, datetime.combine(again.date(), CALLS_START, tzinfo=zone))
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return datetime.combine(day, CALLS_START, tzinfo=zone)


def when_words(at: datetime, today: date) -> str:
    """"14:45", "tomorrow 09:00", "Mon 07 Dec 09:00": when an item is due again, in words."""
    if at.date() == today:
        return f"{at:%H:%M}"
    if at.date() == today + timedelta(days=1):
        return f"tomorrow {at:%H:%M}"
    return f"{at:%a %d %b %H:%M}"
