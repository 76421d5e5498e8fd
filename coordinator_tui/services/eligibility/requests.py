"""The 270 run: one inquiry file for every booked patient of a clinic day whose coverage is not
verified within `eligibility_valid_days`. A batch the desk never waits on: it runs from the
command line (or a scheduler) and the answers come back as a 271 file to import.

Control numbers (ISA13/GS06) increase across runs: the last one is kept in the settings table.
Each inquiry is stored with its TRN trace number, which the payer returns in the 271."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from coordinator_tui.domain.eligibility import parse_payer_ids, service_types
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus, EligibilityStatus
from coordinator_tui.errors import UserError
from coordinator_tui.interop.x12.envelope import MAX_CONTROL
from coordinator_tui.interop.x12.x270 import Inquiry, Person, Submitter, write_270
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.eligibility.benefits import aware
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Coverage,
    EligibilityInquiry,
    Patient,
    Payer,
    Setting,
)

CONTROL_KEY = "x12_last_control_number"
NOT_BOOKED = (AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value)


@dataclass(frozen=True)
class RequestResult:
    day: date
    inquiries: int
    control_number: int | None           # None: nothing to ask, nothing written
    payers: tuple[str, ...] = ()
    without_payer_id: tuple[str, ...] = field(default_factory=tuple)  # payers skipped: no id set


def submitter(ctx: AppContext) -> Submitter:
    s = ctx.settings
    missing = [name for name in ("eligibility_submitter_id", "eligibility_receiver_id", "clinic_npi")
               if not getattr(s, name).strip()]
    if missing:
        raise UserError(f"set {', '.join(missing)} (settings file or COORDINATOR_ environment) "
                        "before writing a 270")
    return Submitter(id=s.eligibility_submitter_id.strip(), name=s.clinic_name,
                     npi=s.clinic_npi.strip(), receiver_id=s.eligibility_receiver_id.strip())


def _subscriber_person(coverage: Coverage, patient: Patient) -> Person:
    name = (coverage.subscriber_name or "").strip()
    if "," in name:
        family, _, given = name.partition(",")
    else:
        given, _, family = name.rpartition(" ")
    return Person(family_name=family.strip() or patient.family_name, given_name=given.strip())


def _patient_person(patient: Patient) -> Person:
    return Person(patient.family_name, patient.given_name, patient.birth_date, patient.sex)


def next_control_number(session) -> int:
    row = session.get(Setting, CONTROL_KEY)
    last = int(row.value) if row is not None and row.value.isdigit() else 0
    number = last + 1 if last < MAX_CONTROL else 1
    if row is None:
        session.add(Setting(key=CONTROL_KEY, value=str(number)))
    else:
        row.value = str(number)
    return number


def request_eligibility(ctx: AppContext, actor: Actor, day: date,
                        deliver: Callable[[str], None] | None = None) -> RequestResult:
    """One write transaction: pick the coverages to ask about, store the inquiries and the new
    control number, audit, and hand the 270 text to `deliver` (the command writes the file) before
    committing, so a file that could not be written leaves no inquiry behind. Nothing to ask: no
    file, no control number used, nothing recorded."""
    sender = submitter(ctx)
    payer_ids = parse_payer_ids(ctx.settings.eligibility_payer_ids)
    at = ctx.now()
    start, end = day_bounds_utc(day, ctx.settings.tz)
    # Current on the visit day itself (what the checklist will ask at check-in), not just now.
    fresh_since = max(at, end) - timedelta(days=ctx.settings.eligibility_valid_days)
    with ctx.db.write() as session:
        rows = session.execute(
            select(Appointment, Coverage, Patient, Payer, AppointmentType.code)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(Coverage, Coverage.patient_id == Patient.id)
            .join(Payer, Payer.id == Coverage.payer_id)
            .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
            .where(Appointment.starts_at >= start, Appointment.starts_at < end,
                   Appointment.status.not_in(NOT_BOOKED), Coverage.active.is_(True),
                   Patient.merged_into_id.is_(None))
            .order_by(Appointment.starts_at, Appointment.id, Coverage.rank, Coverage.id)).all()
        chosen: list[tuple[Appointment, Coverage, Patient, Payer, str]] = []
        seen: set[int] = set()
        skipped: dict[str, None] = {}
        for appointment, coverage, patient, payer, type_code in rows:
            if coverage.id in seen:
                continue
            seen.add(coverage.id)
            verified_at = aware(coverage.verified_at)
            if coverage.eligibility_status == EligibilityStatus.VERIFIED.value and verified_at \
                    and verified_at >= fresh_since:
                continue
            if payer.name.casefold() not in payer_ids:
                skipped[payer.name] = None
                continue
            chosen.append((appointment, coverage, patient, payer, type_code))
        if not chosen:
            return RequestResult(day, 0, None, (), tuple(skipped))
        control = next_control_number(session)
        inquiries = []
        for number, (appointment, coverage, patient, payer, type_code) in enumerate(chosen, start=1):
            trace = f"{control:09d}{number:04d}"
            is_self = coverage.subscriber_relationship == "self"
            inquiries.append(Inquiry(
                trace=trace, payer_name=payer.name, payer_id=payer_ids[payer.name.casefold()],
                member_id=coverage.member_id,
                subscriber=_patient_person(patient) if is_self else _subscriber_person(coverage, patient),
                patient=None if is_self else _patient_person(patient),
                service_types=service_types(type_code), service_date=day,
                group_number=coverage.group_number or ""))
            session.add(EligibilityInquiry(
                trace_number=trace, control_number=control, coverage_id=coverage.id,
                patient_id=patient.id, appointment_id=appointment.id, service_date=day, sent_at=at,
                sent_by_id=actor.id))
        text = write_270(inquiries, sender, control, ctx.local(at))
        session.flush()
        payers = tuple(dict.fromkeys(payer.name for _a, _c, _p, payer, _t in chosen))
        # Each patient's data leaves in the file: one row on each patient's trail ("exported").
        for patient_id in dict.fromkeys(p.id for _a, _c, p, _y, _t in chosen):
            audit.record(session, actor, "eligibility.export_270", at, patient_id=patient_id,
                         entity="x12_interchange", entity_id=control,
                         detail={"day": day.isoformat(), "control_number": control})
        if deliver is not None:
            deliver(text)
        return RequestResult(day, len(inquiries), control, payers, tuple(skipped))
