"""Booking and changing appointments: find free slots, book, reschedule, cancel, no-show, block
time, and the wait list.

Every write re-checks the slot inside its BEGIN IMMEDIATE transaction, so two desks (or two
processes) booking the same slot at the same moment cannot both succeed: the second one waits
for the first to commit, then sees its appointment and is refused with a clear message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.appointment_flow import is_active
from coordinator_tui.domain.hours import PARTS_OF_DAY
from coordinator_tui.domain.slots import day_bounds_utc, free_slots, slot_starts
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    AvailabilityExceptionKind,
    CallbackReason,
    CancelledBy,
    Role,
)
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import (
    Appointment,
    AppointmentStatusEvent,
    AppointmentType,
    AvailabilityException,
    AvailabilityTemplate,
    AvailabilityTemplateType,
    Callback,
    Patient,
    Provider,
    WaitlistEntry,
)

NOON = time(12)
SEARCH_DAYS = 90  # how far ahead find_free_slots looks
MAX_TEXT = 300
_ACTIVE = [s.value for s in AppointmentStatus if is_active(s)]


# --- permissions ----------------------------------------------------------------------------------


def may_overbook(actor: Actor) -> bool:
    """May this user overbook beyond a provider's daily limit? (Supervisors and admins.)

    Kept in one function so the general permission module can replace it."""
    return actor.role in (Role.SUPERVISOR, Role.ADMIN)


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSlot:
    provider_id: int
    provider: str
    starts_at: datetime
    ends_at: datetime
    location_id: int


@dataclass(frozen=True)
class BookingResult:
    """`appointment_id` is None when nothing was booked because `warning` needs confirming."""

    appointment_id: int | None
    starts_at: datetime
    ends_at: datetime
    provider: str
    is_overbook: bool
    warning: str | None = None


@dataclass(frozen=True)
class AffectedAppointment:
    id: int
    patient_id: int
    mrn: str
    provider: str
    starts_at: datetime


@dataclass(frozen=True)
class BlockResult:
    exception_id: int
    affected: tuple[AffectedAppointment, ...]
    callbacks_created: int


@dataclass(frozen=True)
class WaitlistRow:
    id: int
    patient_id: int
    mrn: str
    patient_name: str
    type_code: str
    provider: str | None
    earliest: date
    latest: date | None
    part_of_day: str
    note: str | None


@dataclass(frozen=True)
class PatientChoice:
    id: int
    mrn: str
    name: str
    birth_date: date


# --- input checks ---------------------------------------------------------------------------------


def clean_text(value: str | None, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """Strip, refuse control characters and overlong text; None for empty (or an error if required)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError(f"{what} must be text")
    value = value.strip()
    if not value:
        if required:
            raise UserError(f"enter {what}")
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise UserError(f"{what} contains control characters")
    if len(value) > limit:
        raise UserError(f"{what} is too long (at most {limit} characters)")
    return value


def _aware(instant: datetime, what: str = "the time") -> datetime:
    if not isinstance(instant, datetime):
        raise UserError(f"{what} must be a date and time")
    if instant.tzinfo is None:
        raise UserError(f"{what} has no time zone")
    return instant


def _type_by_code(session: Session, code: str) -> AppointmentType:
    if not isinstance(code, str) or not code.strip():
        raise UserError("choose an appointment type")
    kind = session.scalar(select(AppointmentType).where(
        AppointmentType.code == code.strip().upper(), AppointmentType.active.is_(True)))
    if kind is None:
        raise UserError(f"there is no appointment type {code.strip()[:12]!r}")
    return kind


def _provider(session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id) if isinstance(provider_id, int) else None
    if provider is None or not provider.active:
        raise UserError(f"provider {provider_id} does not exist or is not seeing patients")
    return provider


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id) if isinstance(patient_id, int) else None
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    if patient.merged_into_id is not None:
        raise UserError(f"patient {patient.mrn} was merged into another record; book the surviving record")
    return patient


# --- availability ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Offer:
    starts: tuple[datetime, ...]
    slot_minutes: int
    location_id: int
    type_ids: frozenset[int]  # empty = all types


def _templates(session: Session, provider_ids: Iterable[int], day: date):
    ids = list(provider_ids)
    rows = session.execute(
        select(AvailabilityTemplate).where(
            AvailabilityTemplate.provider_id.in_(ids), AvailabilityTemplate.weekday == day.weekday(),
            AvailabilityTemplate.valid_from <= day,
            (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= day))
    ).scalars().all()
    types: dict[int, set[int]] = {}
    if rows:
        for template_id, type_id in session.execute(
                select(AvailabilityTemplateType.template_id, AvailabilityTemplateType.appointment_type_id)
                .where(AvailabilityTemplateType.template_id.in_([t.id for t in rows]))):
            types.setdefault(template_id, set()).add(type_id)
    return {pid: [t for t in rows if t.provider_id == pid] for pid in ids}, types


def offers_for_day(session: Session, tz, provider_ids: Iterable[int], day: date) -> dict[int, list[_Offer]]:
    """Each provider's offered slot starts on `day` (UTC instants), per template."""
    found, types = _templates(session, provider_ids, day)
    result: dict[int, list[_Offer]] = {}
    for pid, templates in found.items():
        offers = []
        for t in templates:
            start = time(t.start_minute // 60, t.start_minute % 60)
            end = time(0) if t.end_minute == 1440 else time(t.end_minute // 60, t.end_minute % 60)
            offers.append(_Offer(tuple(slot_starts(day, tz, start, end, t.slot_minutes)),
                                 t.slot_minutes, t.location_id, frozenset(types.get(t.id, ()))))
        result[pid] = offers
    return result


def blocked_intervals(session: Session, provider_ids: Iterable[int], start: datetime,
                      end: datetime) -> dict[int | None, list[tuple[datetime, datetime, str, str | None]]]:
    """Exceptions touching [start, end): per provider id, and None for the whole clinic."""
    ids = list(provider_ids)
    rows = session.execute(
        select(AvailabilityException.provider_id, AvailabilityException.starts_at,
               AvailabilityException.ends_at, AvailabilityException.kind, AvailabilityException.reason)
        .where(AvailabilityException.starts_at < end, AvailabilityException.ends_at > start,
               (AvailabilityException.provider_id.is_(None)) | (AvailabilityException.provider_id.in_(ids)))
    ).all()
    result: dict[int | None, list] = {}
    for pid, s, e, kind, reason in rows:
        result.setdefault(pid, []).append((s, e, kind, reason))
    return result


def booked_intervals(session: Session, provider_ids: Iterable[int], start: datetime, end: datetime,
                     *, exclude_id: int | None = None) -> dict[int, list[tuple[datetime, datetime]]]:
    """Active appointments touching [start, end), per provider."""
    stmt = (select(Appointment.provider_id, Appointment.starts_at, Appointment.ends_at)
            .where(Appointment.provider_id.in_(list(provider_ids)), Appointment.starts_at < end,
                   Appointment.ends_at > start, Appointment.status.in_(_ACTIVE)))
    if exclude_id is not None:
        stmt = stmt.where(Appointment.id != exclude_id)
    result: dict[int, list] = {}
    for pid, s, e in session.execute(stmt):
        result.setdefault(pid, []).append((s, e))
    return result


def _part_ok(instant: datetime, tz, part: str) -> bool:
    if part == "any":
        return True
    morning = instant.astimezone(tz).time() < NOON
    return morning if part == "am" else not morning


def _free_on_day(session: Session, ctx: AppContext, providers: list[Provider], kind: AppointmentType,
                 day: date, part: str, not_before: datetime) -> list[FreeSlot]:
    tz = ctx.settings.tz
    ids = [p.id for p in providers]
    day_start, day_end = day_bounds_utc(day, tz)
    offers = offers_for_day(session, tz, ids, day)
    # Look a little past the day's end: a late appointment may run on.
    blocks = blocked_intervals(session, ids, day_start, day_end + timedelta(hours=8))
    booked = booked_intervals(session, ids, day_start, day_end + timedelta(hours=8))
    clinic_blocks = [(s, e) for s, e, _k, _r in blocks.get(None, [])]
    found = []
    for provider in providers:
        busy = booked.get(provider.id, []) + clinic_blocks + [
            (s, e) for s, e, _k, _r in blocks.get(provider.id, [])]
        for offer in offers.get(provider.id, []):
            if offer.type_ids and kind.id not in offer.type_ids:
                continue
            for start in free_slots(offer.starts, offer.slot_minutes, busy, kind.default_minutes):
                if start < not_before or not _part_ok(start, tz, part):
                    continue
                found.append(FreeSlot(provider.id, provider.short_name, start,
                                      start + timedelta(minutes=kind.default_minutes), offer.location_id))
    found.sort(key=lambda s: (s.starts_at, s.provider))
    return found


def find_free_slots(ctx: AppContext, actor: Actor, *, provider_id: int | None, type_code: str,
                    after: date, part_of_day: str = "any", limit: int = 10) -> list[FreeSlot]:
    """The first free slots on or after `after` (and never in the past) where an appointment of
    this type fits: templates minus exceptions minus booked appointments. Any provider when
    `provider_id` is None."""
    if part_of_day not in PARTS_OF_DAY:
        raise UserError("part of day must be any, am or pm")
    if not isinstance(after, date):
        raise UserError("give the first day to search from")
    if not isinstance(limit, int) or not 1 <= limit <= 500:
        raise UserError("ask for between 1 and 500 slots")
    now = ctx.now()
    with ctx.db.read() as session:
        kind = _type_by_code(session, type_code)
        if provider_id is None:
            providers = list(session.scalars(select(Provider).where(Provider.active.is_(True))
                                             .order_by(Provider.short_name)))
        else:
            providers = [_provider(session, provider_id)]
        result: list[FreeSlot] = []
        day = max(after, ctx.today())
        for _ in range(SEARCH_DAYS):
            result += _free_on_day(session, ctx, providers, kind, day, part_of_day, now)
            if len(result) >= limit:
                break
            day += timedelta(days=1)
    return result[:limit]


# --- booking --------------------------------------------------------------------------------------


def _check_slot(session: Session, ctx: AppContext, actor: Actor, provider: Provider, kind: AppointmentType,
                starts_at: datetime, ends_at: datetime, *, overbook: bool,
                exclude_id: int | None = None) -> tuple[int, bool]:
    """Inside the write transaction: is [starts_at, ends_at) bookable for this provider?
    Returns (location_id, is_overbook). Raises UserError / PermissionDenied when not."""
    tz = ctx.settings.tz
    local = starts_at.astimezone(tz)
    when = f"{local:%a %d %b %H:%M} with {provider.short_name}"
    day = local.date()
    offers = offers_for_day(session, tz, [provider.id], day).get(provider.id, [])
    offer = next((o for o in offers if starts_at in o.starts), None)
    if offer is None:
        raise UserError(f"{when} is not one of {provider.short_name}'s slots (outside hours)")
    if offer.type_ids and kind.id not in offer.type_ids:
        raise UserError(f"{kind.code} appointments cannot be booked at {when}")
    # The whole appointment must lie in offered, back-to-back time (ignoring bookings).
    if starts_at not in free_slots(offer.starts, offer.slot_minutes, [], kind.default_minutes):
        raise UserError(f"a {kind.default_minutes}-minute {kind.code} does not fit at {when} "
                        f"before the end of hours")
    blocks = blocked_intervals(session, [provider.id], starts_at, ends_at)
    for entries in blocks.values():
        for _s, _e, blocked_kind, _r in entries:
            raise UserError(f"{when} is blocked ({blocked_kind})")
    taken = booked_intervals(session, [provider.id], starts_at, ends_at, exclude_id=exclude_id)
    if not taken.get(provider.id):
        return offer.location_id, False
    if not overbook:
        raise UserError(f"{when} is already booked; choose another slot")
    day_start, day_end = day_bounds_utc(day, tz)
    used = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.provider_id == provider.id, Appointment.is_overbook.is_(True),
        Appointment.status.in_(_ACTIVE), Appointment.starts_at >= day_start,
        Appointment.starts_at < day_end)) or 0
    if used >= provider.overbook_daily_limit and not may_overbook(actor):
        raise PermissionDenied(f"{provider.short_name} already has {used} overbooked appointment(s) "
                               f"on {local:%a %d %b} (limit {provider.overbook_daily_limit}); "
                               f"a supervisor must approve more")
    return offer.location_id, True


def _same_time_elsewhere(session: Session, ctx: AppContext, patient_id: int, starts_at: datetime,
                         ends_at: datetime, exclude_id: int | None) -> str | None:
    stmt = (select(Appointment.starts_at, Provider.short_name)
            .join(Provider, Provider.id == Appointment.provider_id)
            .where(Appointment.patient_id == patient_id, Appointment.status.in_(_ACTIVE),
                   Appointment.starts_at < ends_at, Appointment.ends_at > starts_at))
    if exclude_id is not None:
        stmt = stmt.where(Appointment.id != exclude_id)
    row = session.execute(stmt.limit(1)).first()
    if row is None:
        return None
    return (f"this patient is already booked at {row[0].astimezone(ctx.settings.tz):%H:%M} "
            f"with {row[1]}")


def book(ctx: AppContext, actor: Actor, patient_id: int, provider_id: int, type_code: str,
         starts_at: datetime, *, desired_date: date | None = None, overbook: bool = False,
         confirm_double: bool = False, reason: str | None = None,
         close_callback_id: int | None = None) -> BookingResult:
    """Book one appointment. The type sets its length. The slot is re-checked inside the write
    transaction: taken means refused, unless `overbook` (within the provider's daily limit, or
    beyond it for a supervisor). If the patient is already booked at an overlapping time with
    anyone, nothing is booked and the result carries a warning, unless `confirm_double`.

    `close_callback_id`: the callback being worked ("reached -> book now") closes as done in the
    same transaction, so there is never a booking whose callback stayed open, or the reverse."""
    starts_at = _aware(starts_at)
    if desired_date is not None and not isinstance(desired_date, date):
        raise UserError("the desired date must be a date")
    reason = clean_text(reason, "the reason")
    at = ctx.now()
    with ctx.db.write() as session:
        patient = _patient(session, patient_id)
        provider = _provider(session, provider_id)
        kind = _type_by_code(session, type_code)
        ends_at = starts_at + timedelta(minutes=kind.default_minutes)
        if starts_at < at - timedelta(minutes=kind.default_minutes):
            raise UserError("that time has already passed")
        location_id, is_overbook = _check_slot(session, ctx, actor, provider, kind, starts_at, ends_at,
                                               overbook=overbook)
        warning = _same_time_elsewhere(session, ctx, patient.id, starts_at, ends_at, None)
        if warning and not confirm_double:
            return BookingResult(None, starts_at, ends_at, provider.short_name, is_overbook, warning)
        appointment = Appointment(
            patient_id=patient.id, provider_id=provider.id, appointment_type_id=kind.id,
            location_id=location_id, starts_at=starts_at, ends_at=ends_at, desired_date=desired_date,
            status=AppointmentStatus.SCHEDULED.value, reason=reason, is_overbook=is_overbook,
            is_walk_in=kind.code == "WALK", created_at=at, created_by_id=actor.id)
        session.add(appointment)
        session.flush()
        session.add(AppointmentStatusEvent(appointment_id=appointment.id, from_status=None,
                                           to_status=AppointmentStatus.SCHEDULED.value, at=at,
                                           by_id=actor.id, reason="booked"))
        audit.record(session, actor, "appointment.book", at, patient_id=patient.id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"provider_id": provider.id, "type": kind.code,
                             "starts_at": starts_at.isoformat(), "overbook": is_overbook,
                             "desired_date": desired_date})
        if close_callback_id is not None:
            from coordinator_tui.services.callbacks import close_as_booked

            item = session.get(Callback, close_callback_id)
            if item is not None and item.patient_id != patient.id:
                raise UserError(f"callback {close_callback_id} is for another patient")
            close_as_booked(session, ctx, actor, close_callback_id, appointment.id, at)
        return BookingResult(appointment.id, starts_at, ends_at, provider.short_name, is_overbook, warning)


def reschedule(ctx: AppContext, actor: Actor, appointment_id: int, new_starts_at: datetime, *,
               provider_id: int | None = None, reason: str, by: CancelledBy = CancelledBy.PATIENT,
               expected_version: int | None = None, overbook: bool = False) -> BookingResult:
    """Move an appointment: a new appointment linked to the old one (rescheduled_from_id), and the
    old one cancelled with the reason, in one transaction. Same patient, type and desired date."""
    new_starts_at = _aware(new_starts_at)
    reason = clean_text(reason, "the reason for moving", required=True)
    by = CancelledBy(by)
    at = ctx.now()
    with ctx.db.write() as session:
        old = session.get(Appointment, appointment_id)
        if old is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        if old.status not in (AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value):
            raise UserError(f"only a booked or confirmed appointment can be moved; this one is "
                            f"{AppointmentStatus(old.status).label}")
        provider = _provider(session, provider_id if provider_id is not None else old.provider_id)
        kind = session.get(AppointmentType, old.appointment_type_id)
        ends_at = new_starts_at + timedelta(minutes=kind.default_minutes)
        if new_starts_at < at:
            raise UserError("that time has already passed")
        if new_starts_at == old.starts_at and provider.id == old.provider_id:
            raise UserError("the appointment is already at that time")
        location_id, is_overbook = _check_slot(session, ctx, actor, provider, kind, new_starts_at,
                                               ends_at, overbook=overbook, exclude_id=old.id)
        old_id = old.id
        apply_status_change(session, actor, old_id, AppointmentStatus.CANCELLED, at=at,
                            reason=f"rescheduled: {reason}", expected_version=expected_version,
                            extra={"cancel_reason": f"Rescheduled: {reason}"[:MAX_TEXT],
                                   "cancelled_by": by.value})
        new = Appointment(
            patient_id=old.patient_id, provider_id=provider.id, appointment_type_id=kind.id,
            location_id=location_id, starts_at=new_starts_at, ends_at=ends_at,
            desired_date=old.desired_date, status=AppointmentStatus.SCHEDULED.value, reason=old.reason,
            is_overbook=is_overbook, rescheduled_from_id=old_id, created_at=at, created_by_id=actor.id)
        session.add(new)
        session.flush()
        session.add(AppointmentStatusEvent(appointment_id=new.id, from_status=None,
                                           to_status=AppointmentStatus.SCHEDULED.value, at=at,
                                           by_id=actor.id, reason=f"rescheduled from {old_id}"))
        audit.record(session, actor, "appointment.reschedule", at, patient_id=old.patient_id,
                     entity="appointment", entity_id=new.id,
                     detail={"from_appointment": old_id, "starts_at": new_starts_at.isoformat(),
                             "provider_id": provider.id, "reason": reason})
        return BookingResult(new.id, new_starts_at, ends_at, provider.short_name, is_overbook)


def cancel(ctx: AppContext, actor: Actor, appointment_id: int, *, reason: str, by: CancelledBy,
           rebook_callback: bool = False, expected_version: int | None = None) -> int | None:
    """Cancel with a reason and who asked; optionally put the patient on the callback queue to
    rebook. Returns the callback id (or None)."""
    reason = clean_text(reason, "the reason for cancelling", required=True)
    try:
        by = CancelledBy(by)
    except ValueError:
        raise UserError("say whether the patient or the clinic cancelled") from None
    at = ctx.now()
    with ctx.db.write() as session:
        apply_status_change(session, actor, appointment_id, AppointmentStatus.CANCELLED, at=at,
                            reason=reason, expected_version=expected_version,
                            extra={"cancel_reason": reason, "cancelled_by": by.value})
        if not rebook_callback:
            return None
        appointment = session.get(Appointment, appointment_id)
        item, _ = ensure_open_callback(session, actor, patient_id=appointment.patient_id,
                                       reason=CallbackReason.REBOOK, at=at, due_at=at + timedelta(days=1),
                                       appointment_id=appointment_id, note="Cancelled: rebook")
        return item.id


def no_show(ctx: AppContext, actor: Actor, appointment_id: int, *,
            expected_version: int | None = None) -> int:
    """Mark a no-show and open a no-show follow-up callback (one transaction). Returns its id."""
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is not None and appointment.starts_at > at:
            raise UserError("cannot mark a no-show before the appointment's time")
        apply_status_change(session, actor, appointment_id, AppointmentStatus.NO_SHOW, at=at,
                            reason="did not come", expected_version=expected_version)
        appointment = session.get(Appointment, appointment_id)
        item, _ = ensure_open_callback(session, actor, patient_id=appointment.patient_id,
                                       reason=CallbackReason.NO_SHOW, at=at, due_at=at + timedelta(hours=4),
                                       appointment_id=appointment_id, note="No-show: call and rebook")
        return item.id


# --- blocking time --------------------------------------------------------------------------------


def appointments_in_block(session: Session, provider_id: int | None, starts_at: datetime,
                          ends_at: datetime) -> tuple[AffectedAppointment, ...]:
    """Scheduled or confirmed appointments overlapping [starts_at, ends_at): the ones blocking that
    time would leave to rebook. One provider's, or every provider's when `provider_id` is None."""
    stmt = (select(Appointment.id, Appointment.patient_id, Patient.mrn, Provider.short_name,
                   Appointment.starts_at)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(Provider, Provider.id == Appointment.provider_id)
            .where(Appointment.starts_at < ends_at, Appointment.ends_at > starts_at,
                   Appointment.status.in_([AppointmentStatus.SCHEDULED.value,
                                           AppointmentStatus.CONFIRMED.value]))
            .order_by(Appointment.starts_at, Provider.short_name, Appointment.id))
    if provider_id is not None:
        stmt = stmt.where(Appointment.provider_id == provider_id)
    return tuple(AffectedAppointment(*row) for row in session.execute(stmt))


def block_time(ctx: AppContext, actor: Actor, *, provider_id: int | None, starts_at: datetime,
               ends_at: datetime, kind: AvailabilityExceptionKind = AvailabilityExceptionKind.BLOCK,
               reason: str | None = None) -> BlockResult:
    """Vacation, a half-day block or a clinic holiday (provider_id None). Appointments already
    booked in that time are listed and each patient gets a callback to rebook; the appointments
    stay on the book until the desk moves or cancels them."""
    starts_at, ends_at = _aware(starts_at, "the start"), _aware(ends_at, "the end")
    if ends_at <= starts_at:
        raise UserError("the end of the blocked time must be after its start")
    if ends_at - starts_at > timedelta(days=366):
        raise UserError("block at most a year at a time")
    try:
        kind = AvailabilityExceptionKind(kind)
    except ValueError:
        raise UserError("the kind must be vacation, block or holiday") from None
    reason = clean_text(reason, "the reason", limit=200)
    at = ctx.now()
    with ctx.db.write() as session:
        if provider_id is not None:
            _provider(session, provider_id)
        exception = AvailabilityException(provider_id=provider_id, kind=kind.value, starts_at=starts_at,
                                          ends_at=ends_at, reason=reason, created_by_id=actor.id,
                                          created_at=at)
        session.add(exception)
        session.flush()
        affected = appointments_in_block(session, provider_id, starts_at, ends_at)
        created = 0
        for item in affected:
            _cb, new = ensure_open_callback(session, actor, patient_id=item.patient_id,
                                            reason=CallbackReason.REBOOK, at=at, due_at=at + timedelta(hours=4),
                                            appointment_id=item.id, note=f"Time blocked ({kind.value}): rebook")
            created += new
        audit.record(session, actor, "availability.block", at, entity="availability_exception",
                     entity_id=exception.id,
                     detail={"provider_id": provider_id, "kind": kind.value, "affected": len(affected)})
        return BlockResult(exception.id, affected, created)


# --- wait list ------------------------------------------------------------------------------------


def add_to_waitlist(ctx: AppContext, actor: Actor, patient_id: int, type_code: str, *, earliest: date,
                    latest: date | None = None, provider_id: int | None = None, part_of_day: str = "any",
                    note: str | None = None, current_appointment_id: int | None = None) -> int:
    if part_of_day not in PARTS_OF_DAY:
        raise UserError("part of day must be any, am or pm")
    if not isinstance(earliest, date) or (latest is not None and not isinstance(latest, date)):
        raise UserError("give the wait-list window as dates")
    if latest is not None and latest < earliest:
        raise UserError("the latest date is before the earliest")
    note = clean_text(note, "the note")
    at = ctx.now()
    with ctx.db.write() as session:
        patient = _patient(session, patient_id)
        kind = _type_by_code(session, type_code)
        if provider_id is not None:
            _provider(session, provider_id)
        entry = WaitlistEntry(patient_id=patient.id, provider_id=provider_id, appointment_type_id=kind.id,
                              current_appointment_id=current_appointment_id, earliest=earliest,
                              latest=latest, part_of_day=part_of_day, note=note, active=True,
                              created_at=at, created_by_id=actor.id)
        session.add(entry)
        session.flush()
        audit.record(session, actor, "waitlist.add", at, patient_id=patient.id, entity="waitlist_entry",
                     entity_id=entry.id)
        return entry.id


def _waitlist_stmt():
    return (select(WaitlistEntry.id, Patient.id, Patient.mrn, Patient.family_name, Patient.given_name,
                   AppointmentType.code, Provider.short_name, WaitlistEntry.earliest, WaitlistEntry.latest,
                   WaitlistEntry.part_of_day, WaitlistEntry.note, AppointmentType.default_minutes,
                   WaitlistEntry.provider_id)
            .join(Patient, Patient.id == WaitlistEntry.patient_id)
            .join(AppointmentType, AppointmentType.id == WaitlistEntry.appointment_type_id)
            .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
            .where(WaitlistEntry.active.is_(True))
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id))


def _row(r) -> WaitlistRow:
    return WaitlistRow(r[0], r[1], r[2], f"{r[3]}, {r[4]}", r[5], r[6], r[7], r[8], r[9], r[10])


def waitlist(ctx: AppContext, actor: Actor, limit: int = 200) -> list[WaitlistRow]:
    with ctx.db.read() as session:
        return [_row(r) for r in session.execute(_waitlist_stmt().limit(limit))]


def fits_for_slot(ctx: AppContext, actor: Actor, provider_id: int, starts_at: datetime) -> list[WaitlistRow]:
    """Wait-listed patients who fit a free slot: their window holds the day, the part of day
    matches, the provider is theirs (or any), and their type's length is free from `starts_at`."""
    starts_at = _aware(starts_at)
    tz = ctx.settings.tz
    day = starts_at.astimezone(tz).date()
    with ctx.db.read() as session:
        provider = _provider(session, provider_id)
        rows = session.execute(_waitlist_stmt().where(
            WaitlistEntry.earliest <= day,
            (WaitlistEntry.latest.is_(None)) | (WaitlistEntry.latest >= day),
            (WaitlistEntry.provider_id.is_(None)) | (WaitlistEntry.provider_id == provider.id))).all()
        if not rows:
            return []
        offers = offers_for_day(session, tz, [provider.id], day).get(provider.id, [])
        day_start, day_end = day_bounds_utc(day, tz)
        busy = booked_intervals(session, [provider.id], day_start, day_end + timedelta(hours=8)).get(provider.id, [])
        busy += [(s, e) for entries in blocked_intervals(session, [provider.id], day_start,
                                                          day_end + timedelta(hours=8)).values()
                 for s, e, _k, _r in entries]
        fits = []
        for r in rows:
            if not _part_ok(starts_at, tz, r[9]):
                continue
            length = r[11]
            if any(starts_at in free_slots(o.starts, o.slot_minutes, busy, length) for o in offers):
                fits.append(_row(r))
        return fits


# --- booking for one patient ---------------------------------------------------------------------


@dataclass(frozen=True)
class TypeChoice:
    code: str
    name: str
    minutes: int


@dataclass(frozen=True)
class BookingOptions:
    """What the "book for this patient" screen needs: who, which types, which providers."""

    patient: PatientChoice
    types: tuple[TypeChoice, ...]
    providers: tuple[tuple[int, str], ...]  # (id, short name)


def booking_options(ctx: AppContext, actor: Actor, patient_id: int) -> BookingOptions:
    with ctx.db.read() as session:
        patient = _patient(session, patient_id)
        types = tuple(TypeChoice(t.code, t.name, t.default_minutes) for t in session.scalars(
            select(AppointmentType).where(AppointmentType.active.is_(True), AppointmentType.code != "WALK")
            .order_by(AppointmentType.id)))
        providers = tuple(session.execute(select(Provider.id, Provider.short_name)
                                          .where(Provider.active.is_(True)).order_by(Provider.short_name)).all())
        return BookingOptions(PatientChoice(patient.id, patient.mrn,
                                            f"{patient.family_name}, {patient.given_name}", patient.birth_date),
                              types, tuple((pid, name) for pid, name in providers))


# --- patient pick for booking ---------------------------------------------------------------------


def pick_patients(ctx: AppContext, actor: Actor, text: str, limit: int = 8) -> list[PatientChoice]:
    """A small lookup for the booking form: an exact MRN, or a family-name prefix
    ("smi" or "smi,jo" for family, given)."""
    from coordinator_tui.domain.names import name_key

    text = clean_text(text, "an MRN or a name", required=True, limit=100)
    with ctx.db.read() as session:
        base = select(Patient.id, Patient.mrn, Patient.family_name, Patient.given_name,
                      Patient.birth_date).where(Patient.merged_into_id.is_(None))
        rows = session.execute(base.where(Patient.mrn == text.upper())).all()
        if not rows:
            family, _, given = text.partition(",")
            fkey, gkey = name_key(family), name_key(given)
            if not fkey:
                return []
            stmt = base.where(Patient.family_key >= fkey, Patient.family_key < fkey + "\uffff")
            if gkey:
                stmt = stmt.where(Patient.given_key >= gkey, Patient.given_key < gkey + "\uffff")
            rows = session.execute(stmt.order_by(Patient.family_key, Patient.given_key).limit(limit)).all()
    return [PatientChoice(r[0], r[1], f"{r[2]}, {r[3]}", r[4]) for r in rows]
