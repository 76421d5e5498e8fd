"""Free slots: each template's slots (and the appointment types it allows) minus blocked time and booked visits. Used by booking, the wait list and walk-ins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.appointment_flow import is_active
from coordinator_tui.domain.hours import PARTS_OF_DAY
from coordinator_tui.domain.slots import day_bounds_utc, free_slots, open_for_walk_in, slot_starts
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import UserError
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    AvailabilityTemplate,
    AvailabilityTemplateType,
    Patient,
    Provider,
)

NOON = time(12)


SEARCH_DAYS = 90  # how far ahead find_free_slots looks


MAX_TEXT = 300


ACTIVE_STATUSES = [s.value for s in AppointmentStatus if is_active(s)]


# Built once (issue 23, point 2): the free-slot search runs them for each day it looks at, and a
# booking again inside its write transaction; built per call their construction and cache key
# cost more CPU than running them.
_IDS = bindparam("ids", expanding=True)
_TYPE_BY_CODE = select(AppointmentType).where(AppointmentType.code == bindparam("code"),
                                              AppointmentType.active.is_(True))
_TEMPLATE = AvailabilityTemplate.__table__.c
_TEMPLATES = select(AvailabilityTemplate.__table__).where(
    _TEMPLATE.provider_id.in_(_IDS), _TEMPLATE.weekday == bindparam("weekday"),
    _TEMPLATE.valid_from <= bindparam("day"),
    (_TEMPLATE.valid_to.is_(None)) | (_TEMPLATE.valid_to >= bindparam("day")))
_TEMPLATE_TYPES = (select(AvailabilityTemplateType.template_id, AvailabilityTemplateType.appointment_type_id)
                   .where(AvailabilityTemplateType.template_id.in_(bindparam("template_ids", expanding=True))))
_BLOCKED = (select(AvailabilityException.provider_id, AvailabilityException.starts_at,
                   AvailabilityException.ends_at, AvailabilityException.kind, AvailabilityException.reason)
            .where(AvailabilityException.starts_at < bindparam("end"),
                   AvailabilityException.ends_at > bindparam("start"),
                   (AvailabilityException.provider_id.is_(None)) | (AvailabilityException.provider_id.in_(_IDS))))
_BOOKED = (select(Appointment.provider_id, Appointment.starts_at, Appointment.ends_at)
           .where(Appointment.provider_id.in_(_IDS), Appointment.starts_at < bindparam("end"),
                  Appointment.ends_at > bindparam("start"), Appointment.status.in_(ACTIVE_STATUSES)))
_BOOKED_BUT = _BOOKED.where(Appointment.id != bindparam("exclude_id"))


@dataclass(frozen=True)
class FreeSlot:
    provider_id: int
    provider: str
    starts_at: datetime
    ends_at: datetime
    location_id: int


def aware_instant(instant: datetime, what: str = "the time") -> datetime:
    if not isinstance(instant, datetime):
        raise UserError(f"{what} must be a date and time")
    if instant.tzinfo is None:
        raise UserError(f"{what} has no time zone")
    return instant


# As plain rows (columns by name, read-only): a booking and the free-slot search read only the
# id, code, length, short name and limits, and an ORM object cost ~4x the row's CPU, twice a booking.
_TYPE_ROW_BY_CODE = select(AppointmentType.__table__).where(
    AppointmentType.__table__.c.code == bindparam("code"), AppointmentType.__table__.c.active.is_(True))
_PROVIDER_ROW = select(Provider.__table__).where(Provider.__table__.c.id == bindparam("id"))


def type_by_code(session: Session, code: str, *, row: bool = False) -> AppointmentType:
    """The active type with this code (refused: none). `row`: a plain row, not an ORM object."""
    if not isinstance(code, str) or not code.strip():
        raise UserError("choose an appointment type")
    if row:
        kind = session.execute(_TYPE_ROW_BY_CODE, {"code": code.strip().upper()}).first()
    else:
        kind = session.scalar(_TYPE_BY_CODE, {"code": code.strip().upper()})
    if kind is None:
        raise UserError(f"there is no appointment type {code.strip()[:12]!r}")
    return kind


def active_provider(session: Session, provider_id: int, *, row: bool = False) -> Provider:
    """The provider, seeing patients (refused: unknown or inactive). `row`: a plain row."""
    if not isinstance(provider_id, int) or isinstance(provider_id, bool):
        provider = None
    elif row:
        provider = session.execute(_PROVIDER_ROW, {"id": provider_id}).first()
    else:
        provider = session.get(Provider, provider_id)
    if provider is None or not provider.active:
        raise UserError(f"provider {provider_id} does not exist or is not seeing patients")
    return provider


_BOOKABLE = select(Patient.id, Patient.mrn, Patient.merged_into_id).where(Patient.id == bindparam("id"))


def bookable_patient(session: Session, patient_id: int, *, row: bool = False) -> Patient:
    """The patient to book for (refused: unknown, or merged away). `row`: only the id and MRN
    as a plain row, not the whole record as an ORM object (a booking needs no more)."""
    if row:
        patient = session.execute(_BOOKABLE, {"id": patient_id}).first() if isinstance(patient_id, int) else None
    else:
        patient = session.get(Patient, patient_id) if isinstance(patient_id, int) else None
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    if patient.merged_into_id is not None:
        raise UserError(f"patient {patient.mrn} was merged into another record; book the surviving record")
    return patient


@dataclass(frozen=True)
class _Offer:
    starts: tuple[datetime, ...]
    slot_minutes: int
    location_id: int
    type_ids: frozenset[int]  # empty = all types


def _templates(session: Session, provider_ids: Iterable[int], day: date):
    ids = list(provider_ids)
    rows = session.execute(_TEMPLATES, {"ids": ids, "weekday": day.weekday(), "day": day}).all()
    types: dict[int, set[int]] = {}
    if rows:
        for template_id, type_id in session.execute(_TEMPLATE_TYPES, {"template_ids": [t.id for t in rows]}):
            types.setdefault(template_id, set()).add(type_id)
    return {pid: [t for t in rows if t.provider_id == pid] for pid in ids}, types


def offers_for_day(session: Session, tz, provider_ids: Iterable[int], day: date) -> dict[int, list[_Offer]]:
    """Each provider's offered slot starts on `day` (UTC instants), per template."""
    found, types = _templates(session, provider_ids, day)
    result: dict[int, list[_Offer]] = {}
    for pid, templates in found.items():
        offers = []
        for t in templates:
            start = time(t.start_minute // 60, t.start_minute % 60)
            end = time(0) if t.end_minute == 1440 else time(t.end_minute // 60, t.end_minute % 60)
            offers.append(_Offer(tuple(slot_starts(day, tz, start, end, t.slot_minutes)),
                                 t.slot_minutes, t.location_id, frozenset(types.get(t.id, ()))))
        result[pid] = offers
    return result


def blocked_intervals(session: Session, provider_ids: Iterable[int], start: datetime,
                      end: datetime) -> dict[int | None, list[tuple[datetime, datetime, str, str | None]]]:
    """Exceptions touching [start, end): per provider id, and None for the whole clinic."""
    rows = session.execute(_BLOCKED, {"ids": list(provider_ids), "start": start, "end": end}).all()
    result: dict[int | None, list] = {}
    for pid, s, e, kind, reason in rows:
        result.setdefault(pid, []).append((s, e, kind, reason))
    return result


def booked_intervals(session: Session, provider_ids: Iterable[int], start: datetime, end: datetime,
                     *, exclude_id: int | None = None) -> dict[int, list[tuple[datetime, datetime]]]:
    """Active appointments touching [start, end), per provider."""
    params = {"ids": list(provider_ids), "start": start, "end": end}
    if exclude_id is not None:
        params["exclude_id"] = exclude_id
    rows = session.execute(_BOOKED if exclude_id is None else _BOOKED_BUT, params)
    result: dict[int, list] = {}
    for pid, s, e in rows:
        result.setdefault(pid, []).append((s, e))
    return result


def part_ok(instant: datetime, tz, part: str) -> bool:
    if part == "any":
        return True
    morning = instant.astimezone(tz).time() < NOON
    return morning if part == "am" else not morning


def free_on_day(session: Session, ctx: AppContext, providers: list[Provider], kind: AppointmentType,
                day: date, part: str, not_before: datetime, *, running: bool = False) -> list[FreeSlot]:
    """Free starts on `day` where `kind` fits, earliest first: each template's slots (only the
    templates that allow the type) minus blocked time and booked visits, none before
    `not_before` (with `running`, a slot under way at `not_before` counts while a walk-in can
    still be seen in it: domain/slots.py::open_for_walk_in)."""
    tz = ctx.settings.tz
    ids = [p.id for p in providers]
    day_start, day_end = day_bounds_utc(day, tz)
    offers = offers_for_day(session, tz, ids, day)
    # Look a little past the day's end: a late appointment may run on.
    blocks = blocked_intervals(session, ids, day_start, day_end + timedelta(hours=8))
    booked = booked_intervals(session, ids, day_start, day_end + timedelta(hours=8))
    clinic_blocks = [(s, e) for s, e, _k, _r in blocks.get(None, [])]
    found = []
    for provider in providers:
        busy = booked.get(provider.id, []) + clinic_blocks + [
            (s, e) for s, e, _k, _r in blocks.get(provider.id, [])]
        for offer in offers.get(provider.id, []):
            if offer.type_ids and kind.id not in offer.type_ids:
                continue
            for start in free_slots(offer.starts, offer.slot_minutes, busy, kind.default_minutes):
                if running:
                    if not open_for_walk_in(start, offer.slot_minutes, not_before):
                        continue
                elif start < not_before:
                    continue
                if not part_ok(start, tz, part):
                    continue
                found.append(FreeSlot(provider.id, provider.short_name, start,
                                      start + timedelta(minutes=kind.default_minutes), offer.location_id))
    found.sort(key=lambda s: (s.starts_at, s.provider))
    return found


def find_free_slots(ctx: AppContext, actor: Actor, *, provider_id: int | None, type_code: str,
                    after: date, part_of_day: str = "any", limit: int = 10) -> list[FreeSlot]:
    """The first free slots on or after `after` (and never in the past) where an appointment of
    this type fits: templates minus exceptions minus booked appointments. Any provider when
    `provider_id` is None."""
    if part_of_day not in PARTS_OF_DAY:
        raise UserError("part of day must be any, am or pm")
    if not isinstance(after, date):
        raise UserError("give the first day to search from")
    if not isinstance(limit, int) or not 1 <= limit <= 500:
        raise UserError("ask for between 1 and 500 slots")
    now = ctx.now()
    with ctx.db.read() as session:
        kind = type_by_code(session, type_code, row=True)
        if provider_id is None:
            providers = list(session.scalars(select(Provider).where(Provider.active.is_(True))
                                             .order_by(Provider.short_name)))
        else:
            providers = [active_provider(session, provider_id, row=True)]
        result: list[FreeSlot] = []
        day = max(after, ctx.today())
        for _ in range(SEARCH_DAYS):
            result += free_on_day(session, ctx, providers, kind, day, part_of_day, now)
            if len(result) >= limit:
                break
            day += timedelta(days=1)
    return result[:limit]

