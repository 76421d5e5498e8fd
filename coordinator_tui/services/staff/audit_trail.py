"""Reading the audit trail: verify the hash chain, and list events by patient, user and time
(READ_AUDIT: supervisors and admins). Listing shows ids, MRNs and field names, never names or
values (services/staff/audit_detail.py)."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from coordinator_tui.errors import StorageError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.audit_verify import (
    AnchorFinding,
    ChainBreak,
    check_anchors,
    verify_chain,
)
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.staff.audit_detail import describe
from coordinator_tui.services.view_audit import settle
from coordinator_tui.store import audit_files
from coordinator_tui.store.models import AuditEvent, Patient, StaffUser


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken: ChainBreak | None
    anchors: tuple[AnchorFinding, ...] = ()
    anchor_files: tuple[Path, ...] = ()
    last_anchored: int = 0  # the newest event an intact anchor holds (0: none)

    @property
    def problems(self) -> list[AnchorFinding]:
        return [a for a in self.anchors if a.problem is not None]

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.problems


def verify(ctx: AppContext, anchor: Path | str | None = None) -> ChainReport:
    """The chain checked row by row under the audit key, then compared with the anchors: the
    clinic's anchor file (when there is one) and `anchor` (an anchor file or a backup copy)."""
    files = []
    default = audit_files.anchor_path(ctx.db.key_base)
    if default.exists():
        files.append(default)
    if anchor is not None:
        given = Path(anchor).expanduser()
        if not given.is_file():
            raise UserError(f"no anchor file at {given}")
        if given.resolve() not in {f.resolve() for f in files}:
            files.append(given)
    with suppress(StorageError):  # a copy we may not write: its waiting views are not checked
        settle(ctx.db)
    with ctx.db.read() as session:
        ring = audit.key_ring(session, create=False)
        count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        broken = verify_chain(session, ring, ring_given=True)
        findings: list[AnchorFinding] = []
        if not files and ring is not None and (_signed_events(session) or _beside(ring, ctx)):
            # A trail signed here anchored its head on its first commit: a missing anchor file
            # beside its key was removed (with the events after it, perhaps).
            findings.append(AnchorFinding(default.name, None, 0, (
                "the anchor file is missing although events were signed: it was removed, and "
                "a cut at the end of the trail would not show (compare a backup: --anchor)")))
        for path in files:
            try:
                findings.extend(check_anchors(session, path, ring))
            except (OSError, sqlite3.Error):
                raise UserError(f"cannot read the anchor {path} (not an anchor file or a "
                                "backup of this clinic)") from None
    held = [a.last_id for a in findings if a.problem is None]
    return ChainReport(count, broken, tuple(findings), tuple(files), max(held, default=0))


def _beside(ring, ctx: AppContext) -> bool:
    database = ctx.db.key_base
    return database is not None and ring.path == database.with_name(database.name
                                                                     + audit_files.KEY_SUFFIX)


def _signed_events(session) -> bool:
    return session.scalar(select(AuditEvent.id).where(AuditEvent.key_id.is_not(None))
                          .limit(1)) is not None


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
    with suppress(StorageError):  # a journal we cannot read: listed once a desk brings them in
        settle(ctx.db)  # views waiting in the journal are listed too
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
    # Oldest first by when it happened (a view joins the chain at the next write, so its id can
    # be later than a change made after it); the same window of newest events.
    return sorted(rows, key=lambda line: (line.at, line.id))
