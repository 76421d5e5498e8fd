"""A patient's record: reading it (audited), editing it (validated, one transaction, race-safe),
registering a new patient with a duplicate check, and merging two records (supervisors).

Everything returned is a frozen dataclass; no ORM object leaves this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from coordinator_tui.domain import names, phones
from coordinator_tui.domain.patient_validation import (
    FIELD_LABELS,
    FIELDS,
    FieldError,
)
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import UserError
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.eligibility.benefits import benefits_lines
from coordinator_tui.services.referrals.views import patient_rows
from coordinator_tui.services.view_audit import record_view
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Callback,
    Coverage,
    Patient,
    PatientLetter,
    Payer,
    Payment,
    Provider,
    StaffUser,
)

MAX_TOMBSTONE_HOPS = 20


ROWS_PER_SECTION = 50


CLOSED_STATUSES = {AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value,
                   AppointmentStatus.CHECKED_OUT.value}


class ValidationFailed(UserError):
    """The form has field errors; `errors` says which field and what to type."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class CoverageRow:
    id: int
    rank: str
    payer: str
    member_id: str
    group_number: str | None
    copay_cents: int
    eligibility_status: str
    active: bool


@dataclass(frozen=True)
class AppointmentLine:
    id: int
    starts_at: datetime
    provider: str
    type_code: str
    status: AppointmentStatus
    reason: str | None


@dataclass(frozen=True)
class CallbackLine:
    id: int
    reason: str
    status: str
    priority: str
    due_at: datetime
    note: str | None


@dataclass(frozen=True)
class PaymentLine:
    id: int
    taken_at: datetime
    amount_cents: int
    method: str
    receipt_number: str
    voided: bool


@dataclass(frozen=True)
class LetterLine:
    """A letter written to the patient (no-show, cancelled by the clinic, recall)."""

    kind: str
    written_at: datetime
    written_by: str | None


@dataclass(frozen=True)
class ReferralLine:
    id: int
    received_on: date
    referring_party: str | None
    to_specialty: str | None
    status: str
    auth_number: str | None
    kind: str = "incoming_referral"
    summary: str = ""  # "4 approved | 2 left, ends 31 Jan"


@dataclass(frozen=True)
class PatientRecord:
    id: int
    mrn: str
    version: int
    given_name: str
    middle_name: str | None
    family_name: str
    preferred_name: str | None
    birth_date: date
    sex: str
    phone_mobile: str | None
    phone_home: str | None
    email: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    preferred_language: str
    alerts: str | None
    deceased_date: date | None
    updated_at: datetime
    updated_by: str | None
    redirected_from: str | None = None  # the merged-away MRN that was asked for
    coverages: tuple[CoverageRow, ...] = ()
    upcoming: tuple[AppointmentLine, ...] = ()
    past: tuple[AppointmentLine, ...] = ()
    callbacks: tuple[CallbackLine, ...] = ()
    payments: tuple[PaymentLine, ...] = ()
    referrals: tuple[ReferralLine, ...] = ()
    benefits: tuple[str, ...] = ()  # the payers' latest 271 answers (services.eligibility)
    letters: tuple[LetterLine, ...] = ()

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def form(self) -> dict[str, str]:
        """The record as the edit form shows it (text per field)."""
        out: dict[str, str] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if name in ("phone_mobile", "phone_home"):
                out[name] = phones.display(value)
            elif isinstance(value, date):
                out[name] = f"{value.month}/{value.day}/{value.year}"
            else:
                out[name] = "" if value is None else str(value)
        return out


@dataclass(frozen=True)
class ResolvedMrn:
    patient_id: int
    mrn: str
    asked_mrn: str

    @property
    def redirected(self) -> bool:
        return self.mrn != self.asked_mrn


def _follow(session, patient: Patient) -> Patient:
    hops = 0
    while patient.merged_into_id is not None and hops < MAX_TOMBSTONE_HOPS:
        patient = session.get(Patient, patient.merged_into_id)
        hops += 1
    return patient


def load_patient(session, patient_id: int) -> Patient:
    if not isinstance(patient_id, int) or isinstance(patient_id, bool):
        raise UserError("a patient is chosen by number")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    return patient


def set_search_keys(patient: Patient) -> None:
    patient.family_key = names.name_key(patient.family_name)
    patient.given_key = names.name_key(patient.given_name)
    patient.family_phonetic = names.phonetic(patient.family_name)[:32]
    patient.given_phonetic = names.phonetic(patient.given_name)[:32]
    patient.phone_mobile_rev = phones.reversed_digits(patient.phone_mobile)
    patient.phone_home_rev = phones.reversed_digits(patient.phone_home)


def staff_name(session, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    return session.scalar(select(StaffUser.display_name).where(StaffUser.id == staff_id))


def _appointment_lines(session, patient_id: int, *, upcoming: bool, now: datetime):
    stmt = (select(Appointment.id, Appointment.starts_at, Provider.short_name,
                   AppointmentType.code, Appointment.status, Appointment.reason)
            .join(Provider, Provider.id == Appointment.provider_id)
            .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
            .where(Appointment.patient_id == patient_id))
    if upcoming:
        stmt = stmt.where(Appointment.starts_at >= now).order_by(Appointment.starts_at)
    else:
        stmt = stmt.where(Appointment.starts_at < now).order_by(Appointment.starts_at.desc())
    return tuple(AppointmentLine(r[0], r[1], r[2], r[3], AppointmentStatus(r[4]), r[5])
                 for r in session.execute(stmt.limit(ROWS_PER_SECTION)))


def get_record(ctx: AppContext, actor: Actor, patient_id: int) -> PatientRecord:
    """Everything the record screen shows. Audited as a view. A merged-away record opens its
    survivor (with `redirected_from` set)."""
    now = ctx.now()
    with ctx.db.read() as session:  # no write lock while reading; the view's event follows
        asked = load_patient(session, patient_id)
        patient = _follow(session, asked)
        pid = patient.id
        coverages = tuple(
            CoverageRow(c.id, c.rank, payer, c.member_id, c.group_number, c.copay_cents,
                        c.eligibility_status, c.active)
            for c, payer in session.execute(
                select(Coverage, Payer.name).join(Payer, Payer.id == Coverage.payer_id)
                .where(Coverage.patient_id == pid)
                .order_by(Coverage.active.desc(), Coverage.rank, Coverage.id)))
        callbacks = tuple(
            CallbackLine(c.id, c.reason, c.status, c.priority, c.due_at, c.note)
            for c in session.scalars(
                select(Callback).where(Callback.patient_id == pid)
                .order_by((Callback.status == "open").desc(), Callback.due_at.desc())
                .limit(ROWS_PER_SECTION)))
        payments = tuple(
            PaymentLine(p.id, p.taken_at, p.amount_cents, p.method, p.receipt_number,
                        p.voided_at is not None)
            for p in session.scalars(select(Payment).where(Payment.patient_id == pid)
                                     .order_by(Payment.taken_at.desc()).limit(ROWS_PER_SECTION)))
        letters = tuple(LetterLine(*row) for row in session.execute(
            select(PatientLetter.kind, PatientLetter.written_at, StaffUser.display_name)
            .outerjoin(StaffUser, StaffUser.id == PatientLetter.written_by_id)
            .where(PatientLetter.patient_id == pid)
            .order_by(PatientLetter.written_at.desc(), PatientLetter.id.desc())
            .limit(ROWS_PER_SECTION)))
        referrals = tuple(
            ReferralLine(r.id, r.received_on, r.party, r.specialty, r.status, r.number, r.kind, r.summary)
            for r in patient_rows(session, pid, ctx.today(), limit=ROWS_PER_SECTION))
        record = PatientRecord(
            id=pid, mrn=patient.mrn, version=patient.version_id, given_name=patient.given_name,
            middle_name=patient.middle_name, family_name=patient.family_name,
            preferred_name=patient.preferred_name, birth_date=patient.birth_date, sex=patient.sex,
            phone_mobile=patient.phone_mobile, phone_home=patient.phone_home, email=patient.email,
            address_line1=patient.address_line1, address_line2=patient.address_line2,
            city=patient.city, region=patient.region, postal_code=patient.postal_code,
            country=patient.country, preferred_language=patient.preferred_language,
            alerts=patient.alerts, deceased_date=patient.deceased_date,
            updated_at=patient.updated_at, updated_by=staff_name(session, patient.updated_by_id),
            redirected_from=asked.mrn if asked.id != pid else None,
            coverages=coverages,
            upcoming=_appointment_lines(session, pid, upcoming=True, now=now),
            past=_appointment_lines(session, pid, upcoming=False, now=now),
            callbacks=callbacks, payments=payments, referrals=referrals,
            benefits=benefits_lines(ctx, session, pid), letters=letters,
        )
    # Committed before the record is returned: a record a desk was shown is in the trail.
    record_view(ctx, actor, "patient.view", now, patient_id=pid, entity="patient", entity_id=pid,
                detail={"redirected_from": record.redirected_from} if record.redirected_from
                else None)
    return record


def resolve_mrn(ctx: AppContext, actor: Actor, mrn: str) -> ResolvedMrn:
    """The patient an MRN leads to, following merge tombstones to the survivor."""
    asked = (mrn or "").strip().upper()
    if not asked or len(asked) > 16:
        raise UserError("type an MRN like M0001234")
    with ctx.db.read() as session:
        patient = session.scalar(select(Patient).where(Patient.mrn == asked))
        if patient is None:
            raise UserError(f"no patient with MRN {asked[:16]}")
        survivor = _follow(session, patient)
        return ResolvedMrn(survivor.id, survivor.mrn, asked)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)

