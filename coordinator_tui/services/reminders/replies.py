"""What the SMS gateway sends back: delivered or failed, and the patient's replies. C confirms
the appointment, R puts a rebook item on the callback queue, STOP withdraws SMS consent.

One write transaction for the file's good rows; a row naming an appointment that has no SMS
reminder (or does not exist) and a malformed row are reported by line. Idempotent: a row
already applied changes nothing the second time (the appointment is already confirmed, the
rebook item is already open, consent is already withdrawn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.domain.reminders import (
    ConsentSource,
    ContactChannel,
    Delivery,
    Reply,
)
from coordinator_tui.domain.vocab import AppointmentStatus, CallbackReason
from coordinator_tui.interop.gateway_results import RowProblem, read_results
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.reminders.consent import append_consent, current_consents
from coordinator_tui.store.models import Appointment, Callback, ReminderSent


@dataclass
class RepliesReport:
    rows: int = 0
    delivered: int = 0
    failed: int = 0
    confirmed: int = 0
    reschedule: int = 0
    stopped: int = 0
    unchanged: int = 0
    bad: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)  # applied, with something to know


def apply_replies(ctx: AppContext, actor: Actor, path: Path) -> RepliesReport:
    rows, problems = read_results(Path(path))
    report = RepliesReport(rows=len(rows) + len(problems), bad=list(problems))
    at = ctx.now()
    with ctx.db.write() as session:
        for row in rows:
            appointment = session.get(Appointment, row.appointment_id)
            if appointment is None:
                report.bad.append(RowProblem(row.line, f"unknown appointment id {row.appointment_id}"))
                continue
            reminder = session.scalar(
                select(ReminderSent).where(ReminderSent.appointment_id == appointment.id,
                                           ReminderSent.channel == "sms")
                .order_by(ReminderSent.sent_at.desc(), ReminderSent.id.desc()).limit(1))
            if reminder is None:
                report.bad.append(RowProblem(
                    row.line, f"no SMS reminder was sent for appointment {appointment.id}"))
                continue
            changed = False
            if row.delivery is not None and reminder.delivery != row.delivery.value:
                if not (reminder.delivery == Delivery.DELIVERED.value
                        and row.delivery is Delivery.FAILED):  # a late "failed" after delivery
                    reminder.delivery, reminder.delivery_at = row.delivery.value, at
                    changed = True
                    if row.delivery is Delivery.DELIVERED:
                        report.delivered += 1
                    else:
                        report.failed += 1
            # A reply already recorded on the reminder was applied when it came: the desk may
            # since have closed the rebook item or taken the patient's SMS consent again, and
            # the same file read again must not undo that.
            if row.reply is not None and reminder.reply != row.reply.value:
                reminder.reply, reminder.reply_at = row.reply.value, at
                # A reply proves the message arrived.
                reminder.delivery = Delivery.DELIVERED.value
                reminder.delivery_at = reminder.delivery_at or at
                changed |= _apply_reply(session, actor, report, row, appointment, at)
            if not changed:
                report.unchanged += 1
        session.flush()
        audit.record(session, actor, "reminders.replies", at, entity="reminder_replies",
                     detail={"rows": report.rows, "delivered": report.delivered,
                             "failed": report.failed, "confirmed": report.confirmed,
                             "reschedule": report.reschedule, "stopped": report.stopped,
                             "bad": len(report.bad)})
    report.bad.sort(key=lambda p: p.line)
    return report


def _apply_reply(session, actor: Actor, report: RepliesReport, row, appointment: Appointment,
                 at) -> bool:
    if row.reply is Reply.CONFIRM:
        if appointment.status == AppointmentStatus.SCHEDULED.value:
            apply_status_change(session, actor, appointment.id, AppointmentStatus.CONFIRMED,
                                at=at, reason="confirmed by SMS reply")
            report.confirmed += 1
            return True
        if appointment.status in (AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value):
            report.notes.append(RowProblem(row.line, f"appointment {appointment.id} is "
                                           f"{appointment.status.replace('_', '-')}; not confirmed"))
        return False
    if row.reply is Reply.RESCHEDULE:
        if session.scalar(select(Callback.id).where(
                Callback.appointment_id == appointment.id,
                Callback.reason == CallbackReason.REBOOK.value).limit(1)) is not None:
            return False  # asked before: its rebook item is open or was worked
        _, created = ensure_open_callback(
            session, actor, patient_id=appointment.patient_id, reason=CallbackReason.REBOOK, at=at,
            due_at=at + timedelta(hours=2), appointment_id=appointment.id,
            note=f"Asked by SMS to reschedule appointment #{appointment.id}")
        report.reschedule += int(created)
        return created
    current = current_consents(session, [appointment.patient_id]).get(
        (appointment.patient_id, ContactChannel.SMS))
    if current is not None and current.agreed:
        append_consent(session, actor, appointment.patient_id, ContactChannel.SMS, False,
                       ConsentSource.REPLY, at)
        audit.record(session, actor, "consent.change", at, patient_id=appointment.patient_id,
                     entity="patient", entity_id=appointment.patient_id,
                     detail={"channels": {"sms": False}, "source": "reply"})
        report.stopped += 1
        return True
    return False
