"""The callback queue: list and filter, claim (one caller per item), record attempts, escalate,
close, create by hand, fill automatically (recalls, confirmation calls), and the day's figures.

Items are never deleted: they are closed as done or cancelled with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from coordinator_tui.domain.callback_retry import next_try
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CallbackOutcome,
    CallbackReason,
    Priority,
    Role,
)
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import apply_status_change
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.versions import check_version
from coordinator_tui.store.models import (
    Callback,
    CallbackAttempt,
    Patient,
    StaffUser,
)

# A claim lapses when its desk goes quiet this long (the work screen refreshes it every minute).
CLAIM_TTL = timedelta(minutes=5)


FAILED = {CallbackOutcome.VOICEMAIL, CallbackOutcome.NO_ANSWER, CallbackOutcome.WRONG_NUMBER,
          CallbackOutcome.BUSY}


# A second failed call on one item by one caller sooner than this is a double key press, not a
# second call: refused, so it cannot count towards escalation.
REPEAT_FAILED_CALL_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class QueueFilter:
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False
    reason: CallbackReason | None = None

    def describe(self) -> str:
        parts = [label for flag, label in ((self.mine, "mine"), (self.unassigned, "unassigned"),
                                           (self.overdue, "overdue")) if flag]
        if self.reason:
            parts.append(self.reason.label)
        return ", ".join(parts) or "all open"


@dataclass(frozen=True)
class QueueItem:
    id: int
    patient_id: int
    mrn: str
    patient_name: str
    reason: CallbackReason
    priority: Priority
    due_at: datetime
    overdue: bool
    assigned_to: str | None
    created_by: str | None
    created_at: datetime
    being_worked_by: str | None
    attempts: int
    note: str | None
    appointment_id: int | None
    escalated: bool
    retry_pending: bool = False  # tried already and not due again yet


@dataclass(frozen=True)
class Attempt:
    at: datetime
    by: str
    outcome: CallbackOutcome
    note: str | None


@dataclass(frozen=True)
class WorkItem:
    item: QueueItem
    phones: tuple[tuple[str, str], ...]  # (label, E.164)
    preferred_language: str
    attempts: tuple[Attempt, ...]
    version: int


_PRIORITY_ORDER = case({p.value: p.rank for p in Priority}, value=Callback.priority)


def _staff_names(session) -> dict[int, str]:
    return dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())


def list_queue(ctx: AppContext, actor: Actor, queue_filter: QueueFilter = QueueFilter(),
               limit: int = 300) -> list[QueueItem]:
    """Open items, most urgent first, then by due time; items already tried and not due again
    yet (a failed call's retry) come after every item that can be called now."""
    now = ctx.now()
    # Counted per listed item (index lookups), not grouped over every attempt ever made.
    tries = func.coalesce(select(func.count()).where(CallbackAttempt.callback_id == Callback.id)
                          .correlate(Callback).scalar_subquery(), 0)
    stmt = (
        select(Callback, Patient.mrn, Patient.family_name, Patient.given_name,
               tries)
        .join(Patient, Patient.id == Callback.patient_id)
        .where(Callback.status == "open")
        # An item waiting for its retry (tried, not due yet) after every item callable now.
        .order_by(case((and_(tries > 0, Callback.due_at > now), 1), else_=0),
                  _PRIORITY_ORDER, Callback.due_at, Callback.id)
        .limit(limit)
    )
    if queue_filter.mine:
        stmt = stmt.where(Callback.assigned_to_id == actor.id)
    if queue_filter.unassigned:
        stmt = stmt.where(Callback.assigned_to_id.is_(None))
    if queue_filter.overdue:
        stmt = stmt.where(Callback.due_at < now)
    if queue_filter.reason:
        stmt = stmt.where(Callback.reason == queue_filter.reason.value)
    with ctx.db.read() as session:
        names = _staff_names(session)
        rows = session.execute(stmt).all()
        return [_item(row[0], row[1], f"{row[2]}, {row[3]}", row[4], names, now) for row in rows]


def _item(cb: Callback, mrn: str, name: str, attempts: int, names: dict[int, str], now: datetime) -> QueueItem:
    claim_live = cb.claimed_by_id is not None and cb.claimed_at is not None and now - cb.claimed_at < CLAIM_TTL
    return QueueItem(
        id=cb.id, patient_id=cb.patient_id, mrn=mrn, patient_name=name,
        reason=CallbackReason(cb.reason), priority=Priority(cb.priority), due_at=cb.due_at,
        overdue=cb.due_at < now, assigned_to=names.get(cb.assigned_to_id),
        created_by=names.get(cb.created_by_id), created_at=cb.created_at,
        being_worked_by=names.get(cb.claimed_by_id) if claim_live else None, attempts=attempts,
        note=cb.note, appointment_id=cb.appointment_id, escalated=cb.escalated_at is not None,
        retry_pending=attempts > 0 and cb.due_at > now,
    )


def _open_item(session, callback_id: int) -> Callback:
    item = session.get(Callback, callback_id)
    if item is None:
        raise UserError(f"callback {callback_id} does not exist")
    if item.status != "open":
        raise UserError(f"callback {callback_id} is already closed ({item.status})")
    return item


def _check_claim(session, item: Callback, actor: Actor, now: datetime) -> None:
    if (item.claimed_by_id not in (None, actor.id) and item.claimed_at is not None
            and now - item.claimed_at < CLAIM_TTL):
        who = session.get(StaffUser, item.claimed_by_id)
        raise ConflictError(f"being worked by {who.display_name if who else 'another desk'} "
                            f"since {item.claimed_at:%H:%M} UTC")


def _set_claim(session, item: Callback, by_id: int | None, at: datetime | None) -> None:
    """Who holds the item is bookkeeping, not content a desk edits: it leaves the version alone,
    so the minute's claim refresh never makes the desk's own next step look stale."""
    session.execute(update(Callback).where(Callback.id == item.id)
                    .values(claimed_by_id=by_id, claimed_at=at))
    set_committed_value(item, "claimed_by_id", by_id)
    set_committed_value(item, "claimed_at", at)


def claim(ctx: AppContext, actor: Actor, callback_id: int) -> WorkItem:
    """Take the item for this desk (or refresh this desk's claim). Another live claim wins."""
    now = ctx.now()
    with ctx.db.write() as session:
        item = _open_item(session, callback_id)
        _check_claim(session, item, actor, now)
        _set_claim(session, item, actor.id, now)
        audit.record(session, actor, "patient.view", now, patient_id=item.patient_id,
                     entity="callback", entity_id=item.id, detail={"screen": "callback work"})
        return _work_item(session, item, now)


def release(ctx: AppContext, actor: Actor, callback_id: int) -> None:
    with ctx.db.write() as session:
        item = session.get(Callback, callback_id)
        if item is not None and item.claimed_by_id == actor.id:
            _set_claim(session, item, None, None)


def _work_item(session, item: Callback, now: datetime) -> WorkItem:
    patient = session.get(Patient, item.patient_id)
    names = _staff_names(session)
    attempts = session.execute(
        select(CallbackAttempt).where(CallbackAttempt.callback_id == item.id).order_by(CallbackAttempt.id)
    ).scalars().all()
    phones = tuple((label, number) for label, number in (("mobile", patient.phone_mobile),
                                                         ("home", patient.phone_home)) if number)
    return WorkItem(
        item=_item(item, patient.mrn, f"{patient.family_name}, {patient.given_name}", len(attempts), names, now),
        phones=phones, preferred_language=patient.preferred_language,
        attempts=tuple(Attempt(a.at, names.get(a.by_id, "?"), CallbackOutcome(a.outcome), a.note) for a in attempts),
        version=item.version_id,
    )


def record_attempt(ctx: AppContext, actor: Actor, callback_id: int, outcome: CallbackOutcome,
                   note: str | None = None, *, expected_version: int | None = None) -> WorkItem:
    """One phone call's outcome. A failed call puts the item back by `callback_retry_minutes`
    (next morning when that is after calling hours; never earlier than it was due); too many
    failed calls escalate it to a supervisor instead."""
    note = clean_note(note)
    now = ctx.now()
    with ctx.db.write() as session:
        item = _open_item(session, callback_id)
        _check_claim(session, item, actor, now)
        check_version(item, expected_version, what="the callback", nothing="the call was not recorded")
        if outcome in FAILED:
            _refuse_repeated_failure(ctx, session, item.id, actor, now)
        item.claimed_by_id, item.claimed_at = actor.id, now
        session.add(CallbackAttempt(callback_id=item.id, at=now, by_id=actor.id, outcome=outcome.value, note=note))
        session.flush()
        failed = session.scalar(select(func.count()).select_from(CallbackAttempt).where(
            CallbackAttempt.callback_id == item.id,
            CallbackAttempt.outcome.in_([o.value for o in FAILED])))
        detail = {"outcome": outcome.value}
        limit = ctx.settings.failed_attempts_before_escalation
        escalate = outcome in FAILED and failed >= limit and item.escalated_at is None
        if outcome in FAILED and not escalate:
            # Due again after the retry interval (or next morning), so the next item comes first.
            again = next_try(now.astimezone(ctx.settings.tz), ctx.settings.callback_retry_minutes)
            if again > item.due_at:
                item.due_at = again.astimezone(UTC)
                detail["due_again"] = item.due_at.isoformat()
        if escalate:
            supervisor = session.scalar(select(StaffUser.id).where(
                StaffUser.role == Role.SUPERVISOR.value, StaffUser.active.is_(True)).order_by(StaffUser.id))
            item.escalated_at = now
            item.due_at = min(item.due_at, now)  # a supervisor's to decide now, retry or not
            item.priority = Priority.HIGH.value
            item.assigned_to_id = supervisor
            item.note = clean_note(f"Escalated after {failed} failed calls: send a letter or decide. "
                                    + (item.note or ""))
            detail["escalated"] = True
        audit.record(session, actor, "callback.attempt", now, patient_id=item.patient_id,
                     entity="callback", entity_id=item.id, detail=detail)
        return _work_item(session, item, now)


def _refuse_repeated_failure(ctx: AppContext, session, callback_id: int, actor: Actor,
                             now: datetime) -> None:
    last = session.execute(
        select(CallbackAttempt.at, CallbackAttempt.outcome)
        .where(CallbackAttempt.callback_id == callback_id, CallbackAttempt.by_id == actor.id,
               CallbackAttempt.outcome.in_([o.value for o in FAILED]),
               CallbackAttempt.at > now - REPEAT_FAILED_CALL_WINDOW)
        .order_by(CallbackAttempt.at.desc(), CallbackAttempt.id.desc()).limit(1)).first()
    if last is not None:
        at, outcome = last
        raise UserError(f"already recorded '{outcome.replace('_', ' ')}' at {ctx.local(at):%H:%M}; "
                        f"wait before calling again")


def close(ctx: AppContext, actor: Actor, callback_id: int, *, done: bool, reason: str,
          expected_version: int | None = None) -> None:
    """Close as done or cancelled; a reason is always kept."""
    reason = clean_note(reason)
    if not reason:
        raise UserError("say why the item is being closed")
    now = ctx.now()
    with ctx.db.write() as session:
        item = _open_item(session, callback_id)
        _check_claim(session, item, actor, now)
        check_version(item, expected_version, what="the callback", nothing="it was not closed")
        _close_item(session, actor, item, now, done=done, reason=reason)


def _close_item(session, actor: Actor, item: Callback, now: datetime, *, done: bool, reason: str) -> None:
    item.status = "done" if done else "cancelled"
    item.closed_at, item.closed_by_id, item.close_reason = now, actor.id, reason
    item.claimed_by_id = item.claimed_at = None
    audit.record(session, actor, "callback.close", now, patient_id=item.patient_id,
                 entity="callback", entity_id=item.id, detail={"status": item.status, "reason": reason})


def confirm_appointment_by_phone(ctx: AppContext, actor: Actor, callback_id: int, *,
                                 expected_version: int | None = None) -> None:
    """A confirmation call that reached the patient: the appointment is confirmed and the item
    is closed as done, in one transaction (never a confirmed appointment with its call still open)."""
    now = ctx.now()
    with ctx.db.write() as session:
        item = _open_item(session, callback_id)
        if item.appointment_id is None:
            raise UserError("this item has no appointment to confirm")
        _check_claim(session, item, actor, now)
        check_version(item, expected_version, what="the callback", nothing="nothing was confirmed")
        apply_status_change(session, actor, item.appointment_id, AppointmentStatus.CONFIRMED, at=now,
                            reason="confirmed by phone")
        _close_item(session, actor, item, now, done=True, reason="appointment confirmed by phone")


def close_as_booked(session, ctx: AppContext, actor: Actor, callback_id: int, appointment_id: int,
                    now: datetime, *, expected_version: int | None = None) -> None:
    """Inside the booking's own write transaction: the callback that led to a booking closes as
    done, naming the new appointment. The item's own appointment link (the no-show, the cancelled
    visit) is kept; an item without one is linked to the new appointment."""
    item = _open_item(session, callback_id)
    _check_claim(session, item, actor, now)
    check_version(item, expected_version, what="the callback", nothing="nothing was booked")
    item.status = "done"
    item.closed_at, item.closed_by_id = now, actor.id
    item.close_reason = f"booked appointment #{appointment_id}"
    if item.appointment_id is None:
        item.appointment_id = appointment_id
    item.claimed_by_id = item.claimed_at = None
    audit.record(session, actor, "callback.close", now, patient_id=item.patient_id, entity="callback",
                 entity_id=item.id, detail={"status": "done", "booked_appointment": appointment_id})


def clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in note).split())
    return cleaned[:480] or None

