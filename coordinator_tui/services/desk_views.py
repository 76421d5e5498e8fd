"""Read-only views the desks open with: today's appointments, the patient list, open callbacks.

Each returns plain frozen rows (no ORM objects cross into the UI), built with one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus, CallbackReason, Priority
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.status_history import arrived_at, status_since
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Callback,
    Patient,
    Provider,
    StaffUser,
)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    starts_at: datetime
    ends_at: datetime
    patient_id: int
    patient_name: str
    mrn: str
    age: int
    provider: str
    type_code: str
    status: AppointmentStatus
    status_since: datetime | None
    arrived_at: datetime | None
    version: int  # what the desk saw: a change made meanwhile by another desk is refused


def day_appointments(ctx: AppContext, actor: Actor, day: date,
                     location_id: int | None = None) -> list[AppointmentRow]:
    """All appointments starting on `day` (clinic time), in time order, cancelled ones included;
    at one location, or at every location (None)."""
    start, end = day_bounds_utc(day, ctx.settings.tz)
    stmt = (
        select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Patient.id,
               Patient.family_name, Patient.given_name, Patient.mrn, Patient.birth_date,
               Provider.short_name, AppointmentType.code, Appointment.status,
               status_since(), arrived_at(), Appointment.version_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Provider.short_name)
    )
    if location_id is not None:
        stmt = stmt.where(Appointment.location_id == location_id)
    with ctx.db.read() as session:
        rows = session.execute(stmt).all()
    from coordinator_tui.store.types import UTCDateTime  # noqa: F401  (aware conversion below)

    def aware(value):
        if value is None or isinstance(value, datetime):
            return value if value is None or value.tzinfo else value.replace(tzinfo=start.tzinfo)
        return datetime.fromisoformat(value).replace(tzinfo=start.tzinfo)

    return [
        AppointmentRow(
            id=r[0], starts_at=r[1], ends_at=r[2], patient_id=r[3],
            patient_name=f"{r[4]}, {r[5]}", mrn=r[6], age=age_on(r[7], day), provider=r[8],
            type_code=r[9], status=AppointmentStatus(r[10]), status_since=aware(r[11]),
            arrived_at=aware(r[12]), version=r[13],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class PatientRow:
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    phone: str | None


def patient_page(ctx: AppContext, actor: Actor, *, after_key: tuple[str, str, int] | None = None,
                 limit: int = 50) -> list[PatientRow]:
    """Patients in name order, a page at a time (keyset paging: as fast at row 900,000 as at 0)."""
    stmt = (
        select(Patient.id, Patient.mrn, Patient.family_name, Patient.given_name,
               Patient.birth_date, Patient.sex, Patient.phone_mobile, Patient.phone_home,
               Patient.family_key, Patient.given_key)
        .where(Patient.merged_into_id.is_(None))
        .order_by(Patient.family_key, Patient.given_key, Patient.id)
        .limit(limit)
    )
    if after_key is not None:
        family, given, pid = after_key
        stmt = stmt.where(
            (Patient.family_key > family)
            | ((Patient.family_key == family) & (Patient.given_key > given))
            | ((Patient.family_key == family) & (Patient.given_key == given) & (Patient.id > pid))
        )
    with ctx.db.read() as session:
        rows = session.execute(stmt).all()
    return [PatientRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[7]) for r in rows]


def patient_count(ctx: AppContext, actor: Actor) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Patient)
                              .where(Patient.merged_into_id.is_(None))) or 0


@dataclass(frozen=True)
class CallbackRow:
    id: int
    patient_id: int
    patient_name: str
    reason: CallbackReason
    priority: Priority
    due_at: datetime
    assigned_to: str | None
    note: str | None


_PRIORITY_ORDER = case({p.value: p.rank for p in Priority}, value=Callback.priority)


def open_callbacks(ctx: AppContext, actor: Actor, limit: int = 500) -> list[CallbackRow]:
    """Open callbacks, most urgent first, then by due time."""
    stmt = (
        select(Callback.id, Patient.id, Patient.family_name, Patient.given_name, Callback.reason,
               Callback.priority, Callback.due_at, StaffUser.display_name, Callback.note)
        .join(Patient, Patient.id == Callback.patient_id)
        .outerjoin(StaffUser, StaffUser.id == Callback.assigned_to_id)
        .where(Callback.status == "open")
        .order_by(_PRIORITY_ORDER, Callback.due_at, Callback.id)
        .limit(limit)
    )
    with ctx.db.read() as session:
        rows = session.execute(stmt).all()
    return [
        CallbackRow(r[0], r[1], f"{r[2]}, {r[3]}", CallbackReason(r[4]), Priority(r[5]), r[6], r[7], r[8])
        for r in rows
    ]
