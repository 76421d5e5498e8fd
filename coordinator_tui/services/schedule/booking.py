"""Booking and changing appointments: find free slots, book, reschedule, cancel, no-show, block
time, and the wait list.

Every write re-checks the slot inside its BEGIN IMMEDIATE transaction, so two desks (or two
processes) booking the same slot at the same moment cannot both succeed: the second one waits
for the first to commit, then sees its appointment and is refused with a clear message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.slots import day_bounds_utc, free_slots
from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CancelledBy,
)
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.patients.lookup import MAX_LIMIT, search_patients
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.services.referrals.booking_check import authorise_visit, carry_visit
from coordinator_tui.services.schedule.free_slots import (
    ACTIVE_STATUSES,
    MAX_TEXT,
    active_provider,
    aware_instant,
    blocked_intervals,
    bookable_patient,
    booked_intervals,
    offers_for_day,
    type_by_code,
)
from coordinator_tui.services.status_events import record_status_event
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Callback,
    Provider,
)


def may_overbook(actor: Actor) -> bool:
    """May this user overbook beyond a provider's daily limit? (Permission.OVERBOOK.)"""
    return allows(actor, Permission.OVERBOOK)


@dataclass(frozen=True)
class BookingResult:
    """`appointment_id` is None when nothing was booked because `warning` needs confirming."""

    appointment_id: int | None
    starts_at: datetime
    ends_at: datetime
    provider: str
    is_overbook: bool
    warning: str | None = None
    authorisation: str | None = None  # the referral or authorisation the visit was booked on


@dataclass(frozen=True)
class PatientChoice:
    id: int
    mrn: str
    name: str
    birth_date: date


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
        Appointment.status.in_(ACTIVE_STATUSES), Appointment.starts_at >= day_start,
        Appointment.starts_at < day_end)) or 0
    if used >= provider.overbook_daily_limit and not may_overbook(actor):
        raise PermissionDenied(f"{provider.short_name} already has {used} overbooked appointment(s) "
                               f"on {local:%a %d %b} (limit {provider.overbook_daily_limit}); "
                               f"a supervisor must approve more")
    return offer.location_id, True


# Built once: every booking asks inside its write transaction.
_ELSEWHERE = (select(Appointment.starts_at, Provider.short_name)
              .join(Provider, Provider.id == Appointment.provider_id)
              .where(Appointment.patient_id == bindparam("patient_id"), Appointment.status.in_(ACTIVE_STATUSES),
                     Appointment.starts_at < bindparam("ends_at"), Appointment.ends_at > bindparam("starts_at"))
              .limit(1))
_ELSEWHERE_BUT = _ELSEWHERE.where(Appointment.id != bindparam("exclude_id"))


def _same_time_elsewhere(session: Session, ctx: AppContext, patient_id: int, starts_at: datetime,
                         ends_at: datetime, exclude_id: int | None) -> str | None:
    params = {"patient_id": patient_id, "starts_at": starts_at, "ends_at": ends_at}
    if exclude_id is not None:
        params["exclude_id"] = exclude_id
    row = session.execute(_ELSEWHERE if exclude_id is None else _ELSEWHERE_BUT, params).first()
    if row is None:
        return None
    return (f"this patient is already booked at {row[0].astimezone(ctx.settings.tz):%H:%M} "
            f"with {row[1]}")


def book(ctx: AppContext, actor: Actor, patient_id: int, provider_id: int, type_code: str,
         starts_at: datetime, *, desired_date: date | None = None, overbook: bool = False,
         confirm_double: bool = False, reason: str | None = None,
         close_callback_id: int | None = None,
         close_callback_version: int | None = None, referral_id: int | None = None,
         auth_override: str | None = None) -> BookingResult:
    """Book one appointment. The type sets its length. The slot is re-checked inside the write
    transaction: taken means refused, unless `overbook` (within the provider's daily limit, or
    beyond it for a supervisor). If the patient is already booked at an overlapping time with
    anyone, nothing is booked and the result carries a warning, unless `confirm_double`.

    `close_callback_id`: the callback being worked ("reached -> book now") closes as done in the
    same transaction, so there is never a booking whose callback stayed open, or the reverse;
    `close_callback_version` is the callback's version its work screen showed.

    `referral_id`, `auth_override`: the authorisation check (services.referrals), in this
    transaction; a type that needs an authorisation is refused without one, unless a supervisor
    gives an override reason."""
    starts_at = aware_instant(starts_at)
    if desired_date is not None and not isinstance(desired_date, date):
        raise UserError("the desired date must be a date")
    reason = clean_text(reason, "the reason", limit=MAX_TEXT)
    at = ctx.now()
    with ctx.db.write() as session:
        patient = bookable_patient(session, patient_id, row=True)
        provider = active_provider(session, provider_id, row=True)  # plain rows: read, never changed
        kind = type_by_code(session, type_code, row=True)
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
        cover = authorise_visit(session, ctx, actor, appointment, referral_id=referral_id,
                                override=auth_override, kind=kind)
        record_status_event(session, appointment_id=appointment.id, from_status=None,
                            to_status=AppointmentStatus.SCHEDULED.value, at=at,
                            by_id=actor.id, reason="booked")
        audit.record(session, actor, "appointment.book", at, patient_id=patient.id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"provider_id": provider.id, "type": kind.code,
                             "starts_at": starts_at.isoformat(), "overbook": is_overbook,
                             "desired_date": desired_date, **cover.audit_detail})
        if close_callback_id is not None:
            from coordinator_tui.services.callbacks.work import close_as_booked

            item = session.get(Callback, close_callback_id)
            if item is not None and item.patient_id != patient.id:
                raise UserError(f"callback {close_callback_id} is for another patient")
            close_as_booked(session, ctx, actor, close_callback_id, appointment.id, at,
                            expected_version=close_callback_version)
        return BookingResult(appointment.id, starts_at, ends_at, provider.short_name, is_overbook, warning,
                             cover.line)


def reschedule(ctx: AppContext, actor: Actor, appointment_id: int, new_starts_at: datetime, *,
               provider_id: int | None = None, reason: str, by: CancelledBy = CancelledBy.PATIENT,
               expected_version: int | None = None, overbook: bool = False) -> BookingResult:
    """Move an appointment: a new appointment linked to the old one (rescheduled_from_id), and the
    old one cancelled with the reason, in one transaction. Same patient, type and desired date."""
    new_starts_at = aware_instant(new_starts_at)
    reason = clean_text(reason, "the reason for moving", required=True, limit=MAX_TEXT)
    by = CancelledBy(by)
    at = ctx.now()
    with ctx.db.write() as session:
        old = session.get(Appointment, appointment_id)
        if old is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        if old.status not in (AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value):
            raise UserError(f"only a booked or confirmed appointment can be moved; this one is "
                            f"{AppointmentStatus(old.status).words}")
        provider = active_provider(session, provider_id if provider_id is not None else old.provider_id)
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
        cover = carry_visit(session, ctx, actor, old_id, new)
        record_status_event(session, appointment_id=new.id, from_status=None,
                            to_status=AppointmentStatus.SCHEDULED.value, at=at,
                            by_id=actor.id, reason=f"rescheduled from {old_id}")
        audit.record(session, actor, "appointment.reschedule", at, patient_id=old.patient_id,
                     entity="appointment", entity_id=new.id,
                     detail={"from_appointment": old_id, "starts_at": new_starts_at.isoformat(),
                             "provider_id": provider.id, "reason": reason, **cover.audit_detail})
        return BookingResult(new.id, new_starts_at, ends_at, provider.short_name, is_overbook,
                             authorisation=cover.line)


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
        patient = bookable_patient(session, patient_id)
        types = tuple(TypeChoice(t.code, t.name, t.default_minutes) for t in session.scalars(
            select(AppointmentType).where(AppointmentType.active.is_(True), AppointmentType.code != "WALK")
            .order_by(AppointmentType.id)))
        providers = tuple(session.execute(select(Provider.id, Provider.short_name)
                                          .where(Provider.active.is_(True)).order_by(Provider.short_name)).all())
        return BookingOptions(PatientChoice(patient.id, patient.mrn,
                                            f"{patient.family_name}, {patient.given_name}", patient.birth_date),
                              types, tuple((pid, name) for pid, name in providers))


def pick_patients(ctx: AppContext, actor: Actor, text: str, limit: int = 8) -> list[PatientChoice]:
    """The booking form's patient pick: the one patient search (MRN, name, birth date, phone),
    best first."""
    text = clean_text(text, "an MRN or a name", required=True, limit=100)
    hits = search_patients(ctx, actor, text, limit=min(limit, MAX_LIMIT))
    return [PatientChoice(h.id, h.mrn, h.display_name, h.birth_date) for h in hits]

