"""Contact preferences: which channels a patient agreed to (SMS, voice, e-mail, letter), who
recorded it and when, and the language they want to be written to in.

History is kept: every change appends a row (services never update or delete one), so the
newest row of a patient and channel is the answer and the older ones say who changed it when.
No row means not agreed: a reminder never goes by a channel nobody asked the patient about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.patient_validation import validate_patient
from coordinator_tui.domain.reminders import ConsentSource, ContactChannel
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import ContactConsent, Patient, StaffUser


@dataclass(frozen=True)
class ChannelConsent:
    channel: ContactChannel
    agreed: bool
    recorded_at: datetime | None  # None: never asked
    recorded_by: str | None
    source: ConsentSource | None


@dataclass(frozen=True)
class ContactPreferences:
    patient_id: int
    mrn: str
    language: str
    version: int  # the patient row's version: the language is saved against it
    channels: tuple[ChannelConsent, ...]
    consent_version: int = 0  # the newest consent row seen: the channels are saved against it

    def agreed(self, channel: ContactChannel) -> bool:
        return any(c.channel is channel and c.agreed for c in self.channels)

    def summary(self) -> str:
        agreed = [c.channel.label for c in self.channels if c.agreed]
        return ", ".join(agreed) if agreed else "none"


def current_consents(session: Session, patient_ids: Iterable[int] | None = None,
                     ) -> dict[tuple[int, ContactChannel], ContactConsent]:
    """The newest row per (patient, channel), for the given patients (or all)."""
    newest = select(func.max(ContactConsent.id)).group_by(ContactConsent.patient_id,
                                                         ContactConsent.channel)
    if patient_ids is not None:
        ids = list(patient_ids)
        if not ids:
            return {}
        newest = newest.where(ContactConsent.patient_id.in_(ids))
    rows = session.scalars(select(ContactConsent).where(ContactConsent.id.in_(newest)))
    return {(row.patient_id, ContactChannel(row.channel)): row for row in rows}


def _preferences(session: Session, patient: Patient) -> ContactPreferences:
    current = current_consents(session, [patient.id])
    names = dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    channels = []
    for channel in ContactChannel:
        row = current.get((patient.id, channel))
        channels.append(ChannelConsent(
            channel, bool(row and row.agreed), row.recorded_at if row else None,
            names.get(row.recorded_by_id) if row and row.recorded_by_id else None,
            ConsentSource(row.source) if row else None))
    return ContactPreferences(patient.id, patient.mrn, patient.preferred_language,
                              patient.version_id, tuple(channels),
                              max((row.id for row in current.values()), default=0))


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    if patient.merged_into_id is not None:
        raise UserError(f"{patient.mrn} was merged into another record; use that one")
    return patient


def contact_preferences(ctx: AppContext, actor: Actor, patient_id: int) -> ContactPreferences:
    """The patient's consents and language (an audited view of the record)."""
    at = ctx.now()
    with ctx.db.write() as session:
        patient = _patient(session, patient_id)
        audit.record(session, actor, "consent.view", at, patient_id=patient.id,
                     entity="patient", entity_id=patient.id)
        return _preferences(session, patient)


def append_consent(session: Session, actor: Actor | None, patient_id: int,
                   channel: ContactChannel, agreed: bool, source: ConsentSource,
                   at: datetime) -> None:
    """Inside the caller's write transaction (a STOP reply uses it too)."""
    session.add(ContactConsent(patient_id=patient_id, channel=channel.value, agreed=agreed,
                               source=source.value, recorded_at=at,
                               recorded_by_id=actor.id if actor else None))


def set_contact_preferences(ctx: AppContext, actor: Actor, patient_id: int,
                            agreed: Mapping[ContactChannel, bool], *, language: str | None = None,
                            source: ConsentSource = ConsentSource.DESK,
                            expected_version: int | None = None,
                            expected_consent_version: int | None = None) -> ContactPreferences:
    """Record the channels the patient agreed to now (channels not named keep their answer)
    and, when given, their preferred language. Only real changes are written and audited.
    `expected_version` / `expected_consent_version` are what the desk saw (the patient row, the
    newest consent row): an answer another desk recorded meanwhile is never overwritten."""
    checked_language = None
    if language is not None:
        checked = validate_patient({"preferred_language": language}, today=ctx.today(),
                                   partial=True)
        if not checked.ok:
            raise UserError(f"the language {checked.errors[0].message}")
        checked_language = checked.values.get("preferred_language", "English")
    at = ctx.now()
    with ctx.db.write() as session:
        patient = _patient(session, patient_id)
        if expected_version is not None and patient.version_id != expected_version:
            raise ConflictError("this patient was changed at another desk meanwhile; reloaded, "
                                "look again and save")
        current = current_consents(session, [patient.id])
        if expected_consent_version is not None and expected_consent_version != max(
                (row.id for row in current.values()), default=0):
            raise ConflictError("this patient's contact preferences were changed at another "
                                "desk meanwhile; reloaded, look again and save")
        changes: dict[str, bool] = {}
        for channel, wanted in agreed.items():
            channel = ContactChannel(channel)
            row = current.get((patient.id, channel))
            # A "no" from a patient never asked is an answer too: kept with who and when.
            if row is None or row.agreed != bool(wanted):
                append_consent(session, actor, patient.id, channel, bool(wanted), source, at)
                changes[channel.value] = bool(wanted)
        detail: dict[str, object] = {"channels": changes, "source": source.value}
        if checked_language is not None and checked_language != patient.preferred_language:
            detail["language"] = [patient.preferred_language, checked_language]
            patient.preferred_language = checked_language
            patient.updated_at = at
            patient.updated_by_id = actor.id
        if changes or "language" in detail:
            session.flush()
            audit.record(session, actor, "consent.change", at, patient_id=patient.id,
                         entity="patient", entity_id=patient.id, detail=detail)
        return _preferences(session, patient)


def patient_by_mrn(ctx: AppContext, mrn: str) -> int:
    """The id of the patient with this MRN (as typed, case does not matter)."""
    wanted = (mrn or "").strip().upper()
    with ctx.db.read() as session:
        found = session.scalar(select(Patient.id).where(Patient.mrn == wanted))
    if found is None:
        raise UserError(f"there is no patient with MRN {wanted[:16]!r}")
    return found
