"""What a visit needs in hand: the referral or authorisation that covers it and the documents
its type requires. Feeds the check-in checklist (two items, shown only when they apply), the
"resolve in place" action there, and the pre-procedure list of the next clinic days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import OPEN, DocumentKind, ReferralKind, in_window
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.eligibility.benefits import ASK, payer_wants_authorisation
from coordinator_tui.services.referrals.booking_check import assess, authorise_visit, label_of
from coordinator_tui.services.referrals.counting import covered_type_ids, standing
from coordinator_tui.services.referrals.records import add_referral_in
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    AuthRequirement,
    CheckinCheck,
    FormSignature,
    Patient,
    Referral,
    ReferralVisit,
    TypeDocument,
)

ID_VALID_DAYS = 365  # as the check-in checklist: an ID or card seen this recently counts
PRE_PROCEDURE_DAYS = 3


def _seen_since(session: Session, patient_id: int, item: str, since: datetime) -> bool:
    return session.scalar(
        select(func.count()).select_from(CheckinCheck)
        .join(Appointment, Appointment.id == CheckinCheck.appointment_id)
        .where(Appointment.patient_id == patient_id, CheckinCheck.item == item,
               CheckinCheck.checked_at >= since)) > 0


# Built once: the checklist asks these on every build, twice per check-in.
_REQUIRED = (select(TypeDocument.document).where(TypeDocument.appointment_type_id == bindparam("type_id"))
             .order_by(TypeDocument.document))
_TYPE = select(AppointmentType.__table__).where(AppointmentType.__table__.c.id == bindparam("id"))
_HAS_LINK = select(ReferralVisit.appointment_id).where(ReferralVisit.appointment_id == bindparam("id"))


def _linked(session: Session, appointment_id: int) -> tuple[ReferralVisit | None, Referral | None]:
    # Most visits have no link: a prebuilt look first (the checklist asks on every build).
    if session.execute(_HAS_LINK, {"id": appointment_id}).first() is None \
            and not session.new and not session.dirty:
        return None, None
    link = session.get(ReferralVisit, appointment_id)
    referral = session.get(Referral, link.referral_id) if link and link.referral_id else None
    return link, referral


def _has_referral(session: Session, ctx: AppContext, appointment: Appointment, linked: Referral | None) -> bool:
    if linked is not None and linked.kind == ReferralKind.INCOMING.value:
        return True
    day = ctx.local(appointment.starts_at).date()
    for r in session.scalars(select(Referral).where(Referral.patient_id == appointment.patient_id,
                                                    Referral.kind == ReferralKind.INCOMING.value,
                                                    Referral.status.in_(OPEN))):
        types = covered_type_ids(session, r.id)
        if (not types or appointment.appointment_type_id in types) and \
                in_window(day, r.auth_valid_from, r.auth_valid_to):
            return True
    return False


def missing_documents(session: Session, ctx: AppContext, appointment: Appointment, *,
                      linked: Referral | None | object = ASK) -> tuple[list[str], list[str]]:
    """(documents the type requires, those not in hand), as DocumentKind values. `linked`: the
    referral the visit is linked to, when the caller has read it (the checklist has)."""
    required = list(session.scalars(_REQUIRED, {"type_id": appointment.appointment_type_id}))
    if not required:
        return [], []
    since = ctx.now() - timedelta(days=ID_VALID_DAYS)
    if linked is ASK:
        _link, linked = _linked(session, appointment.id)
    missing = []
    for doc in required:
        if doc in (DocumentKind.PHOTO_ID.value, DocumentKind.INSURANCE_CARD.value):
            ok = _seen_since(session, appointment.patient_id, doc, since)
        elif doc == DocumentKind.CONSENT.value:
            ok = session.scalar(select(FormSignature.id).where(
                FormSignature.patient_id == appointment.patient_id,
                FormSignature.form == "consent_to_treat").limit(1)) is not None
        elif doc == DocumentKind.AUTHORISATION.value:
            ok = linked is not None and linked.kind == ReferralKind.PRIOR_AUTH.value
        else:
            ok = _has_referral(session, ctx, appointment, linked)
        if not ok:
            missing.append(doc)
    return required, missing


def words(documents: list[str]) -> str:
    return ", ".join(DocumentKind(d).label for d in documents)


def checklist_items(session: Session, ctx: AppContext, appointment: Appointment, *,
                    coverage_id: int | None | object = ASK,
                    details: bool = True) -> list[tuple[str, str, bool, str]]:
    """The check-in checklist's "referral / authorisation" and "documents" items, as (key, label,
    done, detail), only for a visit they apply to. `coverage_id`: the patient's active primary
    coverage, when the caller has read it (None: self-pay); each question asked once a build.
    `details` False: check-in's decision, which needs no linked referral's standing (its reads)."""
    items = []
    link, referral = _linked(session, appointment.id)
    if link is not None and referral is not None:
        items.append(("referral", "Referral / authorisation", True,
                      f"{referral.auth_number or label_of(referral)}: "
                      f"{standing(session, referral, ctx.today()).summary}" if details else ""))
    elif link is not None:
        items.append(("referral", "Referral / authorisation", True,
                      f"booked without one: {link.override_reason}"))
    else:
        # The type's row (assess reads its id and code), not an ORM object: one look a build.
        kind = session.execute(_TYPE, {"id": appointment.appointment_type_id}).one()
        found = assess(session, ctx, appointment.patient_id, kind, appointment.starts_at)
        if found.needed:
            detail = found.problem or f"{found.line} (a: attach)"
            # Whole: the checklist wraps a long detail (it was cut here at 70, mid-sentence).
            items.append(("referral", "Referral / authorisation", False, detail))
        elif found.chosen is None and payer_wants_authorisation(session, appointment.patient_id,
                                                                coverage_id=coverage_id):
            # No clinic rule asks for one, but the payer's 271 does (EB11 Y).
            items.append(("referral", "Referral / authorisation", False,
                          "payer 271: authorisation needed"))
    required, missing = missing_documents(session, ctx, appointment, linked=referral)
    if required:
        items.append(("documents", "Documents for this visit", not missing,
                      f"missing: {words(missing)}" if missing else f"in hand: {words(required)}"))
    return items


def attach_authorisation(ctx: AppContext, actor: Actor, appointment_id: int, *, number: str | None = None,
                         visits: int | None = None, valid_to: date | None = None,
                         override: str | None = None) -> str:
    """The checklist's "resolve in place": link the visit to the authorisation that covers it,
    or first record the one the payer just gave (number, visits, last day) and link to that.
    Returns the line the checklist shows."""
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        if appointment.status not in ("scheduled", "confirmed", "arrived"):
            raise UserError("only a booked or arrived visit can be given an authorisation")
        if session.get(ReferralVisit, appointment_id) is not None:
            raise UserError("this visit is already covered")
        referral_id = None
        if number is not None:
            kind = session.get(AppointmentType, appointment.appointment_type_id)
            referral_id = add_referral_in(
                session, ctx, actor, appointment.patient_id, kind=ReferralKind.PRIOR_AUTH, number=number,
                type_codes=[kind.code], visits=visits, valid_from=ctx.today(), valid_to=valid_to,
                status="approved", at=at)
        found = authorise_visit(session, ctx, actor, appointment, referral_id=referral_id, override=override)
        if found.chosen is None and found.problem is None:
            raise UserError("this visit needs no authorisation and none covers it")
        if found.chosen is not None:
            audit.record(session, actor, "referral.visit", at, patient_id=appointment.patient_id,
                         entity="referral", entity_id=found.chosen.id,
                         detail={"appointment_id": appointment.id})
        return found.line or ""


@dataclass(frozen=True)
class PreProcedureRow:
    appointment_id: int
    starts_at: datetime
    patient_id: int
    mrn: str
    patient: str
    type_code: str
    missing: tuple[str, ...]  # words: "photo ID", "authorisation", ...


def clinic_days_after(today: date, count: int) -> list[date]:
    days, day = [], today
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def pre_procedure(ctx: AppContext, actor: Actor, days: int = PRE_PROCEDURE_DAYS) -> list[PreProcedureRow]:
    """The visits of the next `days` clinic days (weekdays after today) that are missing a
    required document or a needed authorisation: chase them before the patient comes."""
    span = clinic_days_after(ctx.today(), days)
    start, _ = day_bounds_utc(span[0], ctx.settings.tz)
    _, end = day_bounds_utc(span[-1], ctx.settings.tz)
    with ctx.db.write() as session:
        watched = set(session.scalars(select(TypeDocument.appointment_type_id))) | \
            set(session.scalars(select(AuthRequirement.appointment_type_id)))
        rows = []
        for appointment, patient, code in session.execute(
                select(Appointment, Patient, AppointmentType.code)
                .join(Patient, Patient.id == Appointment.patient_id)
                .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
                .where(Appointment.starts_at >= start, Appointment.starts_at < end,
                       Appointment.status.in_(["scheduled", "confirmed"]),
                       Appointment.appointment_type_id.in_(watched))
                .order_by(Appointment.starts_at)):
            needs_auth = any(key == "referral" and not done
                             for key, _label, done, _detail in checklist_items(session, ctx, appointment))
            _required, docs = missing_documents(session, ctx, appointment)
            named = list(dict.fromkeys((["authorisation"] if needs_auth else [])
                                       + [DocumentKind(d).label for d in docs]))
            if named:
                rows.append(PreProcedureRow(appointment.id, appointment.starts_at, patient.id, patient.mrn,
                                            f"{patient.family_name}, {patient.given_name}", code,
                                            tuple(named)))
        audit.record(session, actor, "referral.pre_procedure", ctx.now(),
                     detail={"days": [d.isoformat() for d in span], "rows": len(rows)})
        return rows
