"""HL7 v2 SIU: S12 book, S13 move, S14 modify, S15 cancel, S17 delete (kept, as cancelled),
S26 no-show, applied inside the caller's transaction with the schedule desk's rules: the slot
re-checked (hours, blocks, already taken), the patient's clash elsewhere, the status machine,
the no-show follow-up callback."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from coordinator_tui.domain.vocab import AppointmentStatus, CallbackReason, CancelledBy
from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import Hl7Message
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange.hl7_patients import (
    find_patient,
    patient_identifier,
    upsert_patient,
)
from coordinator_tui.services.exchange.links import find_local, link
from coordinator_tui.services.exchange.refusal import Refused
from coordinator_tui.services.referrals.booking_check import authorise_visit, carry_visit
from coordinator_tui.services.schedule.booking import _check_slot, _same_time_elsewhere
from coordinator_tui.services.status_events import record_status_event
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Patient,
    Provider,
)

_TS = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?")


def instant(text: str, tz) -> datetime | None:
    """An HL7 DTM: YYYYMMDD[HH[MM[SS[.S]]]][+/-ZZZZ]; without an offset, clinic time."""
    match = _TS.fullmatch(text.strip())
    if not match:
        return None
    y, mo, d, h, mi, s, offset = match.groups()
    try:
        value = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
        return (value - delta).replace(tzinfo=ZoneInfo("UTC"))
    return value.replace(tzinfo=tz)


def appointment_identifier(message: Hl7Message) -> str:
    """The EHR's id of the appointment: SCH-2 (filler), else SCH-1 (placer)."""
    return (message.get("SCH", 2, 1) or message.get("SCH", 1, 1))[:64]


def _start(message: Hl7Message, tz) -> datetime:
    for segment, field, component in (("TQ1", 7, 1), ("SCH", 11, 4), ("AIS", 4, 1),
                                      ("AIP", 6, 1), ("AIL", 6, 1), ("AIG", 8, 1)):
        text = message.get(segment, field, component)
        if text:
            value = instant(text, tz)
            if value is None:
                raise Refused(f"{segment}-{field} start time {text[:20]!r} is not a date and time")
            return value
    raise Refused("no start time (TQ1-7, SCH-11.4 or AIS-4)")


def _provider(session, message: Hl7Message) -> Provider:
    for segment, field in (("AIP", 3), ("AIG", 3), ("PV1", 7)):
        code = message.get(segment, field, 1)
        if not code:
            continue
        provider = session.scalar(select(Provider).where(or_(
            Provider.npi == code[:10], func.upper(Provider.short_name) == code.upper()[:16])))
        if provider is None:
            raise Refused(f"provider {code[:20]!r} ({segment}-{field}) is not one of ours")
        if not provider.active:
            raise Refused(f"provider {provider.short_name} is not seeing patients")
        return provider
    raise Refused("no provider (AIP-3, AIG-3 or PV1-7)")


def _kind(session, message: Hl7Message) -> AppointmentType:
    tried = []
    for segment, field in (("AIS", 3), ("SCH", 8), ("SCH", 7)):
        code = message.get(segment, field, 1)
        if code:
            tried.append(code[:12])
            kind = session.scalar(select(AppointmentType).where(
                func.upper(AppointmentType.code) == code.upper()[:12],
                AppointmentType.active.is_(True)))
            if kind is not None:
                return kind
    raise Refused(f"appointment type {', '.join(tried) or '(none)'} (AIS-3, SCH-8) is not one of ours")


def _patient(session, ctx, actor, message: Hl7Message, now: datetime) -> Patient:
    patient = find_patient(session, message.sender, patient_identifier(message))
    if patient is None:  # a booking for someone new: register them first, as the desk would
        patient, _ = upsert_patient(session, ctx, actor, message, now)
    if patient.merged_into_id is not None:
        raise Refused(f"{patient.mrn} was merged into another record")
    return patient


def _existing(session, message: Hl7Message) -> Appointment:
    external = appointment_identifier(message)
    local = find_local(session, message.sender, "appointment", external) if external else None
    appointment = session.get(Appointment, local) if local is not None else None
    if appointment is None:
        raise Refused(f"appointment {external[:20] or '(no SCH-1/2)'} is not one we know")
    return appointment


def book_in(session, ctx: AppContext, actor: Actor, now: datetime, *, patient: Patient,
            starts_at: datetime, provider: Provider, kind: AppointmentType, reason: str | None,
            via: str, moved_from: int | None = None) -> Appointment:
    """A booking inside the caller's transaction with the schedule desk's checks (Refused when
    the slot is outside hours, blocked or taken, the patient is booked elsewhere then, or the type
    needs an authorisation the patient has no valid one for); counted on its authorisation."""
    ends_at = starts_at + timedelta(minutes=kind.default_minutes)
    if starts_at < now - timedelta(minutes=kind.default_minutes):
        raise Refused("that time has already passed")
    try:
        location_id, _ = _check_slot(session, ctx, actor, provider, kind, starts_at, ends_at,
                                     overbook=False, exclude_id=moved_from)
    except UserError as exc:
        raise Refused(str(exc)) from None
    clash = _same_time_elsewhere(session, ctx, patient.id, starts_at, ends_at, moved_from)
    if clash:
        raise Refused(clash)
    appointment = Appointment(
        patient_id=patient.id, provider_id=provider.id, appointment_type_id=kind.id,
        location_id=location_id, starts_at=starts_at, ends_at=ends_at,
        status=AppointmentStatus.SCHEDULED.value, reason=reason[:300] if reason else None,
        rescheduled_from_id=moved_from, created_at=now, created_by_id=actor.id)
    session.add(appointment)
    session.flush()
    try:  # counted on its authorisation as a desk booking is (a move keeps it), or refused
        cover = carry_visit(session, ctx, actor, moved_from, appointment) if moved_from \
            else authorise_visit(session, ctx, actor, appointment)
    except UserError as exc:
        raise Refused(str(exc)) from None
    record_status_event(
        session, appointment_id=appointment.id, from_status=None, to_status=AppointmentStatus.SCHEDULED.value,
        at=now, by_id=actor.id,
        reason=f"rescheduled from {moved_from}" if moved_from else f"booked by {via}")
    action = "appointment.reschedule" if moved_from else "appointment.book"
    audit.record(session, actor, action, now, patient_id=patient.id, entity="appointment",
                 entity_id=appointment.id,
                 detail={"provider_id": provider.id, "type": kind.code,
                         "starts_at": starts_at.isoformat(), "via": via,
                         "from_appointment": moved_from, **cover.audit_detail})
    return appointment


def _new_booking(session, ctx: AppContext, actor: Actor, message: Hl7Message, now: datetime, *,
                 patient: Patient, starts_at: datetime, provider: Provider, kind: AppointmentType,
                 moved_from: int | None = None) -> Appointment:
    reason = message.get("SCH", 7, 2) or message.get("SCH", 7, 1) or None
    appointment = book_in(session, ctx, actor, now, patient=patient, starts_at=starts_at,
                          provider=provider, kind=kind, reason=reason, via=message.message_type,
                          moved_from=moved_from)
    external = appointment_identifier(message)
    if external:
        link(session, message.sender, "appointment", external, appointment.id)
    return appointment


def _status(session, actor, appointment: Appointment, to: AppointmentStatus, now: datetime,
            reason: str, extra: dict | None = None) -> None:
    try:
        apply_status_change(session, actor, appointment.id, to, at=now, reason=reason, extra=extra)
    except UserError as exc:
        raise Refused(str(exc)) from None


def apply_siu(session, ctx: AppContext, actor: Actor, message: Hl7Message,
              now: datetime) -> tuple[int, str]:
    """One SIU message; returns (patient id, note for the ACK)."""
    event = message.message_type.split("^")[1]
    tz = ctx.settings.tz
    if event == "S12":
        if find_local(session, message.sender, "appointment", appointment_identifier(message)):
            raise Refused(f"appointment {appointment_identifier(message)} is already booked here")
        patient = _patient(session, ctx, actor, message, now)
        made = _new_booking(session, ctx, actor, message, now, patient=patient,
                            starts_at=_start(message, tz), provider=_provider(session, message),
                            kind=_kind(session, message))
        return patient.id, f"booked as appointment {made.id}"
    old = _existing(session, message)
    if event in ("S13", "S14"):
        starts_at = _start(message, tz)
        provider = _provider(session, message)
        if starts_at == old.starts_at and provider.id == old.provider_id:
            reason = message.get("SCH", 7, 2) or message.get("SCH", 7, 1)
            if reason and reason[:300] != old.reason:
                old.reason = reason[:300]
                session.flush()
            return old.patient_id, "nothing to move"
        if old.status not in (AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value):
            raise Refused(f"only a booked or confirmed appointment can be moved; this one is "
                          f"{AppointmentStatus(old.status).words}")
        why = message.get("SCH", 6, 2) or message.get("SCH", 6, 1) or "moved in the EHR"
        _status(session, actor, old, AppointmentStatus.CANCELLED, now, f"rescheduled: {why}",
                {"cancel_reason": f"Rescheduled: {why}"[:300], "cancelled_by": CancelledBy.CLINIC.value})
        kind = session.get(AppointmentType, old.appointment_type_id)
        patient = session.get(Patient, old.patient_id)
        made = _new_booking(session, ctx, actor, message, now, patient=patient, starts_at=starts_at,
                            provider=provider, kind=kind, moved_from=old.id)
        return old.patient_id, f"moved to appointment {made.id}"
    if event in ("S15", "S17"):
        if old.status == AppointmentStatus.CANCELLED.value:
            return old.patient_id, "already cancelled"
        why = message.get("SCH", 6, 2) or message.get("SCH", 6, 1) or (
            "cancelled in the EHR" if event == "S15" else "deleted in the EHR")
        _status(session, actor, old, AppointmentStatus.CANCELLED, now, why[:300],
                {"cancel_reason": why[:300], "cancelled_by": CancelledBy.CLINIC.value})
        return old.patient_id, ""
    # S26: a no-show, as the desk marks one: not before its time, and a follow-up callback.
    if old.starts_at > now:
        raise Refused("cannot mark a no-show before the appointment's time")
    _status(session, actor, old, AppointmentStatus.NO_SHOW, now, "did not come (EHR)")
    ensure_open_callback(session, actor, patient_id=old.patient_id, reason=CallbackReason.NO_SHOW,
                         at=now, due_at=now + timedelta(hours=4), appointment_id=old.id,
                         note="No-show: call and rebook")
    return old.patient_id, ""
