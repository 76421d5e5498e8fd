"""HL7 v2 patients: PID read into the desk's registration form, the EHR's identifier linked to
our patient, and A01/A04/A08/A28/A31 (register or update) and A40 (merge) applied inside the
caller's transaction with the desk's rules (validation, look-alike check, merge tombstones)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, select

from coordinator_tui.domain.patient_validation import REQUIRED, validate_patient
from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import Hl7Message
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange.links import find_local, link_new
from coordinator_tui.services.exchange.refusal import Held, Refused
from coordinator_tui.services.patients.editing import duplicates_in, new_patient, next_mrn
from coordinator_tui.services.patients.merge import merge_in
from coordinator_tui.services.patients.records import set_search_keys
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.store.models import Patient

_SEX = {"M": "M", "F": "F", "O": "X", "A": "X", "N": "U", "U": "U"}
_COUNTRY3 = {"USA": "US", "CAN": "CA", "MEX": "MX", "GBR": "GB", "DEU": "DE", "FRA": "FR",
             "ESP": "ES", "ITA": "IT", "NLD": "NL", "IRL": "IE", "AUS": "AU"}
_DIGITS = re.compile(r"\D")
_BY_MRN = select(Patient.id).where(Patient.mrn == bindparam("mrn"))  # built once (Core, per message)


def _date(value: str) -> str:
    digits = value[:8]
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return value


def patient_identifier(message: Hl7Message, segment: str = "PID", field: int = 3) -> str:
    """The EHR's id of the patient: the PID-3 repetition typed MR, else the first one."""
    count = max(message.repetitions(segment, field), 1)
    for rep in range(1, count + 1):
        if message.get(segment, field, 5, rep).upper() == "MR" and message.get(segment, field, 1, rep):
            return message.get(segment, field, 1, rep)[:64]
    return (message.get(segment, field, 1) or message.get(segment, 2, 1))[:64]


def _phones(message: Hl7Message, form: dict) -> None:
    for field, target in ((13, "phone_home"), (14, "phone_work")):
        for rep in range(1, max(message.repetitions("PID", field), 1) + 1):
            use, kind = message.get("PID", field, 2, rep).upper(), message.get("PID", field, 3, rep).upper()
            if kind in ("INTERNET", "X.400") or use == "NET":
                form.setdefault("email", message.get("PID", field, 4, rep))
                continue
            number = message.get("PID", field, 1, rep)
            if not _DIGITS.sub("", number):
                number = message.get("PID", field, 6, rep) + message.get("PID", field, 7, rep)
            if not _DIGITS.sub("", number):
                continue
            key = "phone_mobile" if kind == "CP" or use == "ORN" else target
            if key != "phone_work":
                form.setdefault(key, number)


def patient_form(message: Hl7Message) -> dict:
    """PID as the desk's registration form (text, validated later by the desk's rules)."""
    form = {
        "family_name": message.get("PID", 5, 1),
        "given_name": message.get("PID", 5, 2),
        "middle_name": message.get("PID", 5, 3),
        "birth_date": _date(message.get("PID", 7)),
        "sex": _SEX.get(message.get("PID", 8).upper()[:1], message.get("PID", 8)),
    }
    street = " ".join(p for p in (message.get("PID", 11, 1, 1, s) for s in (1, 2, 3)) if p)
    address = {"address_line1": street, "address_line2": message.get("PID", 11, 2),
               "city": message.get("PID", 11, 3), "region": message.get("PID", 11, 4),
               "postal_code": message.get("PID", 11, 5)}
    country = message.get("PID", 11, 6).upper()
    if any(address.values()):
        form.update(address)
        if country:
            form["country"] = _COUNTRY3.get(country, country)
    _phones(message, form)
    language = message.get("PID", 15, 2) or message.get("PID", 15, 1)
    if language and len(language) > 3:
        form["preferred_language"] = language
    return {k: v for k, v in form.items() if v}


def checked_values(ctx: AppContext, form: dict, *, partial: bool) -> tuple[dict, list[str]]:
    """The desk's validation. A required field that is wrong refuses the message; a wrong
    optional one (a phone, a ZIP) is left out and named in the acknowledgement."""
    country = str(form.get("country") or "").upper()
    if country in _COUNTRY3:
        form = {**form, "country": _COUNTRY3[country]}
    ignored: list[str] = []
    for _ in range(4):  # leaving a field out can expose another (no country: the ZIP is US)
        checked = validate_patient(form, today=ctx.today(), partial=partial)
        if checked.ok:
            break
        fatal = [e for e in checked.errors if e.field in REQUIRED]
        if fatal:
            raise Refused("; ".join(str(e) for e in fatal))
        ignored += [e.field for e in checked.errors]
        form = {k: v for k, v in form.items() if k not in ignored}
    if not checked.ok:
        raise Refused("; ".join(str(e) for e in checked.errors))
    values = checked.values
    if partial:
        values = {k: v for k, v in values.items() if k in form}
    return values, ignored


def find_patient(session, system: str, identifier: str) -> Patient | None:
    """Our patient for the EHR's id: a link made before, else our own MRN sent back to us."""
    if not identifier:
        return None
    local = find_local(session, system, "patient", identifier)
    if local is not None:
        return session.get(Patient, local)
    local = session.connection().execute(_BY_MRN, {"mrn": identifier.upper()}).scalar()
    return session.get(Patient, local) if local is not None else None


def _survivor(session, patient: Patient) -> Patient:
    for _ in range(20):
        if patient.merged_into_id is None:
            break
        patient = session.get(Patient, patient.merged_into_id)
    return patient


def upsert_patient(session, ctx: AppContext, actor: Actor, message: Hl7Message,
                   now: datetime, *, look_alikes_seen: bool = False) -> tuple[Patient, str]:
    """Register (or update, when we know the patient) from PID. Returns (patient, note).
    `look_alikes_seen`: a person reviewed the held look-alikes and chose to register."""
    identifier = patient_identifier(message)
    form = patient_form(message)
    existing = find_patient(session, message.sender, identifier)
    if existing is not None:
        patient = _survivor(session, existing)
        values, ignored = checked_values(ctx, form, partial=True)
        changed = [name for name, value in values.items() if getattr(patient, name) != value]
        for name in changed:
            setattr(patient, name, values[name])
        if changed:
            set_search_keys(patient)
            patient.updated_at = now
            patient.updated_by_id = actor.id
            session.flush()
            audit.record(session, actor, "patient.update", now, patient_id=patient.id,
                         entity="patient", entity_id=patient.id,
                         detail={"changed": changed, "via": message.message_type})
        return patient, _ignored_note(ignored)
    values, ignored = checked_values(ctx, form, partial=False)
    look_alikes = [] if look_alikes_seen else duplicates_in(session, values)
    if look_alikes:
        first = look_alikes[0]
        raise Held(f"looks like existing patient {first.mrn} ({first.reason}); held for a "
                   f"person to decide", [c.mrn for c in look_alikes])
    patient = new_patient(values, mrn=next_mrn(session), now=now, actor_id=actor.id)
    session.add(patient)
    session.flush()
    if identifier:
        link_new(session, message.sender, "patient", identifier, patient.id)  # none: looked above
    audit.record(session, actor, "patient.register", now, patient_id=patient.id, entity="patient",
                 entity_id=patient.id, detail={"via": message.message_type})
    return patient, _ignored_note(ignored)


def _ignored_note(ignored: list[str]) -> str:
    return f"left out (not valid): {', '.join(ignored)}" if ignored else ""


def merge_from(session, ctx: AppContext, actor: Actor, message: Hl7Message,
               now: datetime) -> tuple[Patient, str]:
    """A40: the record named in MRG-1 is merged into the one in PID-3 (our merge, tombstone)."""
    if not allows(actor, Permission.MERGE_PATIENTS):
        raise Refused(f"{actor.username} may not merge patients (the interface account needs the "
                      f"supervisor role)")
    if not message.has("MRG"):
        raise Refused("A40 without an MRG segment")
    survivor = find_patient(session, message.sender, patient_identifier(message))
    prior_id = message.get("MRG", 1, 1)
    merged = find_patient(session, message.sender, prior_id)
    if survivor is None or merged is None:
        which = "PID-3" if survivor is None else "MRG-1"
        raise Refused(f"the patient in {which} is not one we know")
    survivor = _survivor(session, survivor)
    if merged.merged_into_id is not None and _survivor(session, merged).id == survivor.id:
        return survivor, "already merged"
    if merged.id == survivor.id:
        raise Refused("PID-3 and MRG-1 name the same patient")
    try:
        merge_in(session, actor, survivor, merged, f"{message.message_type} from {message.sender}",
                 now)
    except UserError as exc:
        raise Refused(str(exc)) from None
    return survivor, ""
