"""A patient's record: reading it (audited), editing it (validated, one transaction, race-safe),
registering a new patient with a duplicate check, and merging two records (supervisors).

Everything returned is a frozen dataclass; no ORM object leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select, update

from coordinator_tui.domain import names, phones
from coordinator_tui.domain.patient_validation import (
    FIELD_LABELS,
    FIELDS,
    FieldError,
    validate_patient,
)
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Callback,
    Coverage,
    FormSignature,
    Patient,
    Payer,
    Payment,
    Provider,
    Referral,
    StaffUser,
    WaitlistEntry,
)

MAX_TOMBSTONE_HOPS = 20
ROWS_PER_SECTION = 50
NAME_SIMILAR = 0.85
CLOSED_STATUSES = {AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value,
                   AppointmentStatus.CHECKED_OUT.value}


class ValidationFailed(UserError):
    """The form has field errors; `errors` says which field and what to type."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in errors))


class DuplicatesFound(UserError):
    """Registration stopped: these existing patients look like the one being registered."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        self.candidates = list(candidates)
        mrns = ", ".join(c.mrn for c in candidates)
        super().__init__(f"possible duplicate of {mrns}; choose the existing patient or "
                         f"register anyway")


# --- what the record screen shows ---------------------------------------------------------------


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
class ReferralLine:
    id: int
    received_on: date
    referring_party: str | None
    to_specialty: str | None
    status: str
    auth_number: str | None


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
class DuplicateCandidate:
    patient_id: int
    mrn: str
    name: str
    birth_date: date
    reason: str


@dataclass(frozen=True)
class Registered:
    patient_id: int
    mrn: str
    version: int


@dataclass(frozen=True)
class Updated:
    patient_id: int
    version: int
    changed: tuple[str, ...]


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


@dataclass(frozen=True)
class ResolvedMrn:
    patient_id: int
    mrn: str
    asked_mrn: str

    @property
    def redirected(self) -> bool:
        return self.mrn != self.asked_mrn


# --- helpers ------------------------------------------------------------------------------------


def _follow(session, patient: Patient) -> Patient:
    hops = 0
    while patient.merged_into_id is not None and hops < MAX_TOMBSTONE_HOPS:
        patient = session.get(Patient, patient.merged_into_id)
        hops += 1
    return patient


def _load_patient(session, patient_id: int) -> Patient:
    if not isinstance(patient_id, int) or isinstance(patient_id, bool):
        raise UserError("a patient is chosen by number")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    return patient


def _set_search_keys(patient: Patient) -> None:
    patient.family_key = names.name_key(patient.family_name)
    patient.given_key = names.name_key(patient.given_name)
    patient.family_phonetic = names.phonetic(patient.family_name)[:32]
    patient.given_phonetic = names.phonetic(patient.given_name)[:32]
    patient.phone_mobile_rev = phones.reversed_digits(patient.phone_mobile)
    patient.phone_home_rev = phones.reversed_digits(patient.phone_home)


def _staff_name(session, staff_id: int | None) -> str | None:
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


# --- reading -------------------------------------------------------------------------------------


def get_record(ctx: AppContext, actor: Actor, patient_id: int) -> PatientRecord:
    """Everything the record screen shows. Audited as a view. A merged-away record opens its
    survivor (with `redirected_from` set)."""
    now = ctx.now()
    with ctx.db.write() as session:
        asked = _load_patient(session, patient_id)
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
        referrals = tuple(
            ReferralLine(r.id, r.received_on, r.referring_party, r.to_specialty, r.status,
                         r.auth_number)
            for r in session.scalars(select(Referral).where(Referral.patient_id == pid)
                                     .order_by(Referral.received_on.desc())
                                     .limit(ROWS_PER_SECTION)))
        record = PatientRecord(
            id=pid, mrn=patient.mrn, version=patient.version_id, given_name=patient.given_name,
            middle_name=patient.middle_name, family_name=patient.family_name,
            preferred_name=patient.preferred_name, birth_date=patient.birth_date, sex=patient.sex,
            phone_mobile=patient.phone_mobile, phone_home=patient.phone_home, email=patient.email,
            address_line1=patient.address_line1, address_line2=patient.address_line2,
            city=patient.city, region=patient.region, postal_code=patient.postal_code,
            country=patient.country, preferred_language=patient.preferred_language,
            alerts=patient.alerts, deceased_date=patient.deceased_date,
            updated_at=patient.updated_at, updated_by=_staff_name(session, patient.updated_by_id),
            redirected_from=asked.mrn if asked.id != pid else None,
            coverages=coverages,
            upcoming=_appointment_lines(session, pid, upcoming=True, now=now),
            past=_appointment_lines(session, pid, upcoming=False, now=now),
            callbacks=callbacks, payments=payments, referrals=referrals,
        )
        audit.record(session, actor, "patient.view", now, patient_id=pid, entity="patient",
                     entity_id=pid,
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


# --- editing -------------------------------------------------------------------------------------


def _conflict_message(ctx: AppContext, session, patient: Patient) -> str:
    who = _staff_name(session, patient.updated_by_id) or "another desk"
    when = ctx.local(patient.updated_at).strftime("%H:%M")
    return f"changed by {who} at {when}; your changes were not saved; reloaded"


def _stored(value):
    return value.isoformat() if isinstance(value, date) else value


def update_patient(ctx: AppContext, actor: Actor, patient_id: int, changes: dict,
                   expected_version: int) -> Updated:
    """Apply the edited fields (text as typed). Nothing is saved when any field is wrong
    (ValidationFailed) or when another desk saved this patient since `expected_version`
    (ConflictError naming who and when)."""
    unknown = [name for name in changes if name not in FIELDS]
    if unknown:
        raise UserError(f"unknown field(s): {', '.join(sorted(unknown))[:80]}")
    now = ctx.now()
    with ctx.db.write() as session:
        patient = _load_patient(session, patient_id)
        # Inside the transaction: a State or ZIP typed alone is checked against the country on file.
        checked = validate_patient(changes, today=ctx.today(), partial=True, country=patient.country,
                                   day_first=ctx.settings.day_first)
        if not checked.ok:
            raise ValidationFailed(checked.errors)
        if patient.merged_into_id is not None:
            raise UserError(f"{patient.mrn} was merged into another record; edit that one")
        if patient.version_id != expected_version:
            raise ConflictError(_conflict_message(ctx, session, patient))
        diff: dict[str, list] = {}
        for name, value in checked.values.items():
            old = getattr(patient, name)
            if old != value:
                diff[name] = [_stored(old), _stored(value)]
                setattr(patient, name, value)
        if not diff:
            return Updated(patient.id, patient.version_id, ())
        _set_search_keys(patient)
        patient.updated_at = now
        patient.updated_by_id = actor.id
        session.flush()
        audit.record(session, actor, "patient.update", now, patient_id=patient.id,
                     entity="patient", entity_id=patient.id, detail={"changed": diff})
        return Updated(patient.id, patient.version_id, tuple(diff))


# --- duplicates and registration --------------------------------------------------------------


def _similar_names(given: str, family: str, p_given: str, p_family: str) -> bool:
    def close(a: str, b: str) -> bool:
        return (names.similarity(a, b) >= NAME_SIMILAR
                or (bool(names.phonetic(a)) and names.phonetic(a) == names.phonetic(b)
                    and names.similarity(a, b) >= 0.7))

    straight = close(family, p_family) and (close(given, p_given)
                                            or names.name_key(given)[:1] == names.name_key(p_given)[:1])
    swapped = close(family, p_given) and close(given, p_family)
    return straight or swapped


def duplicates_in(session, values: dict, member_id: str | None = None,
                     exclude: set[int] = frozenset()) -> list[DuplicateCandidate]:
    found: dict[int, tuple[Patient, list[str]]] = {}

    def note(patient: Patient, reason: str) -> None:
        if patient.id in exclude or patient.merged_into_id is not None:
            return
        entry = found.setdefault(patient.id, (patient, []))
        if reason not in entry[1]:
            entry[1].append(reason)

    birth = values.get("birth_date")
    given, family = values.get("given_name") or "", values.get("family_name") or ""
    if birth and (given or family):
        # Indexed: ix_patients_birth_date_family_key (a few dozen rows per day at 1M patients).
        for patient in session.scalars(select(Patient).where(Patient.birth_date == birth).limit(500)):
            if _similar_names(given, family, patient.given_name, patient.family_name):
                same = (names.name_key(given) == patient.given_key
                        and names.name_key(family) == patient.family_key)
                note(patient, "same birth date and same name" if same
                     else "same birth date and similar name")
    for column in ("phone_mobile", "phone_home"):
        rev = phones.reversed_digits(values.get(column))
        if not rev:
            continue
        for patient in session.scalars(select(Patient).where(
                or_(Patient.phone_mobile_rev == rev, Patient.phone_home_rev == rev)).limit(50)):
            note(patient, "same phone")
    member = (member_id or "").strip()
    if member:
        for patient in session.scalars(
                select(Patient).join(Coverage, Coverage.patient_id == Patient.id)
                .where(Coverage.member_id == member).limit(20)):
            note(patient, "same member id")
    return [DuplicateCandidate(p.id, p.mrn, f"{p.family_name}, {p.given_name}", p.birth_date,
                               "; ".join(reasons))
            for p, reasons in sorted(found.values(), key=lambda item: (-len(item[1]), item[0].id))]


def find_duplicates(ctx: AppContext, actor: Actor, form: dict) -> list[DuplicateCandidate]:
    """Existing patients who look like the one in `form`, each with why it matched. Only the
    fields that are valid are used (so it can run while the form is half filled)."""
    checked = validate_patient({k: v for k, v in form.items() if k in FIELDS},
                               today=ctx.today(), partial=True, day_first=ctx.settings.day_first)
    bad = {e.field for e in checked.errors}
    values = {k: v for k, v in checked.values.items() if k not in bad}
    with ctx.db.read() as session:
        return duplicates_in(session, values, form.get("member_id"))


def next_mrn(session) -> str:
    top = session.scalar(select(func.max(Patient.mrn)).where(Patient.mrn.like("M_______")))
    number = int(top[1:]) + 1 if top and top[1:].isdigit() else 1
    return f"M{number:07d}"


def new_patient(values: dict, *, mrn: str, now: datetime, actor_id: int | None) -> Patient:
    """A Patient built from validated values, search keys filled in."""
    patient = Patient(mrn=mrn, created_at=now, updated_at=now, updated_by_id=actor_id,
                      country="US", preferred_language="English")
    for name, value in values.items():
        if value is not None or name not in ("country", "preferred_language"):
            setattr(patient, name, value)
    _set_search_keys(patient)
    return patient


def register_patient(ctx: AppContext, actor: Actor, form: dict, *,
                     confirm_not_duplicate_of: list[int] | tuple[int, ...] = ()) -> Registered:
    """Quick (names, birth date, sex, phone) or full registration. Raises ValidationFailed for
    field errors, and DuplicatesFound when look-alikes exist that the user has not yet seen and
    dismissed (`confirm_not_duplicate_of` lists the ids they chose to register past)."""
    checked = validate_patient({k: v for k, v in form.items() if k in FIELDS}, today=ctx.today(),
                               day_first=ctx.settings.day_first)
    if not checked.ok:
        raise ValidationFailed(checked.errors)
    now = ctx.now()
    with ctx.db.write() as session:
        candidates = duplicates_in(session, checked.values, form.get("member_id"))
        unseen = [c for c in candidates if c.patient_id not in set(confirm_not_duplicate_of)]
        if unseen:
            raise DuplicatesFound(candidates)
        patient = new_patient(checked.values, mrn=next_mrn(session), now=now, actor_id=actor.id)
        session.add(patient)
        session.flush()
        audit.record(session, actor, "patient.register", now, patient_id=patient.id,
                     entity="patient", entity_id=patient.id,
                     detail={"dismissed_duplicates": [c.mrn for c in candidates]} if candidates
                     else None)
        return Registered(patient.id, patient.mrn, patient.version_id)


# --- merging -------------------------------------------------------------------------------------


def merge_patients(ctx: AppContext, actor: Actor, survivor_id: int, merged_id: int,
                   reason: str) -> MergeResult:
    """Move everything of `merged_id` onto `survivor_id` and leave `merged_id` as a tombstone
    pointing at it. One transaction, audited on both records."""
    require(actor, Permission.MERGE_PATIENTS)
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("say why the two records are the same patient")
    if survivor_id == merged_id:
        raise UserError("choose two different records to merge")
    now = ctx.now()
    with ctx.db.write() as session:
        survivor = _load_patient(session, survivor_id)
        merged = _load_patient(session, merged_id)
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


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
