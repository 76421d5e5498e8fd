"""Blocking a provider's (or the clinic's) time, listing the visits it leaves to rebook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    AvailabilityExceptionKind,
    CallbackReason,
)
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.schedule.free_slots import active_provider, aware_instant
from coordinator_tui.store.models import (
    Appointment,
    AvailabilityException,
    Patient,
    Provider,
)


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
    starts_at, ends_at = aware_instant(starts_at, "the start"), aware_instant(ends_at, "the end")
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
            active_provider(session, provider_id)
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

