"""Moving an appointment through its statuses: one transaction that checks the state machine,
detects a race with another desk, updates the row, appends the event and the audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from coordinator_tui.domain.appointment_flow import TransitionRefused, check_transition, undo_target
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.status_events import record_status_event
from coordinator_tui.store.models import Appointment, AppointmentStatusEvent, StaffUser

# Built once: every undo reads the appointment's steps inside its write transaction.
_STEPS = (select(AppointmentStatusEvent.from_status, AppointmentStatusEvent.to_status)
          .where(AppointmentStatusEvent.appointment_id == bindparam("id"))
          .order_by(AppointmentStatusEvent.id))


@dataclass(frozen=True)
class StatusChange:
    appointment_id: int
    from_status: AppointmentStatus
    to_status: AppointmentStatus
    at: datetime
    version: int


def _load(session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise UserError(f"appointment {appointment_id} does not exist")
    return appointment


def _last_change_by(session, appointment_id: int) -> str:
    row = session.execute(
        select(StaffUser.display_name, AppointmentStatusEvent.at)
        .join(StaffUser, StaffUser.id == AppointmentStatusEvent.by_id, isouter=True)
        .where(AppointmentStatusEvent.appointment_id == appointment_id)
        .order_by(AppointmentStatusEvent.id.desc()).limit(1)
    ).first()
    if row is None:
        return "another desk"
    return f"{row[0] or 'another desk'} at {row[1]:%H:%M} UTC"


def change_status(ctx: AppContext, actor: Actor, appointment_id: int, to_status: AppointmentStatus,
                  *, reason: str | None = None, expected_version: int | None = None,
                  extra: dict | None = None) -> StatusChange:
    """Apply one status change. `expected_version` is the version the desk was looking at: if
    another desk changed the appointment since, nothing is saved and ConflictError says who.

    `extra` sets further columns in the same transaction (e.g. cancel_reason, cancelled_by)."""
    at = ctx.now()
    with ctx.db.write() as session:
        return apply_status_change(session, actor, appointment_id, to_status, at=at, reason=reason,
                                   expected_version=expected_version, extra=extra)


def apply_status_change(session, actor: Actor, appointment_id: int, to_status: AppointmentStatus,
                        *, at: datetime, reason: str | None = None,
                        expected_version: int | None = None, extra: dict | None = None) -> StatusChange:
    """`change_status` inside the caller's open write transaction (so a status change and, say,
    a callback it causes are saved together or not at all)."""
    appointment = _load(session, appointment_id)
    current = refuse_status_change(session, appointment, to_status, expected_version)
    for column, value in (extra or {}).items():
        setattr(appointment, column, value)
    appointment.status = to_status.value
    record_status_event(session, appointment_id=appointment_id, from_status=current.value,
                        to_status=to_status.value, at=at, by_id=actor.id, reason=reason)
    audit.record(session, actor, "appointment.status", at, patient_id=appointment.patient_id,
                 entity="appointment", entity_id=appointment_id,
                 detail={"from": current.value, "to": to_status.value, "reason": reason})
    return StatusChange(appointment_id, current, to_status, at, appointment.version_id)


def refuse_status_change(session, appointment: Appointment, to_status: AppointmentStatus,
                         expected_version: int | None) -> AppointmentStatus:
    """The refusals of `apply_status_change`, in its order (another desk's change, then the state
    machine), from the appointment as read in the caller's write transaction; its status now.
    A caller with other refusals of its own that come later (check-in's) can ask first."""
    if expected_version is not None and appointment.version_id != expected_version:
        raise ConflictError(f"changed by {_last_change_by(session, appointment.id)}; "
                            f"your change was not saved; reloaded")
    current = AppointmentStatus(appointment.status)
    try:
        check_transition(current, to_status)
    except TransitionRefused as exc:
        raise UserError(str(exc)) from None
    return current


def undo_last_change(ctx: AppContext, actor: Actor, appointment_id: int, *, reason: str,
                     expected_version: int | None = None) -> StatusChange:
    """Undo the appointment's last status change (kept in history as an undo event)."""
    if not reason or not reason.strip():
        raise UserError("say why the change is being undone")
    at = ctx.now()
    with ctx.db.write() as session:
        return apply_undo(session, actor, appointment_id, at=at, reason=reason,
                          expected_version=expected_version)


def apply_undo(session, actor: Actor, appointment_id: int, *, at: datetime, reason: str,
               expected_version: int | None = None) -> StatusChange:
    """`undo_last_change` inside the caller's open write transaction."""
    if not reason or not reason.strip():
        raise UserError("say why the change is being undone")
    appointment = _load(session, appointment_id)
    if expected_version is not None and appointment.version_id != expected_version:
        raise ConflictError(f"changed by {_last_change_by(session, appointment_id)}; "
                            f"nothing was undone; reloaded")
    events = session.execute(_STEPS, {"id": appointment_id}).all()
    target = undo_target([(e[0], e[1]) for e in events])
    if target is None:
        raise UserError("there is no status change to undo")
    current = AppointmentStatus(appointment.status)
    try:
        check_transition(current, target, undo=True)
    except TransitionRefused as exc:
        raise UserError(str(exc)) from None
    appointment.status = target.value
    record_status_event(session, appointment_id=appointment_id, from_status=current.value,
                        to_status=target.value, at=at, by_id=actor.id,
                        reason=reason.strip()[:300], is_undo=True)
    audit.record(session, actor, "appointment.status_undo", at, patient_id=appointment.patient_id,
                 entity="appointment", entity_id=appointment_id,
                 detail={"from": current.value, "to": target.value, "reason": reason})
    return StatusChange(appointment_id, current, target, at, appointment.version_id)
