"""The day schedule as one read: providers x time rows at the clinic's slot size, each cell free,
booked, continuing, blocked or outside hours, plus every appointment of the day.

Built with a handful of queries in one read transaction, so the UI can switch days fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from coordinator_tui.config import Settings
from coordinator_tui.domain.appointment_flow import is_active
from coordinator_tui.domain.slots import day_bounds_utc, slot_starts
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.referrals.counting import missing_authorisation_ids
from coordinator_tui.services.schedule.free_slots import blocked_intervals, offers_for_day
from coordinator_tui.services.status_history import arrived_at, status_since
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Patient,
    Provider,
)

DEFAULT_SLOT = 20
DEFAULT_HOURS = (8 * 60, 17 * 60)


def status_alert_minutes(settings: Settings) -> dict[AppointmentStatus, int]:
    """Minutes a status may be held before the desk is alerted (OpenEMR's flow board does this);
    from the settings alert_arrived_minutes, alert_roomed_minutes, alert_with_provider_minutes."""
    return {
        AppointmentStatus.ARRIVED: settings.alert_arrived_minutes,
        AppointmentStatus.ROOMED: settings.alert_roomed_minutes,
        AppointmentStatus.WITH_PROVIDER: settings.alert_with_provider_minutes,
    }

FREE, BOOKED, CONTINUES, BLOCKED, OUTSIDE = "free", "booked", "continues", "blocked", "outside"


@dataclass(frozen=True)
class DayAppointment:
    id: int
    version: int
    provider_id: int
    provider: str
    starts_at: datetime
    ends_at: datetime
    patient_id: int
    patient_name: str
    mrn: str
    age: int
    type_code: str
    status: AppointmentStatus
    status_since: datetime | None
    arrived_at: datetime | None
    is_overbook: bool
    alert_after_minutes: int | None = None  # this status held longer is flagged (None: never)
    needs_auth: bool = False  # its type needs an authorisation and it was booked on none

    @property
    def active(self) -> bool:
        return is_active(self.status)

    def waited_minutes(self, now: datetime) -> int | None:
        """Minutes since arrival while the patient is still waiting or in the building."""
        if self.arrived_at is None or self.status not in (
                AppointmentStatus.ARRIVED, AppointmentStatus.ROOMED, AppointmentStatus.WITH_PROVIDER):
            return None
        return max(0, int((now - self.arrived_at).total_seconds() // 60))

    def held_too_long(self, now: datetime) -> bool:
        limit = self.alert_after_minutes
        return bool(limit and self.status_since and now - self.status_since > timedelta(minutes=limit))


@dataclass(frozen=True)
class Cell:
    kind: str  # FREE, BOOKED, CONTINUES, BLOCKED, OUTSIDE
    appointment: DayAppointment | None = None
    extra: int = 0  # further appointments starting in the same row (overbooked)
    note: str | None = None  # the kind of blocked time


@dataclass(frozen=True)
class ProviderColumn:
    id: int
    short_name: str
    cells: tuple[Cell, ...]  # one per DaySchedule.times


@dataclass(frozen=True)
class DaySchedule:
    day: date
    slot_minutes: int
    times: tuple[datetime, ...]  # UTC starts of the rows
    providers: tuple[ProviderColumn, ...]
    appointments: tuple[DayAppointment, ...]  # the whole day, cancelled ones too, by time

    def cell(self, provider_index: int, row: int) -> Cell:
        return self.providers[provider_index].cells[row]


def _day_appointments(session, day: date, start: datetime, end: datetime,
                      alerts: dict[AppointmentStatus, int], location_id: int | None) -> list[DayAppointment]:
    stmt = (
        select(Appointment.id, Appointment.version_id, Appointment.provider_id, Provider.short_name,
               Appointment.starts_at, Appointment.ends_at, Patient.id, Patient.family_name,
               Patient.given_name, Patient.mrn, Patient.birth_date, AppointmentType.code,
               Appointment.status, status_since(), arrived_at(), Appointment.is_overbook)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Provider.short_name, Appointment.id))
    if location_id is not None:
        stmt = stmt.where(Appointment.location_id == location_id)

    def aware(value):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value if value.tzinfo else value.replace(tzinfo=start.tzinfo)

    return [DayAppointment(r[0], r[1], r[2], r[3], r[4], r[5], r[6], f"{r[7]}, {r[8]}", r[9],
                           age_on(r[10], day), r[11], AppointmentStatus(r[12]), aware(r[13]),
                           aware(r[14]), bool(r[15]), alerts.get(AppointmentStatus(r[12])))
            for r in session.execute(stmt)]


def day_schedule(ctx: AppContext, actor: Actor, day: date, location_id: int | None = None) -> DaySchedule:
    """The day at one location (`location_id`), or at every location (None): that location's
    hours, offers and appointments, and the providers who work there that day."""
    tz = ctx.settings.tz
    start, end = day_bounds_utc(day, tz)
    with ctx.db.read() as session:
        in_force = (AvailabilityTemplate.weekday == day.weekday(), AvailabilityTemplate.valid_from <= day,
                    (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= day))
        if location_id is not None:
            in_force = (*in_force, AvailabilityTemplate.location_id == location_id)
        templates = session.execute(
            select(AvailabilityTemplate.start_minute, AvailabilityTemplate.end_minute,
                   AvailabilityTemplate.slot_minutes, AvailabilityTemplate.provider_id)
            .where(*in_force)).all()
        appointments = _day_appointments(session, day, start, end, status_alert_minutes(ctx.settings),
                                         location_id)
        providers = session.execute(select(Provider.id, Provider.short_name, Provider.default_location_id)
                                    .where(Provider.active.is_(True)).order_by(Provider.short_name)).all()
        if location_id is not None:
            # Who works here today: hours here, a visit here, or this is their usual place.
            here = {t[3] for t in templates} | {a.provider_id for a in appointments}
            providers = [p for p in providers if p[0] in here or p[2] == location_id]
        ids = [p[0] for p in providers]
        offers = offers_for_day(session, tz, ids, day)
        if location_id is not None:
            offers = {pid: [o for o in found if o.location_id == location_id] for pid, found in offers.items()}
        blocks = blocked_intervals(session, ids, start, end)
        missing = missing_authorisation_ids(session, start, end)
        appointments = [replace(a, needs_auth=True) if a.id in missing else a for a in appointments]

    slot = Counter(t[2] for t in templates).most_common(1)[0][0] if templates else DEFAULT_SLOT
    first = min((t[0] for t in templates), default=DEFAULT_HOURS[0])
    last = max((t[1] for t in templates), default=DEFAULT_HOURS[1])
    # Appointments outside the template hours (a walk-in at 7:40) still get a row.
    for appt in appointments:
        local = appt.starts_at.astimezone(tz)
        if local.date() == day:
            minute = local.hour * 60 + local.minute
            first = min(first, minute - minute % slot)
            last = max(last, min(1440, minute + slot))
    times = tuple(slot_starts(day, tz, time(first // 60, first % 60),
                              time(0) if last >= 1440 else time(last // 60, last % 60), slot))
    step = timedelta(minutes=slot)

    by_provider: dict[int, list[DayAppointment]] = {}
    for appt in appointments:
        if appt.active:
            by_provider.setdefault(appt.provider_id, []).append(appt)
    clinic_blocks = blocks.get(None, [])
    columns = []
    for pid, short_name, _usual_place in providers:
        offered = [(s, s + timedelta(minutes=o.slot_minutes)) for o in offers.get(pid, []) for s in o.starts]
        cells = _column(times, step, by_provider.get(pid, []), blocks.get(pid, []) + clinic_blocks, offered)
        columns.append(ProviderColumn(pid, short_name, cells))
    return DaySchedule(day, slot, times, tuple(columns), tuple(appointments))


def _column(times: tuple[datetime, ...], step: timedelta, mine: list[DayAppointment],
            blocked: list, offered: list[tuple[datetime, datetime]]) -> tuple[Cell, ...]:
    """One provider's cells, row by row: an appointment starting in the row (the first, and how
    many more: an overbook), else one still running, else blocked time, else an offered slot,
    else outside hours. Each appointment, block and offer is laid onto the rows it covers
    (bisect over the row starts), so a day costs rows + items, not rows x items."""
    rows = len(times)
    starting: list[list[DayAppointment]] = [[] for _ in range(rows)]
    running: list[DayAppointment | None] = [None] * rows
    block_note: list[tuple | None] = [None] * rows
    free = [False] * rows
    for appt in mine:  # in time order: the first one wins a row, as the desk lists them
        row = bisect_right(times, appt.starts_at) - 1
        if row >= 0 and appt.starts_at < times[row] + step:
            starting[row].append(appt)
        for later in range(bisect_right(times, appt.starts_at), bisect_left(times, appt.ends_at)):
            running[later] = running[later] or appt
    for block in blocked:
        for row in range(bisect_right(times, block[0] - step), bisect_left(times, block[1])):
            block_note[row] = block_note[row] or block
    for offer_start, offer_end in offered:
        for row in range(bisect_left(times, offer_start), bisect_left(times, offer_end)):
            free[row] = True
    cells = []
    for row in range(rows):
        if starting[row]:
            cells.append(Cell(BOOKED, starting[row][0], extra=len(starting[row]) - 1))
        elif running[row] is not None:
            cells.append(Cell(CONTINUES, running[row]))
        elif block_note[row] is not None:
            cells.append(Cell(BLOCKED, note=block_note[row][2]))
        else:
            cells.append(Cell(FREE if free[row] else OUTSIDE))
    return tuple(cells)


def provider_ids_by_name(ctx: AppContext, actor: Actor) -> dict[str, int]:
    with ctx.db.read() as session:
        return {name: pid for pid, name in session.execute(select(Provider.id, Provider.short_name))}
