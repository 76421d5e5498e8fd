"""The daily A/R work list (issue 17): patients owing at least a threshold with no statement and
no billing call in the last `quiet_days`, no promise to pay still pending and not on a payment
plan, oldest money first then by amount. Actions, each one transaction: call (a billing item on
the callback queue, once: an open one is reused), a promise to pay (amount and date; the patient
comes back on the list after that date if it was not kept); the statement is in statements.py.

The callback queue has no `billing` reason yet (adding one changes the callbacks table's CHECK):
a billing call is an `other` item whose note starts with BILLING_NOTE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import CallbackReason, Priority
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import AgedPatient, aged_rows, bucket_width, by_urgency
from coordinator_tui.services.accounts.ledger import balance_in, parse_cents, survivor
from coordinator_tui.services.accounts.plans import plan_status_in
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import Callback, PaymentPlan, PaymentPromise

BILLING_NOTE = "Billing:"
DEFAULT_MIN_CENTS = 25_00
QUIET_DAYS = 30
MAX_PROMISE_DAYS = 90


@dataclass(frozen=True)
class WorkItem:
    aged: AgedPatient
    last_call: date | None

    @property
    def patient_id(self) -> int:
        return self.aged.patient_id


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def work_list(ctx: AppContext, actor: Actor, *, min_balance_cents: int = DEFAULT_MIN_CENTS,
              quiet_days: int = QUIET_DAYS, limit: int = 500) -> list[WorkItem]:
    """Today's work list; looking at it is audited."""
    require(actor, Permission.WORK_ACCOUNTS)
    today = ctx.today()
    since = today - timedelta(days=quiet_days)
    since_at = datetime.combine(since, time(0), tzinfo=ctx.settings.tz).astimezone(UTC)
    with ctx.db.read() as session:  # no write lock while every balance is aged; the event follows
        aged, _totals = aged_rows(session, today, bucket_width(ctx), min_balance_cents=max(1, min_balance_cents))
        calls = dict(session.execute(
            select(Callback.patient_id, func.max(Callback.created_at)).where(
                Callback.reason == CallbackReason.OTHER.value, Callback.note.like(f"{BILLING_NOTE}%"))
            .group_by(Callback.patient_id)).all())
        open_calls = set(session.scalars(select(Callback.patient_id).where(
            Callback.reason == CallbackReason.OTHER.value, Callback.note.like(f"{BILLING_NOTE}%"),
            Callback.status == "open")))
        promised = set(session.scalars(select(PaymentPromise.patient_id).where(PaymentPromise.promised_for >= today)))
        planned = set(session.scalars(select(PaymentPlan.patient_id).distinct()))
        items = []
        for row in by_urgency(aged):
            if len(items) >= limit:
                break
            if row.last_statement is not None and row.last_statement > since:
                continue
            last_call = calls.get(row.patient_id)
            if row.patient_id in open_calls or row.patient_id in promised:
                continue
            if last_call is not None and _aware(last_call) >= since_at:
                continue
            if row.patient_id in planned:
                status = plan_status_in(session, row.patient_id, today)
                if status is not None and status.on_plan:
                    continue
            items.append(WorkItem(row, _day(last_call)))
    with audit.recorded(ctx, actor, "ar.worklist", entity="ledger", detail={"patients": len(items)}):
        pass
    return items


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def call_about_balance(ctx: AppContext, actor: Actor, patient_id: int) -> tuple[int, bool]:
    """A billing item on the callback queue, once: (callback id, created). An open one is kept."""
    require(actor, Permission.WORK_ACCOUNTS)
    at = ctx.now()
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        owed = balance_in(session, patient.id)
        if owed <= 0:
            raise UserError(f"{patient.mrn} owes nothing; no call needed")
        existing = session.scalar(select(Callback).where(
            Callback.patient_id == patient.id, Callback.reason == CallbackReason.OTHER.value,
            Callback.status == "open"))
        if existing is not None:
            if not (existing.note or "").startswith(BILLING_NOTE):
                raise UserError(f"{patient.mrn} already has an open 'other' callback; add the balance to it")
            return existing.id, False
        item, created = ensure_open_callback(session, actor, patient_id=patient.id, reason=CallbackReason.OTHER,
                                             at=at, due_at=at, priority=Priority.NORMAL,
                                             note=f"{BILLING_NOTE} balance {format_cents(owed)}")
        return item.id, created


def note_promise(ctx: AppContext, actor: Actor, patient_id: int, amount: str, promised_for: date,
                 note: str | None = None) -> int:
    """A promise to pay by a date (today to MAX_PROMISE_DAYS ahead)."""
    require(actor, Permission.WORK_ACCOUNTS)
    cents = parse_cents(amount)
    note = clean_text(note, "the note", limit=200, required=False)
    today = ctx.today()
    if not today <= promised_for <= today + timedelta(days=MAX_PROMISE_DAYS):
        raise UserError(f"the promised date must be from today to {MAX_PROMISE_DAYS} days ahead")
    at = ctx.now()
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        owed = balance_in(session, patient.id)
        if cents > max(owed, 0):
            raise UserError(f"{format_cents(cents)} is more than the {format_cents(max(owed, 0))} owed")
        promise = PaymentPromise(patient_id=patient.id, amount_cents=cents, promised_for=promised_for,
                                 noted_at=at, noted_by_id=actor.id, note=note)
        session.add(promise)
        session.flush()
        audit.record(session, actor, "ar.promise", at, patient_id=patient.id, entity="payment_promise",
                     entity_id=promise.id, detail={"cents": cents, "by": promised_for.isoformat()})
        return promise.id
