"""Looking at referrals: a list (one patient's, or the authorisations ending soon) with their
visits counted, and one referral in full with its history, documents and visits. Each look is
one audited view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import USABLE, ReferralKind
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.referrals.booking_check import label_of
from coordinator_tui.services.referrals.counting import payer_name, standing, type_codes
from coordinator_tui.services.referrals.records import load_referral
from coordinator_tui.store.models import (
    Appointment,
    Patient,
    Provider,
    Referral,
    ReferralDocument,
    ReferralEvent,
    ReferralVisit,
    StaffUser,
)

MAX_ROWS = 500


@dataclass(frozen=True)
class ReferralRow:
    id: int
    mrn: str
    patient: str
    kind: str
    label: str
    number: str | None
    party: str | None
    specialty: str | None
    types: tuple[str, ...]
    status: str  # as shown: expired / exhausted when that is what it is
    authorised: int | None
    used: int
    scheduled: int
    remaining: int | None
    valid_from: date | None
    valid_to: date | None
    received_on: date
    summary: str
    version: int


def rows_for(session: Session, referrals: list[Referral], today: date) -> list[ReferralRow]:
    if not referrals:  # most patients have none: no reads for their types and patients
        return []
    codes = type_codes(session, [r.id for r in referrals])
    patients = {p.id: p for p in session.scalars(
        select(Patient).where(Patient.id.in_({r.patient_id for r in referrals})))}
    out = []
    for r in referrals:
        state = standing(session, r, today)
        patient = patients[r.patient_id]
        out.append(ReferralRow(
            r.id, patient.mrn, f"{patient.family_name}, {patient.given_name}", r.kind, label_of(r),
            r.auth_number, r.referring_party, r.to_specialty, tuple(codes.get(r.id, ())),
            state.shown_status, state.counts.authorised, state.counts.used, state.counts.scheduled,
            state.counts.remaining, r.auth_valid_from, r.auth_valid_to, r.received_on, state.summary,
            r.version_id))
    return out


def patient_rows(session: Session, patient_id: int, today: date, limit: int = MAX_ROWS) -> list[ReferralRow]:
    """Inside the caller's session (the patient record's view uses it)."""
    referrals = list(session.scalars(select(Referral).where(Referral.patient_id == patient_id)
                                     .order_by(Referral.received_on.desc(), Referral.id.desc())
                                     .limit(limit)))
    return rows_for(session, referrals, today)


def referral_rows(ctx: AppContext, actor: Actor, *, patient_id: int | None = None,
                  expiring_days: int | None = None, limit: int = MAX_ROWS) -> list[ReferralRow]:
    """One patient's referrals (newest first), or the usable authorisations ending within
    `expiring_days` (soonest first), or both narrowed together. One audited view."""
    if patient_id is None and expiring_days is None:
        raise UserError("say whose referrals (a patient) or which (ending within DAYS)")
    if expiring_days is not None and (isinstance(expiring_days, bool) or not isinstance(expiring_days, int)
                                      or not 0 <= expiring_days <= 366):
        raise UserError("the number of days must be 0 to 366")
    today = ctx.today()
    with ctx.db.write() as session:
        stmt = select(Referral)
        if patient_id is not None:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise UserError(f"patient {patient_id} does not exist")
            stmt = stmt.where(Referral.patient_id == patient_id)
        if expiring_days is not None:
            stmt = stmt.where(Referral.status.in_(USABLE), Referral.auth_valid_to >= today,
                              Referral.auth_valid_to <= today + timedelta(days=expiring_days),
                              Referral.kind == ReferralKind.PRIOR_AUTH.value)
            stmt = stmt.order_by(Referral.auth_valid_to, Referral.id)
        else:
            stmt = stmt.order_by(Referral.received_on.desc(), Referral.id.desc())
        rows = rows_for(session, list(session.scalars(stmt.limit(limit))), today)
        audit.record(session, actor, "referral.list", ctx.now(), patient_id=patient_id, entity="referral",
                     detail={"rows": len(rows), "expiring_days": expiring_days})
        return rows


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    by: str
    field: str
    from_value: str | None
    to_value: str | None


@dataclass(frozen=True)
class VisitLine:
    appointment_id: int
    starts_at: datetime
    provider: str
    status: str
    moved: bool
    override_reason: str | None


@dataclass(frozen=True)
class ReferralDetail:
    row: ReferralRow
    payer: str | None
    provider: str | None
    reason: str | None
    procedure_codes: str | None
    replied_on: date | None
    notes: str | None
    documents: tuple[tuple[str, date], ...]
    history: tuple[HistoryLine, ...]
    visits: tuple[VisitLine, ...]


def referral_detail(ctx: AppContext, actor: Actor, referral_id: int) -> ReferralDetail:
    today = ctx.today()
    with ctx.db.write() as session:
        r = load_referral(session, referral_id)
        row = rows_for(session, [r], today)[0]
        docs = tuple((d.document, d.received_on) for d in session.scalars(
            select(ReferralDocument).where(ReferralDocument.referral_id == r.id)
            .order_by(ReferralDocument.received_on, ReferralDocument.id)))
        history = tuple(HistoryLine(e.at, name or "-", e.field, e.from_value, e.to_value)
                        for e, name in session.execute(
                            select(ReferralEvent, StaffUser.username)
                            .join(StaffUser, StaffUser.id == ReferralEvent.by_id, isouter=True)
                            .where(ReferralEvent.referral_id == r.id).order_by(ReferralEvent.id)))
        visits = tuple(VisitLine(a.id, a.starts_at, short, a.status, v.moved_to_id is not None,
                                 v.override_reason)
                       for v, a, short in session.execute(
                           select(ReferralVisit, Appointment, Provider.short_name)
                           .join(Appointment, Appointment.id == ReferralVisit.appointment_id)
                           .join(Provider, Provider.id == Appointment.provider_id)
                           .where(ReferralVisit.referral_id == r.id).order_by(Appointment.starts_at)))
        provider = session.scalar(select(Provider.short_name).where(Provider.id == r.to_provider_id)) \
            if r.to_provider_id else None
        audit.record(session, actor, "referral.view", ctx.now(), patient_id=r.patient_id,
                     entity="referral", entity_id=r.id)
        return ReferralDetail(row, payer_name(session, r.payer_id), provider, r.reason, r.procedure_codes,
                              r.replied_on, r.notes, docs, history, visits)
