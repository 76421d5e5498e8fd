"""Adding and changing referrals and prior authorisations, and the documents received for them.

Every change appends to `referral_events` (who, when, which field, from what, to what) in the
same write transaction as the change and its audit row. Bad input is refused whole: nothing is
saved (dates out of order, negative visits, a merged or unknown patient, a number the same payer
already gave another patient, a document dated in the future)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import (
    ReferralKind,
    check_not_future,
    check_visits,
    check_window,
)
from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import ReferralStatus
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.referrals.counting import primary_payer
from coordinator_tui.services.versions import check_version
from coordinator_tui.store.models import (
    AppointmentType,
    Patient,
    Provider,
    Referral,
    ReferralDocument,
    ReferralEvent,
    ReferralType,
)

TEXT_LIMITS = {"auth_number": 40, "referring_party": 200, "to_specialty": 80, "reason": 300,
               "procedure_codes": 200, "notes": 2000}
FIELD_WORDS = {"auth_number": "the number", "referring_party": "the referring or receiving party",
               "to_specialty": "the specialty", "reason": "the reason",
               "procedure_codes": "the procedure codes", "notes": "the notes"}
# What update_referral may change (besides status, types and the provider).
CHANGEABLE = ("auth_number", "referring_party", "to_specialty", "reason", "procedure_codes", "notes",
              "auth_visits", "auth_valid_from", "auth_valid_to", "replied_on")


def live_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id) if isinstance(patient_id, int) else None
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    if patient.merged_into_id is not None:
        survivor = session.get(Patient, patient.merged_into_id)
        raise UserError(f"patient {patient.mrn} was merged into {survivor.mrn if survivor else 'another record'}; "
                        f"use the surviving record")
    return patient


def load_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id) if isinstance(referral_id, int) else None
    if referral is None:
        raise UserError(f"there is no referral {referral_id}")
    return referral


def _status(value: str) -> str:
    try:
        return ReferralStatus((value or "").strip().lower()).value
    except ValueError:
        raise UserError(f"unknown status {str(value)[:20]!r}: one of "
                        f"{', '.join(s.value for s in ReferralStatus)}") from None


def _type_ids(session: Session, codes: Iterable[str]) -> list[int]:
    ids = []
    for code in codes:
        code = (code or "").strip().upper()
        if not code:
            continue
        found = session.scalar(select(AppointmentType.id).where(AppointmentType.code == code))
        if found is None:
            raise UserError(f"there is no appointment type {code[:12]!r}")
        if found not in ids:
            ids.append(found)
    return ids


def _provider_id(session: Session, short_name: str | None) -> int | None:
    if short_name is None or not str(short_name).strip():
        return None
    found = session.scalar(select(Provider.id).where(Provider.short_name == str(short_name).strip().upper()))
    if found is None:
        raise UserError(f"there is no provider {str(short_name).strip()[:16]!r}")
    return found


def _clean_fields(values: dict, today: date) -> dict:
    out = {}
    for name, value in values.items():
        if name in TEXT_LIMITS:
            out[name] = clean_text(value, FIELD_WORDS[name], limit=TEXT_LIMITS[name])
        elif name == "auth_visits":
            check_visits(value)
            out[name] = value
        elif name in ("auth_valid_from", "auth_valid_to", "replied_on", "received_on"):
            if value is not None and (not isinstance(value, date)):
                raise UserError(f"{name.replace('_', ' ')} must be a date")
            out[name] = value
        else:
            raise UserError(f"{name} cannot be changed here")
    for name in ("replied_on", "received_on"):
        if out.get(name) is not None:
            check_not_future(out[name], today, "the reply date" if name == "replied_on" else "the date received")
    return out


def _number_taken(session: Session, payer_id: int | None, number: str | None, patient_id: int,
                  own_id: int | None = None) -> None:
    if payer_id is None or not number:
        return
    # The same number typed in another case ("a123" for "A123") is the same number.
    stmt = select(Referral.id).where(Referral.payer_id == payer_id,
                                     func.upper(Referral.auth_number) == number.upper(),
                                     Referral.patient_id != patient_id)
    if own_id is not None:
        stmt = stmt.where(Referral.id != own_id)
    other = session.scalar(stmt.limit(1))
    if other is not None:
        raise UserError(f"number {number} is already used by referral {other} for another patient "
                        f"with the same payer")


def _event(session: Session, actor: Actor, referral_id: int, at, field: str, before, after) -> None:
    session.add(ReferralEvent(referral_id=referral_id, at=at, by_id=actor.id, field=field,
                              from_value=None if before is None else str(before)[:300],
                              to_value=None if after is None else str(after)[:300]))


def add_referral(ctx: AppContext, actor: Actor, patient_id: int, *, kind: ReferralKind | str,
                 number: str | None = None, party: str | None = None, specialty: str | None = None,
                 provider: str | None = None, type_codes: Iterable[str] = (),
                 procedure_codes: str | None = None, visits: int | None = None,
                 valid_from: date | None = None, valid_to: date | None = None,
                 status: str = "requested", received_on: date | None = None,
                 reason: str | None = None, notes: str | None = None) -> int:
    """A new referral or authorisation on the patient's primary coverage. Returns its id."""
    at = ctx.now()
    with ctx.db.write() as session:
        return add_referral_in(session, ctx, actor, patient_id, kind=kind, number=number, party=party,
                               specialty=specialty, provider=provider, type_codes=type_codes,
                               procedure_codes=procedure_codes, visits=visits, valid_from=valid_from,
                               valid_to=valid_to, status=status, received_on=received_on,
                               reason=reason, notes=notes, at=at)


def add_referral_in(session: Session, ctx: AppContext, actor: Actor, patient_id: int, *,
                    kind: ReferralKind | str, at, number: str | None = None, party: str | None = None,
                    specialty: str | None = None, provider: str | None = None,
                    type_codes: Iterable[str] = (), procedure_codes: str | None = None,
                    visits: int | None = None, valid_from: date | None = None,
                    valid_to: date | None = None, status: str = "requested",
                    received_on: date | None = None, reason: str | None = None,
                    notes: str | None = None) -> int:
    """`add_referral` inside the caller's write transaction (check-in records the authorisation
    the payer just gave and links the visit to it in one go)."""
    try:
        kind = ReferralKind(kind)
    except ValueError:
        raise UserError(f"unknown kind {str(kind)[:20]!r}") from None
    today = ctx.today()
    fields = _clean_fields({"auth_number": number, "referring_party": party, "to_specialty": specialty,
                            "reason": reason, "procedure_codes": procedure_codes, "notes": notes,
                            "auth_visits": visits, "auth_valid_from": valid_from,
                            "auth_valid_to": valid_to, "received_on": received_on or today}, today)
    check_window(valid_from, valid_to)
    status = _status(status)
    patient = live_patient(session, patient_id)
    coverage_id, payer_id = primary_payer(session, patient.id)
    _number_taken(session, payer_id, fields["auth_number"], patient.id)
    type_ids = _type_ids(session, type_codes)
    referral = Referral(patient_id=patient.id, kind=kind.value, coverage_id=coverage_id,
                        payer_id=payer_id, to_provider_id=_provider_id(session, provider),
                        status=status, created_at=at, created_by_id=actor.id, **fields)
    session.add(referral)
    session.flush()
    session.add_all(ReferralType(referral_id=referral.id, appointment_type_id=t) for t in type_ids)
    _event(session, actor, referral.id, at, "status", None, status)
    session.flush()
    audit.record(session, actor, "referral.add", at, patient_id=patient.id, entity="referral",
                 entity_id=referral.id, detail={"kind": kind.value, "status": status})
    return referral.id


def update_referral(ctx: AppContext, actor: Actor, referral_id: int, *,
                    expected_version: int | None = None, status: str | None = None,
                    type_codes: Iterable[str] | None = None, provider: str | None = None,
                    document: str | None = None, document_date: date | None = None,
                    **changes) -> int:
    """Change what was given; each field changed is one history event. Returns the new version.
    `document` (received on `document_date`, default today) is recorded in the same transaction:
    the changes and the document are saved together or not at all."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise UserError(f"cannot change {', '.join(sorted(unknown))}")
    today = ctx.today()
    changes = _clean_fields(changes, today)
    if document is not None:
        document, document_date = _clean_document(document, document_date, today)
    at = ctx.now()
    with ctx.db.write() as session:
        referral = load_referral(session, referral_id)
        live_patient(session, referral.patient_id)
        check_version(referral, expected_version, what=f"referral {referral_id}")
        check_window(changes.get("auth_valid_from", referral.auth_valid_from),
                     changes.get("auth_valid_to", referral.auth_valid_to))
        if "auth_number" in changes:
            _number_taken(session, referral.payer_id, changes["auth_number"], referral.patient_id, referral.id)
        if changes.get("replied_on") is not None and referral.kind != ReferralKind.OUTGOING.value:
            raise UserError("only an outgoing referral has a reply date")
        changed = []
        if status is not None:
            changes = {"status": _status(status), **changes}
        if provider is not None:
            changes["to_provider_id"] = _provider_id(session, provider)
        for name, value in changes.items():
            before = getattr(referral, name)
            if before != value:
                _event(session, actor, referral.id, at, name, before, value)
                setattr(referral, name, value)
                changed.append(name)
        if type_codes is not None:
            wanted = set(_type_ids(session, type_codes))
            have = {t.appointment_type_id: t for t in session.scalars(
                select(ReferralType).where(ReferralType.referral_id == referral.id))}
            if wanted != set(have):
                for type_id, row in have.items():
                    if type_id not in wanted:
                        session.delete(row)
                session.add_all(ReferralType(referral_id=referral.id, appointment_type_id=t)
                                for t in wanted - set(have))
                _event(session, actor, referral.id, at, "types", ",".join(map(str, sorted(have))),
                       ",".join(map(str, sorted(wanted))))
                changed.append("types")
        if not changed:
            raise UserError("nothing to change: every value given is already on the referral")
        session.flush()
        audit.record(session, actor, "referral.update", at, patient_id=referral.patient_id,
                     entity="referral", entity_id=referral.id, detail={"changed": sorted(changed)})
        if document is not None:
            _document_in(session, actor, referral, document, document_date, at)
        return referral.version_id


def _clean_document(document: str, received_on: date | None, today: date) -> tuple[str, date]:
    document = clean_text(document, "the document", required=True, limit=80)
    received_on = received_on or today
    if not isinstance(received_on, date):
        raise UserError("the date received must be a date")
    check_not_future(received_on, today, "the document's date")
    return document, received_on


def _document_in(session: Session, actor: Actor, referral: Referral, document: str, received_on: date,
                 at) -> ReferralDocument:
    row = ReferralDocument(referral_id=referral.id, document=document, received_on=received_on,
                           recorded_at=at, recorded_by_id=actor.id)
    session.add(row)
    _event(session, actor, referral.id, at, "document", None, f"{document} ({received_on.isoformat()})")
    session.flush()
    audit.record(session, actor, "referral.document", at, patient_id=referral.patient_id,
                 entity="referral", entity_id=referral.id, detail={"received_on": received_on})
    return row


def add_document(ctx: AppContext, actor: Actor, referral_id: int, document: str,
                 received_on: date | None = None) -> int:
    """A document received for the referral, with the date it came (not in the future)."""
    document, received_on = _clean_document(document, received_on, ctx.today())
    at = ctx.now()
    with ctx.db.write() as session:
        referral = load_referral(session, referral_id)
        live_patient(session, referral.patient_id)
        return _document_in(session, actor, referral, document, received_on, at).id
