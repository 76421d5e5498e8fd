"""Check-in itself and its undo, decided from the checklist read in the same transaction; the status history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import (
    CHECKLIST_ITEM_WORDS,
    AppointmentStatus,
)
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.desk import charge_copay, uncharge_copay
from coordinator_tui.services.appointment_status import (
    StatusChange,
    apply_status_change,
    apply_undo,
    refuse_status_change,
)
from coordinator_tui.services.checkin.checklists import (
    S,
    aware_instant,
    decide_checklist,
    load_appointment,
)
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import (
    AppointmentStatusEvent,
    StaffUser,
)


def check_in(ctx: AppContext, actor: Actor, appointment_id: int, expected_version: int | None,
             exception_reason: str | None = None) -> StatusChange:
    """Mark the patient arrived. Refused while items are outstanding unless a reason is given
    (kept on the appointment and in its status history). The checklist is built inside the
    transaction that changes the status, so the decision is made from what is saved now; the
    change is audited (a view is audited when someone looks, not when the desk decides)."""
    reason = clean_text(exception_reason, "the reason", limit=300)
    at = ctx.now()
    with ctx.db.write() as session:
        # Held for the whole transaction: the session keeps a clean object only weakly, and
        # each later look (the status change, the copay) would read the row again.
        appointment = load_appointment(session, appointment_id)
        day = ctx.local(aware_instant(appointment.starts_at)).date()
        if day != ctx.today():
            raise UserError(f"appointment {appointment_id} is on {day:%a %d %b %Y}, not today")
        if reason is not None:
            # With a reason the checklist refuses nothing, so the status change's own refusals
            # (another desk's change, already arrived) come next: asked before its ~11 reads.
            refuse_status_change(session, appointment, S.ARRIVED, expected_version)
        current = decide_checklist(ctx, session, appointment)  # what only the screen shows: not read
        outstanding = current.outstanding
        if outstanding and reason is None:
            raise UserError("still outstanding: " + ", ".join(i.label.split(" (")[0].lower() for i in outstanding)
                            + "; give a reason to check in anyway")
        extra = {"checkin_exception_reason": reason} if outstanding else None
        event_reason = None
        if outstanding:
            event_reason = f"checked in with {', '.join(i.word for i in outstanding)} outstanding: {reason}"[:300]
        change = apply_status_change(session, actor, appointment_id, S.ARRIVED, at=at, reason=event_reason,
                                     expected_version=expected_version, extra=extra)
        # The visit's copay goes on the ledger at arrival: unpaid, it becomes the patient's balance.
        # The coverage was read by the decision above, in this transaction.
        charge_copay(session, actor, appointment, current.copay_cents, at=at, day=current.day)
        return change


def undo_check_in(ctx: AppContext, actor: Actor, appointment_id: int, reason: str,
                  expected_version: int | None = None) -> StatusChange:
    """Undo a check-in: refused unless the appointment is checked in now (read in the same
    transaction as the undo)."""
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        status = appointment.status
        if status != S.ARRIVED.value:
            raise UserError(f"appointment {appointment_id} is not checked in (it is {S(status).words})")
        change = apply_undo(session, actor, appointment_id, at=at, reason=reason,
                            expected_version=expected_version)
        uncharge_copay(session, actor, appointment, at=at)  # nothing owed for a visit that did not start
        return change


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    by: str
    reason: str | None
    is_undo: bool


def status_history(ctx: AppContext, actor: Actor, appointment_id: int) -> list[HistoryRow]:
    """Every status change of the appointment, oldest first, with who and when."""
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        rows = session.execute(
            select(AppointmentStatusEvent.at, AppointmentStatusEvent.from_status,
                   AppointmentStatusEvent.to_status, StaffUser.username, AppointmentStatusEvent.reason,
                   AppointmentStatusEvent.is_undo)
            .outerjoin(StaffUser, StaffUser.id == AppointmentStatusEvent.by_id)
            .where(AppointmentStatusEvent.appointment_id == appointment_id)
            .order_by(AppointmentStatusEvent.id)).all()
        audit.record(session, actor, "appointment.history", ctx.now(), patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id)
    return [HistoryRow(aware_instant(r[0]), S(r[1]) if r[1] else None, S(r[2]), r[3] or "?",
                       _reason_words(r[4]), bool(r[5]))
            for r in rows]


def _reason_words(reason: str | None) -> str | None:
    """Check-ins recorded before the items had words said "checked in with id_card, copay
    outstanding: ..."; show those in words too."""
    prefix, middle = "checked in with ", " outstanding: "
    if not reason or not reason.startswith(prefix) or middle not in reason:
        return reason
    items, why = reason[len(prefix):].split(middle, 1)
    named = ", ".join(CHECKLIST_ITEM_WORDS.get(item, item) for item in items.split(", "))
    return f"{prefix}{named}{middle}{why}"

