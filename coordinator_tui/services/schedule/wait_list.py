"""The wait list and who on it fits a freed slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.domain.slots import day_bounds_utc, free_slots
from coordinator_tui.domain.text import clean_text
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.schedule.free_slots import (
    MAX_TEXT,
    PARTS_OF_DAY,
    active_provider,
    aware_instant,
    blocked_intervals,
    bookable_patient,
    booked_intervals,
    offers_for_day,
    part_ok,
    type_by_code,
)
from coordinator_tui.store.models import (
    AppointmentType,
    Patient,
    Provider,
    WaitlistEntry,
)


@dataclass(frozen=True)
class WaitlistRow:
    id: int
    patient_id: int
    mrn: str
    patient_name: str
    type_code: str
    provider: str | None
    earliest: date
    latest: date | None
    part_of_day: str
    note: str | None


def add_to_waitlist(ctx: AppContext, actor: Actor, patient_id: int, type_code: str, *, earliest: date,
                    latest: date | None = None, provider_id: int | None = None, part_of_day: str = "any",
                    note: str | None = None, current_appointment_id: int | None = None) -> int:
    if part_of_day not in PARTS_OF_DAY:
        raise UserError("part of day must be any, am or pm")
    if not isinstance(earliest, date) or (latest is not None and not isinstance(latest, date)):
        raise UserError("give the wait-list window as dates")
    if latest is not None and latest < earliest:
        raise UserError("the latest date is before the earliest")
    note = clean_text(note, "the note", limit=MAX_TEXT)
    at = ctx.now()
    with ctx.db.write() as session:
        patient = bookable_patient(session, patient_id)
        kind = type_by_code(session, type_code)
        if provider_id is not None:
            active_provider(session, provider_id)
        entry = WaitlistEntry(patient_id=patient.id, provider_id=provider_id, appointment_type_id=kind.id,
                              current_appointment_id=current_appointment_id, earliest=earliest,
                              latest=latest, part_of_day=part_of_day, note=note, active=True,
                              created_at=at, created_by_id=actor.id)
        session.add(entry)
        session.flush()
        audit.record(session, actor, "waitlist.add", at, patient_id=patient.id, entity="waitlist_entry",
                     entity_id=entry.id)
        return entry.id


def _waitlist_stmt():
    return (select(WaitlistEntry.id, Patient.id, Patient.mrn, Patient.family_name, Patient.given_name,
                   AppointmentType.code, Provider.short_name, WaitlistEntry.earliest, WaitlistEntry.latest,
                   WaitlistEntry.part_of_day, WaitlistEntry.note, AppointmentType.default_minutes,
                   WaitlistEntry.provider_id)
            .join(Patient, Patient.id == WaitlistEntry.patient_id)
            .join(AppointmentType, AppointmentType.id == WaitlistEntry.appointment_type_id)
            .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
            .where(WaitlistEntry.active.is_(True))
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id))


def _row(r) -> WaitlistRow:
    return WaitlistRow(r[0], r[1], r[2], f"{r[3]}, {r[4]}", r[5], r[6], r[7], r[8], r[9], r[10])


def waitlist(ctx: AppContext, actor: Actor, limit: int = 200) -> list[WaitlistRow]:
    with ctx.db.read() as session:
        return [_row(r) for r in session.execute(_waitlist_stmt().limit(limit))]


def fits_for_slot(ctx: AppContext, actor: Actor, provider_id: int, starts_at: datetime) -> list[WaitlistRow]:
    """Wait-listed patients who fit a free slot: their window holds the day, the part of day
    matches, the provider is theirs (or any), and their type's length is free from `starts_at`."""
    starts_at = aware_instant(starts_at)
    with ctx.db.read() as session:
        return fits_in(session, ctx, provider_id, starts_at)


def fits_in(session: Session, ctx: AppContext, provider_id: int, starts_at: datetime) -> list[WaitlistRow]:
    tz = ctx.settings.tz
    day = starts_at.astimezone(tz).date()
    provider = active_provider(session, provider_id)
    rows = session.execute(_waitlist_stmt().where(
        WaitlistEntry.earliest <= day,
        (WaitlistEntry.latest.is_(None)) | (WaitlistEntry.latest >= day),
        (WaitlistEntry.provider_id.is_(None)) | (WaitlistEntry.provider_id == provider.id))).all()
    if not rows:
        return []
    offers = offers_for_day(session, tz, [provider.id], day).get(provider.id, [])
    day_start, day_end = day_bounds_utc(day, tz)
    busy = booked_intervals(session, [provider.id], day_start, day_end + timedelta(hours=8)).get(provider.id, [])
    busy += [(s, e) for entries in blocked_intervals(session, [provider.id], day_start,
                                                      day_end + timedelta(hours=8)).values()
             for s, e, _k, _r in entries]
    fits = []
    for r in rows:
        if not part_ok(starts_at, tz, r[9]):
            continue
        length = r[11]
        if any(starts_at in free_slots(o.starts, o.slot_minutes, busy, length) for o in offers):
            fits.append(_row(r))
    return fits

