"""The estimate of what the patient will owe for a visit, made before the visit or at check-in:
from the clinic's fee schedule (the expected charge of the visit type), the coverage's copay and
the payer's latest 271 (remaining deductible, coinsurance, out of pocket). Each estimate given is
recorded with the appointment, as said, and can be printed as a text sheet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coordinator_tui.domain import estimate as rules
from coordinator_tui.domain.eligibility import parse_fee_schedule
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.eligibility.benefits import aware, latest_benefits
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Coverage,
    Patient,
    Payer,
    Provider,
    VisitEstimate,
)


@dataclass(frozen=True)
class VisitEstimateSheet:
    appointment_id: int
    estimate_id: int
    result: rules.Estimate
    sheet: str
    patient_id: int | None = None  # whose visit: a printed copy is audited on the patient

    @property
    def explanation(self) -> str:
        return self.result.explanation


def _coverage(session, patient_id: int) -> Coverage | None:
    """The active primary coverage: the one the check-in checklist verifies and takes the copay of."""
    return session.scalar(select(Coverage).where(
        Coverage.patient_id == patient_id, Coverage.rank == "primary", Coverage.active.is_(True)))


def estimate_visit(ctx: AppContext, actor: Actor, appointment_id: int,
                   deliver: Callable[[str], None] | None = None) -> VisitEstimateSheet:
    """Estimate, record (one row and its audit event) and return the sheet. `deliver` (the
    command's file write) runs before the commit: a sheet that could not be written is not
    recorded as given."""
    fees = parse_fee_schedule(ctx.settings.fee_schedule)
    clinic = clinic_name(ctx)
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        patient = session.get(Patient, appointment.patient_id)
        kind = session.get(AppointmentType, appointment.appointment_type_id)
        provider = session.get(Provider, appointment.provider_id)
        coverage = _coverage(session, patient.id)
        charge = fees.get(kind.code.upper())
        visit = f"{kind.name.lower()} visit"
        latest = latest_benefits(session, coverage.id) if coverage is not None else None
        payer_line = "none on file (self-pay)"
        if coverage is None:
            benefits = None
        else:
            payer = session.get(Payer, coverage.payer_id)
            from_payer = latest is not None and latest.status == "active"
            benefits = rules.Benefits(
                copay_cents=coverage.copay_cents,
                deductible_remaining_cents=latest.deductible_remaining_cents if from_payer else None,
                coinsurance_bp=latest.coinsurance_bp if from_payer else None,
                oop_remaining_cents=latest.oop_remaining_cents if from_payer else None)
            said = (f"{latest.answer()} per payer {ctx.local(latest.imported_at):%m/%d}" if latest
                    else "payer not asked yet")
            payer_line = f"{payer.name}, {said}"
        result = rules.estimate(charge, benefits, visit=visit,
                                from_payer=latest is not None and latest.status == "active")
        row = VisitEstimate(appointment_id=appointment.id, benefit_id=latest.id if latest else None,
                            charge_cents=charge or 0, copay_cents=result.copay_cents,
                            deductible_part_cents=result.deductible_part_cents,
                            coinsurance_part_cents=result.coinsurance_part_cents,
                            total_cents=result.total_cents, explanation=result.explanation,
                            estimated_at=at, estimated_by_id=actor.id)
        session.add(row)
        session.flush()
        audit.record(session, actor, "eligibility.estimate", at, patient_id=patient.id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"estimate_id": row.id, "total_cents": result.total_cents})
        starts = ctx.local(aware(appointment.starts_at))
        heading = [("Patient", f"{patient.family_name}, {patient.given_name}  MRN {patient.mrn}"),
                   ("Visit", f"{starts:%a %d %b %Y %H:%M}, {kind.name}"),
                   ("Provider", provider.short_name),
                   ("Insurance", payer_line)]
        footer = f"Estimated {ctx.local(at):%Y-%m-%d %H:%M} by {actor.username}"
        text = rules.sheet(clinic, heading, result, footer)
        if deliver is not None:
            deliver(text)
        return VisitEstimateSheet(appointment.id, row.id, result, text, patient.id)


def last_estimate(ctx: AppContext, appointment_id: int) -> tuple[str, datetime] | None:
    """The explanation last recorded with this appointment, and when (None: none given)."""
    with ctx.db.read() as session:
        row = session.scalar(select(VisitEstimate).where(VisitEstimate.appointment_id == appointment_id)
                             .order_by(VisitEstimate.id.desc()).limit(1))
        return (row.explanation, aware(row.estimated_at)) if row else None


def appointment_for(ctx: AppContext, mrn: str, day) -> int:
    """The patient's booked appointment on `day` (the first, when several), for the command line."""
    from coordinator_tui.domain.slots import day_bounds_utc

    start, end = day_bounds_utc(day, ctx.settings.tz)
    with ctx.db.read() as session:
        patient = session.scalar(select(Patient).where(Patient.mrn == mrn.strip()))
        if patient is None:
            raise UserError(f"no patient with MRN {mrn.strip()[:16]}")
        found = session.scalar(select(Appointment.id).where(
            Appointment.patient_id == (patient.merged_into_id or patient.id),
            Appointment.starts_at >= start, Appointment.starts_at < end,
            Appointment.status.not_in(("cancelled", "no_show"))).order_by(Appointment.starts_at).limit(1))
        if found is None:
            raise UserError(f"MRN {patient.mrn} has no booked appointment on {day.isoformat()}")
        return found
