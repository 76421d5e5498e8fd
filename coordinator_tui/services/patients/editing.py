"""Registering and editing a patient: validation, look-alike (duplicate) detection, MRNs, optimistic versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, or_, select

from coordinator_tui.domain import names, phones
from coordinator_tui.domain.patient_validation import (
    FIELDS,
    validate_patient,
)
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.patients.records import (
    ValidationFailed,
    load_patient,
    set_search_keys,
    staff_name,
)
from coordinator_tui.store.models import (
    Coverage,
    Patient,
)

NAME_SIMILAR = 0.85


class DuplicatesFound(UserError):
    """Registration stopped: these existing patients look like the one being registered."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        self.candidates = list(candidates)
        mrns = ", ".join(c.mrn for c in candidates)
        super().__init__(f"possible duplicate of {mrns}; choose the existing patient or "
                         f"register anyway")


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


def _conflict_message(ctx: AppContext, session, patient: Patient) -> str:
    who = staff_name(session, patient.updated_by_id) or "another desk"
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
        patient = load_patient(session, patient_id)
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
        set_search_keys(patient)
        patient.updated_at = now
        patient.updated_by_id = actor.id
        session.flush()
        audit.record(session, actor, "patient.update", now, patient_id=patient.id,
                     entity="patient", entity_id=patient.id, detail={"changed": diff})
        return Updated(patient.id, patient.version_id, tuple(diff))


class _Name:
    """A name's key and sound-alike key, each worked out once (the check compares one typed name
    with dozens of namesakes inside the write transaction)."""

    __slots__ = ("key", "_sound")

    def __init__(self, text: str):
        self.key = names.name_key(text)
        self._sound: str | None = None

    @property
    def sound(self) -> str:
        if self._sound is None:
            self._sound = names.phonetic_of_key(self.key)
        return self._sound


def _close(a: _Name, b: _Name) -> bool:
    similarity = names.similarity_of_keys(a.key, b.key)
    return similarity >= NAME_SIMILAR or (similarity >= 0.7 and bool(a.sound) and a.sound == b.sound)


def _similar_names(given: _Name, family: _Name, p_given: _Name, p_family: _Name) -> bool:
    straight = _close(family, p_family) and (_close(given, p_given) or given.key[:1] == p_given.key[:1])
    swapped = _close(family, p_given) and _close(given, p_family)
    return straight or swapped


# Built once, plain rows of the few columns the check reads: registration runs it inside its
# write transaction, and full Patient objects for every namesake born that day cost ~10x more.
_DUP_COLUMNS = (Patient.id, Patient.mrn, Patient.given_name, Patient.family_name, Patient.given_key,
                Patient.family_key, Patient.birth_date, Patient.merged_into_id, Patient.version_id)
_BY_BIRTH = select(*_DUP_COLUMNS).where(Patient.birth_date == bindparam("birth")).limit(500)
_BY_PHONE = select(*_DUP_COLUMNS).where(or_(Patient.phone_mobile_rev == bindparam("rev"),
                                            Patient.phone_home_rev == bindparam("rev"))).limit(50)
_BY_MEMBER = (select(*_DUP_COLUMNS).join(Coverage, Coverage.patient_id == Patient.id)
              .where(Coverage.member_id == bindparam("member")).limit(20))


def duplicates_in(session, values: dict, member_id: str | None = None,
                  exclude: set[int] = frozenset(), *,
                  names_compared: dict | None = None) -> list[DuplicateCandidate]:
    """Existing patients who look like `values`, each with why. `names_compared` keeps each
    namesake's verdict by (id, version): asked again (inside a registration's write lock, after
    the same check read without it) only patients new or changed since are compared."""
    found: dict[int, tuple[Patient, list[str]]] = {}
    verdicts = names_compared if names_compared is not None else {}

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
        typed_given, typed_family = _Name(given), _Name(family)
        for patient in session.execute(_BY_BIRTH, {"birth": birth}):
            seen = (patient.id, patient.version_id)
            similar = verdicts.get(seen)
            if similar is None:
                similar = verdicts[seen] = _similar_names(
                    typed_given, typed_family, _Name(patient.given_name), _Name(patient.family_name))
            if similar:
                same = typed_given.key == patient.given_key and typed_family.key == patient.family_key
                note(patient, "same birth date and same name" if same
                     else "same birth date and similar name")
    for column in ("phone_mobile", "phone_home"):
        rev = phones.reversed_digits(values.get(column))
        if not rev:
            continue
        for patient in session.execute(_BY_PHONE, {"rev": rev}):
            note(patient, "same phone")
    member = (member_id or "").strip()
    if member:
        for patient in session.execute(_BY_MEMBER, {"member": member}):
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


_TOP_MRN = select(func.max(Patient.mrn)).where(Patient.mrn.like("M_______"))  # built once


def next_mrn(session) -> str:
    top = session.connection().execute(_TOP_MRN).scalar()  # Core: every registration asks it
    number = int(top[1:]) + 1 if top and top[1:].isdigit() else 1
    return f"M{number:07d}"


def new_patient(values: dict, *, mrn: str, now: datetime, actor_id: int | None) -> Patient:
    """A Patient built from validated values, search keys filled in."""
    patient = Patient(mrn=mrn, created_at=now, updated_at=now, updated_by_id=actor_id,
                      country="US", preferred_language="English")
    for name, value in values.items():
        if value is not None or name not in ("country", "preferred_language"):
            setattr(patient, name, value)
    set_search_keys(patient)
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
    member = form.get("member_id")
    # The look-alike check compares names in Python with every namesake born that day: done
    # first in a read, so that inside the write lock the same indexed questions are asked again
    # and only patients new or changed since (another version) are compared (issue 23 point 2:
    # the lock is held for the writes). The answer inside the lock is the whole check.
    compared: dict = {}
    with ctx.db.read() as session:
        duplicates_in(session, checked.values, member, names_compared=compared)
    with ctx.db.write() as session:
        candidates = duplicates_in(session, checked.values, member, names_compared=compared)
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

