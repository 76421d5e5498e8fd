"""Referrals in tests: an insured patient, a type that needs an authorisation, free slots far
enough ahead that nothing else is booked there, and counting what was saved."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator_tui.services import referrals as ref
from coordinator_tui.services import schedule as booking
from coordinator_tui.store.models import (
    Coverage,
    Patient,
    Payer,
    Referral,
    ReferralDocument,
    ReferralEvent,
    ReferralVisit,
)
from tests.conftest import FREE_DAY


def insured_patients(ctx, count: int = 2) -> list[int]:
    """Patients (not merged) with an active primary coverage, lowest ids first."""
    with ctx.db.read() as session:
        return list(session.scalars(
            select(Patient.id).join(Coverage, Coverage.patient_id == Patient.id)
            .where(Coverage.rank == "primary", Coverage.active.is_(True), Patient.merged_into_id.is_(None))
            .order_by(Patient.id).limit(count)))


def payer_of(ctx, patient_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(Payer.name).join(Coverage, Coverage.payer_id == Payer.id).where(
            Coverage.patient_id == patient_id, Coverage.rank == "primary", Coverage.active.is_(True)))


def mrn(ctx, patient_id: int) -> str:
    with ctx.db.read() as session:
        return session.get(Patient, patient_id).mrn


def proc_slots(ctx, actor, count: int, provider_id: int = 1, type_code: str = "PROC", after=FREE_DAY):
    """`count` free slots of `type_code` that do not overlap one another, on and after FREE_DAY
    (beyond the seeded bookings)."""
    found = []
    for slot in booking.find_free_slots(ctx, actor, provider_id=provider_id, type_code=type_code,
                                        after=after, limit=min(500, count * 4)):
        if not found or slot.starts_at >= found[-1].ends_at:
            found.append(slot)
    return found[:count]


def needs_auth(ctx, admin, type_code: str = "PROC", payer: str | None = None) -> None:
    ref.set_auth_requirement(ctx, admin, type_code, payer, required=True)


def saved_rows(ctx) -> tuple[int, int, int, int]:
    """(referrals, history events, documents, visit links): to show nothing was saved."""
    with ctx.db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Referral, ReferralEvent, ReferralDocument, ReferralVisit))
