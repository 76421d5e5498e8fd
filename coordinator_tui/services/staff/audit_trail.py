"""Reading the audit trail: verify the hash chain, and list events by patient, user and time
(READ_AUDIT: supervisors and admins). Listing shows ids, MRNs and field names, never names or
values (services/staff/audit_detail.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.staff.audit_detail import describe
from coordinator_tui.store.models import AuditEvent, Patient, StaffUser


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken: audit.ChainBreak | None


def verify(ctx: AppContext) -> ChainReport:
    with ctx.db.read() as session:
        count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return ChainReport(count, audit.verify_chain(session))


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    username: str | None
    action: str
    mrn: str | None
    entity: str | None
    entity_id: int | None
    detail: str | None


def show(ctx: AppContext, actor: Actor, *, mrn: str | None = None, username: str | None = None,
         since: datetime | None = None, limit: int = 1000) -> list[AuditLine]:
    require(actor, Permission.READ_AUDIT)
    query = (select(AuditEvent, StaffUser.username, Patient.mrn)
             .outerjoin(StaffUser, StaffUser.id == AuditEvent.user_id)
             .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
             .order_by(AuditEvent.id.desc()).limit(limit))
    with ctx.db.write() as session:
        if mrn is not None:
            patient_id = session.scalar(select(Patient.id).where(Patient.mrn == mrn.strip()))
            if patient_id is None:
                raise UserError(f"no patient with MRN {mrn.strip()[:20]!r}")
            query = query.where(AuditEvent.patient_id == patient_id)
        if username is not None:
            user_id = session.scalar(select(StaffUser.id).where(StaffUser.username == username))
            if user_id is None:
                raise UserError(f"no staff account named {username[:64]!r}")
            query = query.where(AuditEvent.user_id == user_id)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        # Field names and MRNs, never values (a patient's old and new phone, a typed reason).
        rows = [AuditLine(e.id, e.at, u, e.action, m, e.entity, e.entity_id, describe(e.detail))
                for e, u, m in session.execute(query)]
        # Reading who looked at a record is itself recorded.
        audit.record(session, actor, "audit.read", ctx.now(),
                     detail={"mrn": mrn, "user": username,
                             "since": since.isoformat() if since else None})
    return list(reversed(rows))
