"""Merging two records of one person (a tombstone points at the survivor) and the list of merges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.patients.records import load_patient, staff_name
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.versions import check_version
from coordinator_tui.store.models import (
    Appointment,
    AuditEvent,
    Callback,
    Coverage,
    FormSignature,
    LedgerEntry,
    Patient,
    Payment,
    PaymentPlan,
    PaymentPromise,
    Referral,
    StaffUser,
    WaitlistEntry,
)


@dataclass(frozen=True)
class MergeResult:
    survivor_id: int
    survivor_mrn: str
    merged_id: int
    merged_mrn: str
    moved: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MergeRow:
    at: datetime
    by: str | None
    survivor_mrn: str
    merged_mrn: str
    reason: str | None


def merge_patients(ctx: AppContext, actor: Actor, survivor_id: int, merged_id: int,
                   reason: str, *, expected_version: int | None = None) -> MergeResult:
    """Move everything of `merged_id` onto `survivor_id` and leave `merged_id` as a tombstone
    pointing at it. One transaction, audited on both records. `expected_version`: the
    survivor's version on the screen the merge was started from."""
    require(actor, Permission.MERGE_PATIENTS)
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("say why the two records are the same patient")
    if survivor_id == merged_id:
        raise UserError("choose two different records to merge")
    now = ctx.now()
    with ctx.db.write() as session:
        survivor = load_patient(session, survivor_id)
        merged = load_patient(session, merged_id)
        check_version(survivor, expected_version, who=staff_name(session, survivor.updated_by_id),
                      when=ctx.local(survivor.updated_at), what=survivor.mrn, nothing="nothing was merged")
        return merge_in(session, actor, survivor, merged, reason, now)


def merge_in(session, actor: Actor, survivor: Patient, merged: Patient, reason: str,
             now: datetime) -> MergeResult:
    """`merge_patients` inside the caller's open write transaction (an HL7 A40 applies the
    merge and records the message together)."""
    for patient in (survivor, merged):
        if patient.merged_into_id is not None:
            raise UserError(f"{patient.mrn} was already merged into another record")
    moved: dict[str, int] = {}

    def move(model, *, versioned: bool, where=()) -> int:
        values = {"patient_id": survivor.id}
        if versioned:
            values["version_id"] = model.version_id + 1
        result = session.execute(update(model).where(model.patient_id == merged.id, *where)
                                 .values(**values).execution_options(synchronize_session=False))
        return result.rowcount

    # Coverages: one active per rank; the merged record's clashing ones become inactive.
    survivor_ranks = set(session.scalars(select(Coverage.rank).where(
        Coverage.patient_id == survivor.id, Coverage.active.is_(True))))
    deactivated = 0
    if survivor_ranks:
        deactivated = session.execute(
            update(Coverage).where(Coverage.patient_id == merged.id, Coverage.active.is_(True),
                                   Coverage.rank.in_(survivor_ranks))
            .values(active=False, version_id=Coverage.version_id + 1)
            .execution_options(synchronize_session=False)).rowcount
    moved["coverages"] = move(Coverage, versioned=True)
    moved["coverages_deactivated"] = deactivated
    # Callbacks: one open per reason; the merged record's clashing ones are cancelled.
    open_reasons = set(session.scalars(select(Callback.reason).where(
        Callback.patient_id == survivor.id, Callback.status == "open")))
    cancelled = 0
    if open_reasons:
        cancelled = session.execute(
            update(Callback).where(Callback.patient_id == merged.id, Callback.status == "open",
                                   Callback.reason.in_(open_reasons))
            .values(status="cancelled", closed_at=now, closed_by_id=actor.id,
                    close_reason=f"merged into {survivor.mrn}",
                    version_id=Callback.version_id + 1)
            .execution_options(synchronize_session=False)).rowcount
    moved["callbacks"] = move(Callback, versioned=True)
    moved["callbacks_cancelled"] = cancelled
    moved["appointments"] = move(Appointment, versioned=True)
    moved["payments"] = move(Payment, versioned=False)
    moved["referrals"] = move(Referral, versioned=True)
    moved["form_signatures"] = move(FormSignature, versioned=False)
    moved["waitlist_entries"] = move(WaitlistEntry, versioned=False)
    # Earlier tombstones that pointed at the merged record now point at the survivor.
    session.execute(update(Patient).where(Patient.merged_into_id == merged.id)
                    .values(merged_into_id=survivor.id, version_id=Patient.version_id + 1)
                    .execution_options(synchronize_session=False))
    merged.merged_into_id = survivor.id
    merged.merged_at = now
    merged.updated_at = now
    merged.updated_by_id = actor.id
    session.flush()
    # After the tombstone: the ledger's trigger lets a row move only to the record it merged into.
    moved["ledger_entries"] = move(LedgerEntry, versioned=False)
    moved["payment_plans"] = move(PaymentPlan, versioned=False)
    moved["payment_promises"] = move(PaymentPromise, versioned=False)
    detail = {"survivor": survivor.mrn, "merged": merged.mrn, "reason": reason[:300],
              "moved": moved}
    audit.record(session, actor, "patient.merge", now, patient_id=survivor.id,
                 entity="patient", entity_id=merged.id, detail=detail)
    audit.record(session, actor, "patient.merged_away", now, patient_id=merged.id,
                 entity="patient", entity_id=survivor.id, detail=detail)
    return MergeResult(survivor.id, survivor.mrn, merged.id, merged.mrn, moved)


def list_merges(ctx: AppContext, actor: Actor, *, limit: int = 200) -> list[MergeRow]:
    """Merges, newest first: when, by whom, which MRN went into which, and why."""
    import json

    with ctx.db.read() as session:
        rows = session.execute(
            select(Patient.id, Patient.mrn, Patient.merged_into_id, Patient.merged_at)
            .where(Patient.merged_into_id.is_not(None))
            .order_by(Patient.merged_at.desc()).limit(limit)).all()
        out: list[MergeRow] = []
        for merged_id, merged_mrn, _into, merged_at in rows:
            event = session.execute(
                select(AuditEvent.detail, StaffUser.display_name)
                .join(StaffUser, StaffUser.id == AuditEvent.user_id, isouter=True)
                .where(AuditEvent.patient_id == merged_id, AuditEvent.action == "patient.merged_away")
                .order_by(AuditEvent.id.desc()).limit(1)).first()
            detail = json.loads(event[0]) if event and event[0] else {}
            out.append(MergeRow(merged_at, event[1] if event else None,
                                detail.get("survivor") or "?", merged_mrn, detail.get("reason")))
        return out

