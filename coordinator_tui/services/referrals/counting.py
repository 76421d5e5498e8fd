"""Inside a caller's session: which payer a patient has, whether a type needs an authorisation
from it, what a referral covers, and its visits counted from the appointments booked on it.

Nothing here opens a transaction: booking calls these inside its own write transaction, so the
count it decides on is the count it commits (two desks cannot both take the last visit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, text, true
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import Counts, VisitRule, count_visits, shown_status, summary
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    AuthRequirement,
    Coverage,
    Payer,
    Referral,
    ReferralType,
    ReferralVisit,
)


def primary_payer(session: Session, patient_id: int) -> tuple[int | None, int | None]:
    """(coverage id, payer id) of the patient's active primary coverage, or (None, None)."""
    # `active = 1` as a literal: the index on (patient_id, rank) is partial (WHERE active = 1),
    # and SQLite uses it only for that very term (`active IS 1` scanned all coverages).
    row = session.execute(select(Coverage.id, Coverage.payer_id).where(
        Coverage.patient_id == patient_id, Coverage.rank == "primary",
        Coverage.active == true())).first()
    return (row[0], row[1]) if row else (None, None)


def needs_authorisation(session: Session, type_id: int, payer_id: int | None) -> bool:
    """Does booking this type for a patient with this payer need a prior authorisation? A rule
    for any payer (payer NULL) applies to self-pay patients too."""
    payers = [AuthRequirement.payer_id.is_(None)]
    if payer_id is not None:
        payers.append(AuthRequirement.payer_id == payer_id)
    return session.scalar(select(AuthRequirement.id).where(
        AuthRequirement.appointment_type_id == type_id, or_(*payers)).limit(1)) is not None


# The booking check's hot reads as prebuilt statements (GUIDE 4: the ORM costs several times the
# raw query; the check runs inside every booking's write transaction).
_PAYER_AND_RULE_SQL = (
    "SELECT pay.payer_id, EXISTS (SELECT 1 FROM auth_requirements r WHERE r.appointment_type_id = :type_id "
    "AND (r.payer_id IS NULL OR r.payer_id = pay.payer_id)) "
    "FROM (SELECT (SELECT payer_id FROM coverages WHERE patient_id = :patient_id AND rank = 'primary' "
    "AND active = 1 LIMIT 1) AS payer_id) AS pay")
# `active = 1` for SQLite's partial index; PostgreSQL compares no boolean with an integer.
_PAYER_AND_RULE = {"sqlite": text(_PAYER_AND_RULE_SQL),
                   "postgresql": text(_PAYER_AND_RULE_SQL.replace("active = 1", "active"))}
_VISIT_STATUSES = text(
    "SELECT a.status FROM referral_visits v JOIN appointments a ON a.id = v.appointment_id "
    "WHERE v.referral_id = :referral_id AND v.moved_to_id IS NULL")
_RULE = text("SELECT cancelled_uses, no_show_uses FROM payer_visit_rules WHERE payer_id = :payer_id")


def payer_and_need(session: Session, patient_id: int, type_id: int) -> tuple[int | None, bool]:
    """(the payer of the patient's active primary coverage, does a `type_id` visit need an
    authorisation from it): one statement."""
    statement = _PAYER_AND_RULE[session.get_bind().dialect.name]
    payer_id, needed = session.execute(statement, {"patient_id": patient_id, "type_id": type_id}).one()
    return payer_id, bool(needed)


def visit_rule(session: Session, payer_id: int | None) -> VisitRule:
    """The payer's rule (kept for the session: one service call, one transaction)."""
    if payer_id is None:
        return VisitRule()
    cache = session.info.setdefault("visit_rules", {})
    if payer_id not in cache:
        row = session.execute(_RULE, {"payer_id": payer_id}).first()
        cache[payer_id] = VisitRule() if row is None else VisitRule(cancelled_uses=bool(row[0]),
                                                                      no_show_uses=bool(row[1]))
    return cache[payer_id]


def counted(session: Session, referral_id: int, authorised: int | None, rule: VisitRule) -> Counts:
    statuses = session.scalars(_VISIT_STATUSES, {"referral_id": referral_id}).all()
    return count_visits(authorised, list(statuses), rule)


def counts(session: Session, referral: Referral) -> Counts:
    return counted(session, referral.id, referral.auth_visits, visit_rule(session, referral.payer_id))


def covered_type_ids(session: Session, referral_id: int) -> set[int]:
    return set(session.scalars(select(ReferralType.appointment_type_id)
                               .where(ReferralType.referral_id == referral_id)))


def type_codes(session: Session, referral_ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = session.execute(select(ReferralType.referral_id, AppointmentType.code)
                           .join(AppointmentType, AppointmentType.id == ReferralType.appointment_type_id)
                           .where(ReferralType.referral_id.in_(list(referral_ids)))
                           .order_by(AppointmentType.code))
    for rid, code in rows:
        out.setdefault(rid, []).append(code)
    return out


def payer_name(session: Session, payer_id: int | None) -> str | None:
    return session.scalar(select(Payer.name).where(Payer.id == payer_id)) if payer_id else None


@dataclass(frozen=True)
class Standing:
    """A referral with its counts and the status a person sees."""

    referral: Referral
    counts: Counts
    shown_status: str

    @property
    def summary(self) -> str:
        return summary(self.counts, self.referral.auth_valid_to)


def standing(session: Session, referral: Referral, today: date) -> Standing:
    c = counts(session, referral)
    return Standing(referral, c, shown_status(referral.status, c, referral.auth_valid_to, today))


def open_visit_count(session: Session, referral_id: int) -> int:
    """Visits booked on the referral that still hold a slot or happened (for "not booked")."""
    return session.scalar(select(func.count()).select_from(ReferralVisit)
                          .join(Appointment, Appointment.id == ReferralVisit.appointment_id)
                          .where(ReferralVisit.referral_id == referral_id,
                                 ReferralVisit.moved_to_id.is_(None),
                                 Appointment.status.notin_(["cancelled", "no_show"]))) or 0


def missing_authorisation_ids(session: Session, start, end) -> set[int]:
    """Active visits starting in [start, end) whose type needs an authorisation from the
    patient's payer and that were booked on none (a supervisor's override included): the day
    schedule marks them. One query; nothing to do when no type needs one."""
    if session.scalar(select(AuthRequirement.id).limit(1)) is None:
        return set()
    linked = select(ReferralVisit.appointment_id).where(
        ReferralVisit.appointment_id == Appointment.id, ReferralVisit.referral_id.is_not(None)).exists()
    rows = session.scalars(
        select(Appointment.id)
        .join(AuthRequirement, AuthRequirement.appointment_type_id == Appointment.appointment_type_id)
        .outerjoin(Coverage, (Coverage.patient_id == Appointment.patient_id) & (Coverage.rank == "primary")
                   & (Coverage.active == true()))
        .where(Appointment.starts_at >= start, Appointment.starts_at < end,
               Appointment.status.in_(["scheduled", "confirmed", "arrived", "roomed", "with_provider"]),
               or_(AuthRequirement.payer_id.is_(None), AuthRequirement.payer_id == Coverage.payer_id),
               ~linked))
    return set(rows)
