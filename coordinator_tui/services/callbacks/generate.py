"""What fills the callback queue (recalls, confirmations, by hand) and the day's figures."""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CallbackReason,
    Priority,
)
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.callbacks.work import clean_note
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import (
    Appointment,
    Callback,
    CallbackAttempt,
    Patient,
)


@dataclass(frozen=True)
class Figures:
    open: int
    overdue: int
    closed_today: int
    median_minutes_to_first_attempt: float | None
    open_by_reason: dict[str, int]


DUE_HOUR = time(17)  # a callback due "on a day" is due by the end of that clinic day


def due_at_on(ctx: AppContext, day: date) -> datetime:
    """When an item due "on `day`" falls due: 17:00 clinic time that day (UTC instant)."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise UserError("the due date must be a date")
    if day < ctx.today():
        raise UserError("the due date is in the past")
    if day > ctx.today() + timedelta(days=366):
        raise UserError("the due date is more than a year ahead")
    return datetime.combine(day, DUE_HOUR, tzinfo=ctx.settings.tz).astimezone(UTC)


def create_by_hand(ctx: AppContext, actor: Actor, *, patient_id: int, reason: CallbackReason,
                   due_at: datetime, priority: Priority = Priority.NORMAL,
                   note: str | None = None, refuse_duplicate: bool = False) -> tuple[int, bool]:
    """Returns (item id, created). An open item for the same patient and reason is reused, or,
    with `refuse_duplicate`, refused with a ConflictError naming the open item."""
    try:
        reason, priority = CallbackReason(reason), Priority(priority)
    except ValueError:
        raise UserError("choose a reason and a priority from the lists") from None
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise UserError("the due time must be a date and time with its time zone")
    if note is not None and not isinstance(note, str):
        raise UserError("the note must be text")
    if note and any(unicodedata.category(ch) == "Cc" for ch in note):
        raise UserError("the note contains control characters")
    if note and len(note.strip()) > 480:
        raise UserError("the note is too long (at most 480 characters)")
    now = ctx.now()
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id) if isinstance(patient_id, int) else None
        if patient is None:
            raise UserError(f"patient {patient_id} does not exist")
        if patient.merged_into_id is not None:
            raise UserError(f"{patient.mrn} was merged into another record; use the surviving record")
        if refuse_duplicate:
            existing = session.scalar(select(Callback).where(
                Callback.patient_id == patient.id, Callback.reason == reason.value, Callback.status == "open"))
            if existing is not None:
                raise ConflictError(
                    f"{patient.mrn} already has an open '{reason.label}' callback (#{existing.id}, due "
                    f"{existing.due_at.astimezone(ctx.settings.tz):%d %b}); work that one instead")
        item, created = ensure_open_callback(session, actor, patient_id=patient.id, reason=reason, at=now,
                                             due_at=due_at, priority=priority, note=clean_note(note))
        return item.id, created


# "First try after" is the median over the items opened this many days back: the desk's pace
# now, and a bounded read (every item ever made would grow with the clinic's history).
FIRST_TRY_WINDOW = timedelta(days=30)


def figures(ctx: AppContext, actor: Actor, day: date | None = None) -> Figures:
    now = ctx.now()
    day = day or ctx.today()
    start, end = day_bounds_utc(day, ctx.settings.tz)
    first_attempt = (select(func.min(CallbackAttempt.at))
                     .where(CallbackAttempt.callback_id == Callback.id)
                     .correlate(Callback).scalar_subquery())
    with ctx.db.read() as session:
        open_count = session.scalar(select(func.count()).select_from(Callback).where(Callback.status == "open"))
        overdue = session.scalar(select(func.count()).select_from(Callback).where(
            Callback.status == "open", Callback.due_at < now))
        closed_today = session.scalar(select(func.count()).select_from(Callback).where(
            Callback.closed_at >= start, Callback.closed_at < end))
        waits = session.execute(select(Callback.created_at, first_attempt)
                                .where(Callback.created_at >= now - FIRST_TRY_WINDOW)).all()
        # Counted here from the open items (found through the status index); a GROUP BY made
        # SQLite scan every item ever made.
        by_reason = Counter(session.scalars(select(Callback.reason).where(Callback.status == "open")))
    minutes = [(first - created).total_seconds() / 60 for created, first in waits if first is not None]
    return Figures(open_count, overdue, closed_today,
                   statistics.median(minutes) if minutes else None,
                   {CallbackReason(k).label: v for k, v in sorted(by_reason.items())})


def generate_recalls(ctx: AppContext, actor: Actor, *, after: timedelta | None = None) -> int:
    """"Annual visit 12 months after last seen": patients last seen (checked out) at least `after`
    (default: the recall_after_days setting) ago, with nothing booked ahead, get one recall item.
    A second run creates none."""
    now = ctx.now()
    if after is None:
        after = timedelta(days=ctx.settings.recall_after_days)
    since = f"{round(after.days / 30.4)} months" if after.days >= 60 else f"{after.days} days"
    last_seen = (select(Appointment.patient_id, func.max(Appointment.starts_at).label("seen"))
                 .where(Appointment.status == AppointmentStatus.CHECKED_OUT.value)
                 .group_by(Appointment.patient_id).subquery())
    booked_ahead = select(Appointment.id).where(
        Appointment.patient_id == last_seen.c.patient_id, Appointment.starts_at > now,
        Appointment.status.in_([AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value]))
    due = (select(last_seen.c.patient_id).join(Patient, Patient.id == last_seen.c.patient_id)
           .where(last_seen.c.seen <= now - after, ~booked_ahead.exists(),
                  Patient.merged_into_id.is_(None), Patient.deceased_date.is_(None)))
    created = 0
    with ctx.db.write() as session:
        for (patient_id,) in session.execute(due).all():
            _, new = ensure_open_callback(session, actor, patient_id=patient_id, reason=CallbackReason.RECALL,
                                          at=now, due_at=now + timedelta(days=7), priority=Priority.LOW,
                                          note=f"Recall due ({since} since last seen)")
            created += new
    return created


def generate_confirmations(ctx: AppContext, actor: Actor, *, for_day: date | None = None) -> int:
    """Confirmation calls for the next clinic day's booked, unconfirmed appointments; none for a
    patient who said no to calls (voice consent withdrawn: a confirmation call is a reminder by
    voice). A patient never asked is still called, as the desk always has."""
    from coordinator_tui.domain.reminders import ContactChannel
    from coordinator_tui.services.reminders.consent import current_consents

    now = ctx.now()
    day = for_day or _next_clinic_day(ctx)
    start, end = day_bounds_utc(day, ctx.settings.tz)
    due_at = datetime.combine(ctx.today(), time(16), tzinfo=ctx.settings.tz)
    stmt = (select(Appointment.id, Appointment.patient_id, Appointment.starts_at)
            .where(Appointment.starts_at >= start, Appointment.starts_at < end,
                   Appointment.status == AppointmentStatus.SCHEDULED.value)
            .order_by(Appointment.starts_at))
    created = 0
    with ctx.db.write() as session:
        rows = session.execute(stmt).all()
        said = current_consents(session, {patient_id for _a, patient_id, _s in rows})
        for appointment_id, patient_id, starts_at in rows:
            voice = said.get((patient_id, ContactChannel.VOICE))
            if voice is not None and not voice.agreed:
                continue
            local = starts_at.astimezone(ctx.settings.tz)
            _, new = ensure_open_callback(session, actor, patient_id=patient_id,
                                          reason=CallbackReason.CONFIRMATION, at=now, due_at=due_at,
                                          appointment_id=appointment_id,
                                          note=f"Confirm {local:%a %d %b %H:%M}")
            created += new
    return created


def _next_clinic_day(ctx: AppContext) -> date:
    """The next day after today with any booked appointment (clinics skip closed days)."""
    today = ctx.today()
    _, end_of_today = day_bounds_utc(today, ctx.settings.tz)
    with ctx.db.read() as session:
        first = session.scalar(select(func.min(Appointment.starts_at)).where(
            Appointment.starts_at >= end_of_today,
            or_(Appointment.status == AppointmentStatus.SCHEDULED.value,
                and_(Appointment.status == AppointmentStatus.CONFIRMED.value))))
    return first.astimezone(ctx.settings.tz).date() if first else today + timedelta(days=1)


@dataclass(frozen=True)
class Generated:
    recalls: int
    confirmations: int
    referral_chases: int = 0


def generate_daily(ctx: AppContext, actor: Actor) -> Generated:
    """Everything the queue fills itself with each morning; safe to run any number of times."""
    from coordinator_tui.services.referrals.chasing import feed_callbacks

    return Generated(recalls=generate_recalls(ctx, actor), confirmations=generate_confirmations(ctx, actor),
                     referral_chases=feed_callbacks(ctx, actor))

