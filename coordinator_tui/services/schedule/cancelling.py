"""Cancelling and no-shows: the status change and its callback in one transaction; the schedule's cancel also reads the wait-list fits in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CallbackReason,
    CancelledBy,
)
from coordinator_tui.errors import UserError
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.schedule.free_slots import MAX_TEXT
from coordinator_tui.services.schedule.wait_list import WaitlistRow, fits_in
from coordinator_tui.store.models import Appointment


def cancel(ctx: AppContext, actor: Actor, appointment_id: int, *, reason: str, by: CancelledBy,
           rebook_callback: bool = False, expected_version: int | None = None) -> int | None:
    """Cancel with a reason and who asked; optionally put the patient on the callback queue to
    rebook. Returns the callback id (or None)."""
    reason, by = _cancel_words(reason, by)
    at = ctx.now()
    with ctx.db.write() as session:
        return _cancel_in(session, actor, appointment_id, at=at, reason=reason, by=by,
                          rebook_callback=rebook_callback, expected_version=expected_version)


@dataclass(frozen=True)
class Cancelled:
    callback_id: int | None           # the rebook callback, when one was asked for
    fits: list[WaitlistRow]           # wait-listed patients who fit the freed slot


def cancel_and_offer(ctx: AppContext, actor: Actor, appointment_id: int, *, reason: str, by: CancelledBy,
                     rebook_callback: bool = False, expected_version: int | None = None) -> Cancelled:
    """The schedule's cancel: cancel (and the rebook callback) and, in the same transaction, the
    wait-listed patients who fit the slot it frees."""
    reason, by = _cancel_words(reason, by)
    at = ctx.now()
    with ctx.db.write() as session:
        callback_id = _cancel_in(session, actor, appointment_id, at=at, reason=reason, by=by,
                                 rebook_callback=rebook_callback, expected_version=expected_version)
        appointment = session.get(Appointment, appointment_id)
        starts = appointment.starts_at
        fits = fits_in(session, ctx, appointment.provider_id,
                        starts if starts.tzinfo else starts.replace(tzinfo=UTC))
        return Cancelled(callback_id, fits)


def _cancel_words(reason: str, by: CancelledBy) -> tuple[str, CancelledBy]:
    reason = clean_text(reason, "the reason for cancelling", required=True, limit=MAX_TEXT)
    try:
        return reason, CancelledBy(by)
    except ValueError:
        raise UserError("say whether the patient or the clinic cancelled") from None


def _cancel_in(session: Session, actor: Actor, appointment_id: int, *, at: datetime, reason: str,
               by: CancelledBy, rebook_callback: bool, expected_version: int | None) -> int | None:
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

