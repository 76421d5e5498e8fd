"""Supervisor views of the audit trail: "who looked at this patient?" (READ_AUDIT).

Lines say when, who and what (viewed, which fields changed, exported, emergency access),
never the old or new values: the screen shows them to a supervisor who may not need them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coordinator_tui.domain.patient_validation import FIELD_LABELS
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import AuditEvent, Patient, StaffUser

MAX_LINES = 500

_WORDS = {
    "patient.view": "viewed the record",
    "checkin.view": "viewed at check-in",
    "appointment.history": "viewed appointment history",
    "patient.register": "registered the patient",
    "patient.merge": "merged another record into this one",
    "patient.merged_away": "merged this record away",
    "patient.import": "imported the patient",
    "audit.read": "read who looked at this record",
    "appointment.book": "booked an appointment",
    "appointment.reschedule": "moved an appointment",
    "appointment.status": "changed an appointment's status",
    "appointment.status_undo": "undid an appointment's status",
    "appointment.walk_in": "booked a walk-in",
    "callback.create": "added a callback",
    "callback.attempt": "phoned the patient",
    "callback.close": "closed a callback",
    "checkin.demographics": "confirmed address and phone",
    "checkin.eligibility": "recorded insurance eligibility",
    "checkin.forms": "recorded forms signed",
    "checkin.seen": "saw photo ID and insurance card",
    "payment.take": "took a payment",
    "payment.void": "voided a payment",
    "waitlist.add": "put on the wait list",
}


@dataclass(frozen=True)
class AccessLine:
    at: datetime
    username: str  # "-" for events with no signed-in user
    what: str
    break_glass: bool


def describe(action: str, detail: str | None) -> tuple[str, bool]:
    """(what happened in a few words, whether it was done under emergency access)."""
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    glass = bool(data.get("break_glass")) or action == "break_glass"
    if action == "patient.update" and isinstance(data.get("changed"), dict):
        # Field names in the words of the form ("Birth date"), never `birth_date`.
        what = "changed " + ", ".join(sorted(FIELD_LABELS.get(str(name), str(name).replace("_", " ")).lower()
                                             for name in data["changed"]))
    elif "export" in action or "print" in action:
        what = f"exported ({action.split('.')[0].replace('_', ' ')})"  # "exported (schedule)"
    else:
        what = _WORDS.get(action, action.replace("_", " ").replace(".", ": "))
    return (f"BREAK-GLASS {what}" if glass else what), glass


def patient_access(ctx: AppContext, actor: Actor, patient_id: int, *,
                   limit: int = MAX_LINES) -> list[AccessLine]:
    """Audit events about one patient, newest first. Reading them is itself recorded."""
    require(actor, Permission.READ_AUDIT)
    if isinstance(patient_id, bool) or not isinstance(patient_id, int):
        raise UserError("no such patient")
    with ctx.db.write() as session:
        audit.bring_in_views(session)  # views waiting in the journal are listed too
        if session.get(Patient, patient_id) is None:
            raise UserError(f"no patient with id {patient_id}")
        rows = session.execute(
            select(AuditEvent.at, AuditEvent.id, StaffUser.username, AuditEvent.action,
                   AuditEvent.detail)
            .outerjoin(StaffUser, StaffUser.id == AuditEvent.user_id)
            .where(AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id.desc()).limit(max(1, min(limit, MAX_LINES)))).all()
        lines = []
        # Newest first by when it happened: a view joins the chain at the next write, so a
        # view can have a later id than a change made after it.
        for at, _id, username, action, detail in sorted(rows, key=lambda r: (r[0], r[1]),
                                                         reverse=True):
            what, glass = describe(action, detail)
            lines.append(AccessLine(at, username or "-", what, glass))
        audit.record(session, actor, "audit.read", ctx.now(), patient_id=patient_id,
                     entity="patient", entity_id=patient_id)
    return lines
