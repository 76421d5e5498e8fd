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
from coordinator_tui.services.patients import record_reads as reads
from coordinator_tui.services.referrals.views import patient_rows
from coordinator_tui.services.view_audit import record_view
from coordinator_tui.store.models import (
    Patient,
    StaffUser,
)

MAX_TOMBSTONE_HOPS = 20


ROWS_PER_SECTION = reads.ROWS_PER_SECTION


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


def _appointment_lines(conn, patient_id: int, *, upcoming: bool, now: datetime):
    rows = conn.execute(reads.UPCOMING if upcoming else reads.PAST, {"pid": patient_id, "now": now})
    return tuple(AppointmentLine(r[0], r[1], r[2], r[3], AppointmentStatus(r[4]), r[5]) for r in rows)


def _patient_row(conn, patient_id: int):
    """The patient's row (columns by name), following merge tombstones like `_follow`."""
    if not isinstance(patient_id, int) or isinstance(patient_id, bool):
        raise UserError("a patient is chosen by number")
    asked = conn.execute(reads.PATIENT, {"id": patient_id}).first()
    if asked is None:
        raise UserError(f"patient {patient_id} does not exist")
    patient, hops = asked, 0
    while patient.merged_into_id is not None and hops < MAX_TOMBSTONE_HOPS:
        patient = conn.execute(reads.PATIENT, {"id": patient.merged_into_id}).one()
        hops += 1
    return asked, patient


def get_record(ctx: AppContext, actor: Actor, patient_id: int) -> PatientRecord:
    """Everything the record screen shows. Audited as a view. A merged-away record opens its
    survivor (with `redirected_from` set)."""
    now = ctx.now()
    with ctx.db.read() as session:  # no write lock while reading; the view's event follows
        conn = session.connection()  # prebuilt statements (record_reads.py), plain rows
        asked, patient = _patient_row(conn, patient_id)
        pid = patient.id
        by_patient = {"pid": pid}
        coverages = tuple(CoverageRow(*row) for row in conn.execute(reads.COVERAGES, by_patient))
        callbacks = tuple(CallbackLine(*row) for row in conn.execute(reads.CALLBACKS, by_patient))
        payments = tuple(PaymentLine(r[0], r[1], r[2], r[3], r[4], r[5] is not None)
                         for r in conn.execute(reads.PAYMENTS, by_patient))
        letters = tuple(LetterLine(*row) for row in conn.execute(reads.LETTERS, by_patient))
        referrals = tuple(
            ReferralLine(r.id, r.received_on, r.party, r.specialty, r.status, r.number, r.kind, r.summary)
            for r in patient_rows(session, pid, ctx.today(), limit=ROWS_PER_SECTION))
        updated_by = (conn.execute(reads.STAFF_NAME, {"id": patient.updated_by_id}).scalar()
                      if patient.updated_by_id is not None else None)
        record = PatientRecord(
            id=pid, mrn=patient.mrn, version=patient.version_id, given_name=patient.given_name,
            middle_name=patient.middle_name, family_name=patient.family_name,
            preferred_name=patient.preferred_name, birth_date=patient.birth_date, sex=patient.sex,
            phone_mobile=patient.phone_mobile, phone_home=patient.phone_home, email=patient.email,
            address_line1=patient.address_line1, address_line2=patient.address_line2,
            city=patient.city, region=patient.region, postal_code=patient.postal_code,
            country=patient.country, preferred_language=patient.preferred_language,
            alerts=patient.alerts, deceased_date=patient.deceased_date,
            updated_at=patient.updated_at, updated_by=updated_by,
            redirected_from=asked.mrn if asked.id != pid else None,
            coverages=coverages,
            upcoming=_appointment_lines(conn, pid, upcoming=True, now=now),
            past=_appointment_lines(conn, pid, upcoming=False, now=now),
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

