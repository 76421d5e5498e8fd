"""Walk-ins: who the patient is, today's or another day's visit, the next free time (the schedule's own free-slot search) and the booking, each one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from coordinator_tui.domain.appointment_flow import check_transition, is_active
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.checkin.checklists import S, aware_instant
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.referrals.booking_check import authorise_visit
from coordinator_tui.services.schedule.free_slots import free_on_day
from coordinator_tui.services.status_events import record_status_event
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Patient,
    Provider,
)


@dataclass(frozen=True)
class AppointmentBrief:
    id: int
    patient_id: int
    starts_at: datetime
    provider: str
    status: AppointmentStatus


def todays_appointment(ctx: AppContext, actor: Actor, patient_id: int) -> AppointmentBrief | None:
    with ctx.db.read() as session:
        return _todays_brief(session, ctx, patient_id)


def wrong_day_appointment(ctx: AppContext, actor: Actor, patient_id: int) -> AppointmentBrief | None:
    """A patient with no appointment today but a booked one on another day: that one (the
    nearest to today, within 30 days either side), else None."""
    with ctx.db.read() as session:
        if _todays_brief(session, ctx, patient_id) is not None:
            return None
        return _other_day_brief(session, ctx, patient_id)


def _todays_brief(session, ctx: AppContext, patient_id: int) -> AppointmentBrief | None:
    start, end = day_bounds_utc(ctx.today(), ctx.settings.tz)
    rows = session.execute(
        select(Appointment.id, Appointment.starts_at, Provider.short_name, Appointment.status)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.patient_id == patient_id, Appointment.starts_at >= start,
               Appointment.starts_at < end).order_by(Appointment.starts_at)).all()
    for r in rows:
        if is_active(r[3]):
            return AppointmentBrief(r[0], patient_id, aware_instant(r[1]), r[2], S(r[3]))
    return None


def _other_day_brief(session, ctx: AppContext, patient_id: int) -> AppointmentBrief | None:
    now = ctx.now()
    rows = session.execute(
        select(Appointment.id, Appointment.starts_at, Provider.short_name, Appointment.status)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.patient_id == patient_id,
               Appointment.starts_at >= now - timedelta(days=30),
               Appointment.starts_at < now + timedelta(days=30),
               Appointment.status.in_([S.SCHEDULED.value, S.CONFIRMED.value]))).all()
    if not rows:
        return None
    best = min(rows, key=lambda r: abs((aware_instant(r[1]) - now).total_seconds()))
    return AppointmentBrief(best[0], patient_id, aware_instant(best[1]), best[2], S(best[3]))


@dataclass(frozen=True)
class ProviderChoice:
    id: int
    short_name: str
    display_name: str


def providers(ctx: AppContext, actor: Actor) -> list[ProviderChoice]:
    with ctx.db.read() as session:
        rows = session.execute(select(Provider.id, Provider.short_name, Provider.display_name)
                               .where(Provider.active.is_(True)).order_by(Provider.short_name)).all()
    return [ProviderChoice(*r) for r in rows]


WALK_IN_TYPE = "WALK"


@dataclass(frozen=True)
class WalkInPatient:
    id: int
    mrn: str
    name: str
    birth_date: date
    age: int


def walk_in_patient(ctx: AppContext, actor: Actor, patient_id: int) -> WalkInPatient:
    """Who the walk-in is, to check before booking: showing a name and birth date is a look at
    the record, so it is audited."""
    return walk_in_lookup(ctx, actor, patient_id).patient


@dataclass(frozen=True)
class WalkInLookup:
    patient: WalkInPatient
    today: AppointmentBrief | None   # booked today: check them in instead
    other_day: AppointmentBrief | None  # no visit today, but one booked on another day


def walk_in_lookup(ctx: AppContext, actor: Actor, patient_id: int) -> WalkInLookup:
    """Everything the walk-in desk shows about the patient, read in one transaction and audited
    once as a look at the record."""
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.merged_into_id is not None:
            raise UserError("no such patient (merged or removed); type the MRN again")
        today = _todays_brief(session, ctx, patient.id)
        other = None if today is not None else _other_day_brief(session, ctx, patient.id)
        audit.record(session, actor, "patient.view", ctx.now(), patient_id=patient.id, entity="patient",
                     entity_id=patient.id, detail={"screen": "walk-in"})
        who = WalkInPatient(patient.id, patient.mrn, f"{patient.family_name}, {patient.given_name}",
                            patient.birth_date, age_on(patient.birth_date, ctx.today()))
        return WalkInLookup(who, today, other)


def _walk_in_kind(session) -> AppointmentType:
    kind = session.scalar(select(AppointmentType).where(AppointmentType.code == WALK_IN_TYPE))
    if kind is None:
        raise UserError("the clinic has no walk-in appointment type (code WALK)")
    return kind


def _next_walk_in_start(session, ctx: AppContext, provider: Provider,
                        kind: AppointmentType) -> datetime | None:
    """The provider's next free start today where a walk-in fits, or None: the schedule's own
    free-slot search (templates and the types they allow, blocked time, booked visits). The
    current slot counts while the walk-in can still be seen in it (domain/slots.py::open_for_walk_in)."""
    found = free_on_day(session, ctx, [provider], kind, ctx.today(), "any", ctx.now(), running=True)
    return found[0].starts_at if found else None


def walk_in_times(ctx: AppContext, actor: Actor, provider_ids: Iterable[int]) -> dict[int, datetime | None]:
    """When a walk-in would be booked with each provider now (None: no free time left today),
    shown before the desk picks one."""
    with ctx.db.read() as session:
        kind = _walk_in_kind(session)
        found = {}
        for pid in provider_ids:
            provider = session.get(Provider, pid)
            found[pid] = _next_walk_in_start(session, ctx, provider, kind) if provider else None
        return found


def walk_in(ctx: AppContext, actor: Actor, patient_id: int, provider_id: int, *,
            expected_start: datetime | None = None) -> AppointmentBrief:
    """A same-day walk-in with the provider at their next free time today, arrived at once.

    With `expected_start` (the time the desk was shown), a different next free time (another
    desk booked it meanwhile) is refused: the desk must see the time it books."""
    now = ctx.now()
    today = ctx.today()
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.merged_into_id is not None:
            raise UserError(f"patient {patient_id} does not exist")
        provider = session.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise UserError(f"provider {provider_id} does not exist or is not active")
        if _todays_brief(session, ctx, patient_id) is not None:
            raise UserError("this patient already has an appointment today: check them in instead")
        kind = _walk_in_kind(session)
        found = _next_walk_in_start(session, ctx, provider, kind)
        if found is None:
            raise UserError(f"{provider.short_name} has no free time left today; choose another provider")
        if expected_start is not None and found != aware_instant(expected_start):
            local = found.astimezone(ctx.settings.tz)
            raise ConflictError(f"{provider.short_name}'s next free time is now {local:%H:%M}; nothing was "
                                "booked, the times are shown again")
        check_transition(S.SCHEDULED, S.ARRIVED)
        appointment = Appointment(
            patient_id=patient_id, provider_id=provider_id, appointment_type_id=kind.id,
            location_id=provider.default_location_id or 1, starts_at=found,
            ends_at=found + timedelta(minutes=kind.default_minutes), desired_date=today,
            status=S.ARRIVED.value, reason="Walk-in", is_walk_in=True, created_at=now,
            created_by_id=actor.id)
        session.add(appointment)
        session.flush()
        cover = authorise_visit(session, ctx, actor, appointment)
        for before, after in ((None, S.SCHEDULED.value), (S.SCHEDULED.value, S.ARRIVED.value)):
            record_status_event(session, appointment_id=appointment.id, from_status=before,
                                to_status=after, at=now, by_id=actor.id, reason="walk-in")
        audit.record(session, actor, "appointment.walk_in", now, patient_id=patient_id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"provider_id": provider_id, "starts_at": found.isoformat(), **cover.audit_detail})
        return AppointmentBrief(appointment.id, patient_id, found, provider.short_name, S.ARRIVED)

