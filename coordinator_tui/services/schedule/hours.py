"""A provider's weekly hours (availability templates): read them, and change one weekday's hours
from a date on, with history kept.

Cutting hours is blocking time by another name: patients already booked in the hours that go
away must be phoned, exactly as for a vacation (booking.block_time). `preview_hours_change` lists
them before anything is saved, and `set_weekly_hours` gives each a rebook callback in the same
transaction as the change. Their appointments stay on the book until the desk moves or cancels
them: nobody's visit disappears without a call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus, CallbackReason
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.schedule.blocks import AffectedAppointment
from coordinator_tui.services.schedule.free_slots import active_provider, type_by_code
from coordinator_tui.store.models import (
    Appointment,
    AvailabilityTemplate,
    Location,
    Patient,
    Provider,
)

REBOOK_DUE = timedelta(hours=4)  # as for blocked time


@dataclass(frozen=True)
class TemplateRow:
    id: int
    provider_id: int
    weekday: int
    start_minute: int
    end_minute: int
    slot_minutes: int
    location_id: int
    type_codes: tuple[str, ...]
    valid_from: date
    valid_to: date | None
    location: str = ""  # the location's name, as a person knows it (its id means nothing to them)


@dataclass(frozen=True)
class HoursChange:
    template_ids: tuple[int, ...]
    affected: tuple[AffectedAppointment, ...]  # booked outside the new hours, to rebook
    callbacks_created: int  # fewer than affected when a patient already had a rebook call open


def _checked_blocks(weekday: int, hours: list[tuple[int, int]], slot_minutes: int) -> list[tuple[int, int]]:
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        raise UserError("weekday must be 0 (Monday) to 6 (Sunday)")
    if not isinstance(slot_minutes, int) or not 5 <= slot_minutes <= 240:
        raise UserError("slot length must be 5 to 240 minutes")
    blocks = sorted(hours)
    for start, end in blocks:
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= 1440):
            raise UserError("each block of hours needs a start before its end, within the day")
        if (end - start) < slot_minutes:
            raise UserError("a block of hours is shorter than one slot")
    for (_s1, e1), (s2, _e2) in zip(blocks, blocks[1:], strict=False):
        if s2 < e1:
            raise UserError("blocks of hours overlap")
    return blocks


def appointments_outside_hours(session: Session, ctx: AppContext, provider_id: int, weekday: int,
                               blocks: list[tuple[int, int]], valid_from: date) -> tuple[AffectedAppointment, ...]:
    """Scheduled or confirmed appointments of the provider on that weekday, from `valid_from`
    (and from now) on, that no block of the new hours holds from start to end."""
    tz = ctx.settings.tz
    since = max(day_bounds_utc(valid_from, tz)[0], ctx.now())
    rows = session.execute(
        select(Appointment.id, Appointment.patient_id, Patient.mrn, Provider.short_name,
               Appointment.starts_at, Appointment.ends_at)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.provider_id == provider_id, Appointment.starts_at >= since,
               Appointment.status.in_([AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value]))
        .order_by(Appointment.starts_at, Appointment.id))
    outside = []
    for appointment_id, patient_id, mrn, provider, starts_at, ends_at in rows:
        local = starts_at.astimezone(tz)
        if local.weekday() != weekday:
            continue
        start = local.hour * 60 + local.minute
        end = start + int((ends_at - starts_at).total_seconds() // 60)
        if not any(b_start <= start and end <= b_end for b_start, b_end in blocks):
            outside.append(AffectedAppointment(appointment_id, patient_id, mrn, provider, starts_at))
    return tuple(outside)


def preview_hours_change(ctx: AppContext, actor: Actor, provider_id: int, weekday: int, *,
                         hours: list[tuple[int, int]], slot_minutes: int,
                         valid_from: date) -> tuple[AffectedAppointment, ...]:
    """The booked appointments the new hours would leave to rebook (nothing is changed)."""
    blocks = _checked_blocks(weekday, hours, slot_minutes)
    if not isinstance(valid_from, date):
        raise UserError("give the first day the hours apply")
    with ctx.db.read() as session:
        active_provider(session, provider_id)
        return appointments_outside_hours(session, ctx, provider_id, weekday, blocks, valid_from)


def set_weekly_hours(ctx: AppContext, actor: Actor, provider_id: int, weekday: int, *,
                     hours: list[tuple[int, int]], slot_minutes: int, location_id: int | None = None,
                     type_codes: Iterable[str] = (), valid_from: date) -> HoursChange:
    """Replace a provider's hours for one weekday from `valid_from` on: the templates in force end
    the day before (history kept), and one new template per (start_minute, end_minute) block is
    added. `hours=[]` means not working that weekday. Types listed = only those may be booked.
    `location_id` None: where the provider works now (that weekday first), else the first location.
    Each patient booked in hours that go away gets a rebook callback (never a second open one).
    Needs the 'manage schedule templates' permission."""
    require(actor, Permission.MANAGE_TEMPLATES)
    blocks = _checked_blocks(weekday, hours, slot_minutes)
    if not isinstance(valid_from, date):
        raise UserError("give the first day the hours apply")
    at = ctx.now()
    with ctx.db.write() as session:
        active_provider(session, provider_id)
        kinds = [type_by_code(session, code) for code in type_codes]
        if location_id is None:
            location_id = session.scalar(
                select(AvailabilityTemplate.location_id).where(AvailabilityTemplate.provider_id == provider_id)
                .order_by((AvailabilityTemplate.weekday != weekday), AvailabilityTemplate.valid_from.desc())
                .limit(1)) or session.scalar(select(func.min(Location.id)))
        # An id past SQLite's 64-bit integers cannot exist (and would fail to bind).
        if (not isinstance(location_id, int) or not 0 < location_id < 2**63
                or session.get(Location, location_id) is None):
            raise UserError(f"location {location_id} does not exist")
        current = session.scalars(select(AvailabilityTemplate).where(
            AvailabilityTemplate.provider_id == provider_id, AvailabilityTemplate.weekday == weekday,
            (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= valid_from))).all()
        for template in current:
            if template.valid_from >= valid_from:
                template.valid_to = template.valid_from  # never in force after the change
                if template.valid_from == valid_from:
                    session.delete(template)
            else:
                template.valid_to = valid_from - timedelta(days=1)
        session.flush()
        ids = []
        for start, end in blocks:
            template = AvailabilityTemplate(provider_id=provider_id, location_id=location_id, weekday=weekday,
                                            start_minute=start, end_minute=end, slot_minutes=slot_minutes,
                                            valid_from=valid_from, allowed_types=kinds)
            session.add(template)
            session.flush()
            ids.append(template.id)
        affected = appointments_outside_hours(session, ctx, provider_id, weekday, blocks, valid_from)
        created = 0
        for item in affected:
            _callback, new = ensure_open_callback(
                session, actor, patient_id=item.patient_id, reason=CallbackReason.REBOOK, at=at,
                due_at=at + REBOOK_DUE, appointment_id=item.id, note="Provider's hours changed: rebook")
            created += new
        audit.record(session, actor, "availability.hours", at, entity="provider", entity_id=provider_id,
                     detail={"weekday": weekday, "hours": blocks, "slot_minutes": slot_minutes,
                             "valid_from": valid_from, "types": [k.code for k in kinds],
                             "affected": len(affected)})
        return HoursChange(tuple(ids), affected, created)


def weekly_hours(ctx: AppContext, actor: Actor, provider_id: int, on: date) -> list[TemplateRow]:
    """The templates in force for a provider on `on`'s week, Monday first."""
    with ctx.db.read() as session:
        rows = session.scalars(select(AvailabilityTemplate).where(
            AvailabilityTemplate.provider_id == provider_id, AvailabilityTemplate.valid_from <= on,
            (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= on))
            .order_by(AvailabilityTemplate.weekday, AvailabilityTemplate.start_minute)).all()
        names = dict(session.execute(select(Location.id, Location.name).where(
            Location.id.in_({t.location_id for t in rows}))).all())
        return [TemplateRow(t.id, t.provider_id, t.weekday, t.start_minute, t.end_minute, t.slot_minutes,
                            t.location_id, tuple(k.code for k in t.allowed_types), t.valid_from, t.valid_to,
                            names.get(t.location_id, f"location {t.location_id}"))
                for t in rows]
