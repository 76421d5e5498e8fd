"""A provider's availability as the Availability screen shows it (the weekly template in force,
the next change per weekday, the exceptions ahead), and exceptions typed as days: a vacation over
a range of whole days, a half-day block, a clinic holiday for every provider.

Blocking goes through `booking.block_time` (one transaction: the exception, a rebook callback per
appointment already booked in that time, the audit event); `preview_block` lists those
appointments first so the desk can confirm knowing who must be phoned. Weekly hours are changed
with `weekly_hours.set_weekly_hours`, which calls back the patients booked in hours that go away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AvailabilityExceptionKind as Kind
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.schedule.blocks import (
    AffectedAppointment,
    BlockResult,
    appointments_in_block,
    block_time,
)
from coordinator_tui.services.schedule.free_slots import active_provider
from coordinator_tui.store.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityTemplate,
    Location,
    Provider,
)

EXCEPTION_DAYS = 60  # how far ahead the screen lists exceptions
MAX_BLOCK_DAYS = 366


@dataclass(frozen=True)
class WeekdayHours:
    weekday: int  # Monday = 0
    blocks: tuple[tuple[int, int], ...]  # (start_minute, end_minute); empty = not working
    slot_minutes: int | None
    location_id: int | None
    location: str | None
    type_codes: tuple[str, ...]  # empty = every type
    next_change: date | None  # the next day this weekday's hours change, if one is planned


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    provider_id: int | None  # None: the whole clinic
    who: str  # the provider's short name, or "ALL"
    kind: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None


@dataclass(frozen=True)
class ProviderAvailability:
    provider_id: int
    provider: str
    as_of: date
    week: tuple[WeekdayHours, ...]  # seven, Monday first
    exceptions: tuple[ExceptionRow, ...]  # ending after now, starting within EXCEPTION_DAYS
    providers: tuple[tuple[int, str], ...]  # every active provider (id, short name)
    type_codes: tuple[str, ...]  # the appointment-type vocabulary


def provider_availability(ctx: AppContext, actor: Actor, provider_id: int,
                          as_of: date | None = None) -> ProviderAvailability:
    """One provider's week in force on `as_of` (default today) and the exceptions ahead."""
    as_of = as_of or ctx.today()
    if not isinstance(as_of, date):
        raise UserError("give the day to show the week for")
    now = ctx.now()
    horizon = day_bounds_utc(ctx.today() + timedelta(days=EXCEPTION_DAYS), ctx.settings.tz)[1]
    with ctx.db.read() as session:
        provider = active_provider(session, provider_id)
        templates = session.scalars(select(AvailabilityTemplate).where(
            AvailabilityTemplate.provider_id == provider.id,
            (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= as_of))
            .order_by(AvailabilityTemplate.weekday, AvailabilityTemplate.start_minute)).all()
        locations = dict(session.execute(select(Location.id, Location.name)).all())
        week = []
        for weekday in range(7):
            mine = [t for t in templates if t.weekday == weekday]
            now_in_force = [t for t in mine if t.valid_from <= as_of]
            changes = [t.valid_from for t in mine if t.valid_from > as_of]
            changes += [t.valid_to + timedelta(days=1) for t in now_in_force if t.valid_to is not None]
            first = now_in_force[0] if now_in_force else None
            codes = sorted({k.code for t in now_in_force for k in t.allowed_types})
            week.append(WeekdayHours(
                weekday, tuple((t.start_minute, t.end_minute) for t in now_in_force),
                first.slot_minutes if first else None, first.location_id if first else None,
                locations.get(first.location_id) if first else None, tuple(codes),
                min(changes) if changes else None))
        rows = session.execute(
            select(AvailabilityException.id, AvailabilityException.provider_id, Provider.short_name,
                   AvailabilityException.kind, AvailabilityException.starts_at,
                   AvailabilityException.ends_at, AvailabilityException.reason)
            .outerjoin(Provider, Provider.id == AvailabilityException.provider_id)
            .where(AvailabilityException.ends_at > now, AvailabilityException.starts_at < horizon,
                   (AvailabilityException.provider_id.is_(None))
                   | (AvailabilityException.provider_id == provider.id))
            .order_by(AvailabilityException.starts_at, AvailabilityException.id)).all()
        exceptions = tuple(ExceptionRow(r[0], r[1], r[2] or "ALL", r[3], r[4], r[5], r[6]) for r in rows)
        providers = tuple((pid, name) for pid, name in session.execute(
            select(Provider.id, Provider.short_name).where(Provider.active.is_(True))
            .order_by(Provider.short_name)))
        codes = tuple(session.scalars(select(AppointmentType.code).where(AppointmentType.active.is_(True))
                                      .order_by(AppointmentType.id)))
        return ProviderAvailability(provider.id, provider.short_name, as_of, tuple(week), exceptions,
                                    providers, codes)


# --- exceptions typed as days ----------------------------------------------------------------------


def exception_span(ctx: AppContext, kind: Kind | str, first: date, last: date | None = None,
                   part: tuple[int, int] | None = None) -> tuple[datetime, datetime]:
    """The UTC interval an exception typed at the desk covers (clinic-local days):
    vacation / holiday: whole days `first`..`last` (last defaults to first);
    block: part of one day, `part` = (start_minute, end_minute) of `first`."""
    try:
        kind = Kind(kind)
    except ValueError:
        raise UserError("the kind must be vacation, block (part of a day) or holiday") from None
    if not isinstance(first, date) or (last is not None and not isinstance(last, date)):
        raise UserError("give the days as dates")
    if first < ctx.today():
        raise UserError(f"{first:%a %d %b %Y} is in the past; block today or later")
    tz = ctx.settings.tz
    if kind is Kind.BLOCK:
        if last is not None and last != first:
            raise UserError("a part-day block covers one day; use a vacation for several days")
        if part is None:
            raise UserError("say which part of the day: am, pm or a time range")
        start, end = part
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= 1440):
            raise UserError("the part of the day needs a start before its end, within the day")

        def instant(minute: int) -> datetime:
            day = first + timedelta(days=minute // 1440)
            minute %= 1440
            return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)

        return instant(start), instant(end)
    last = first if last is None else last
    if last < first:
        raise UserError("the last day is before the first")
    if (last - first).days + 1 > MAX_BLOCK_DAYS:
        raise UserError("block at most a year at a time")
    return day_bounds_utc(first, tz)[0], day_bounds_utc(last, tz)[1]


def _who(kind: Kind | str, provider_id: int | None) -> int | None:
    if str(kind) == Kind.HOLIDAY.value:
        return None  # a clinic holiday closes every provider
    if provider_id is None:
        raise UserError("choose the provider (only a clinic holiday covers everyone)")
    return provider_id


def preview_block(ctx: AppContext, actor: Actor, *, provider_id: int | None, kind: Kind | str,
                  first: date, last: date | None = None,
                  part: tuple[int, int] | None = None) -> tuple[AffectedAppointment, ...]:
    """The appointments blocking this time would leave to rebook (nothing is changed)."""
    starts_at, ends_at = exception_span(ctx, kind, first, last, part)
    provider_id = _who(kind, provider_id)
    with ctx.db.read() as session:
        if provider_id is not None:
            active_provider(session, provider_id)
        return appointments_in_block(session, provider_id, starts_at, ends_at)


def block_days(ctx: AppContext, actor: Actor, *, provider_id: int | None, kind: Kind | str,
               first: date, last: date | None = None, part: tuple[int, int] | None = None,
               reason: str | None = None) -> BlockResult:
    """Add the exception through `booking.block_time`: one transaction, a rebook callback for each
    appointment already booked in that time (never two for the same one), audited."""
    starts_at, ends_at = exception_span(ctx, kind, first, last, part)
    return block_time(ctx, actor, provider_id=_who(kind, provider_id), starts_at=starts_at,
                      ends_at=ends_at, kind=Kind(kind), reason=reason)


def delete_exception(ctx: AppContext, actor: Actor, exception_id: int) -> ExceptionRow:
    """Remove a current or future exception: its time is open for booking again. Past ones stay
    (they explain the history). Rebook callbacks it created are left for the desk to close."""
    if not isinstance(exception_id, int) or isinstance(exception_id, bool):
        raise UserError("choose an exception from the list")
    at = ctx.now()
    with ctx.db.write() as session:
        found = session.get(AvailabilityException, exception_id)
        if found is None:
            raise UserError(f"exception {exception_id} does not exist (another desk may have removed it)")
        if found.ends_at <= at:
            raise UserError("that exception is over; past exceptions stay on the record")
        who = session.get(Provider, found.provider_id).short_name if found.provider_id else "ALL"
        row = ExceptionRow(found.id, found.provider_id, who, found.kind, found.starts_at, found.ends_at,
                           found.reason)
        session.delete(found)
        audit.record(session, actor, "availability.unblock", at, entity="availability_exception",
                     entity_id=row.id, detail={"provider_id": row.provider_id, "kind": row.kind,
                                               "starts_at": row.starts_at, "ends_at": row.ends_at})
        return row
