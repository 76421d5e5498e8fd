"""Payment plans: an amount per month from a first due date. The newest row of a patient is the
plan in force (amount 0: ended). On plan = the payments posted since the plan was recorded cover
every monthly amount that has fallen due by today; otherwise overdue since the first uncovered
due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from coordinator_tui.domain.ledger import EntryKind
from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.text import clean_text
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.ledger import PATIENT, balance_in, parse_cents, survivor
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import LedgerEntry, PaymentPlan

MAX_PLAN_MONTHS = 120


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class PlanStatus:
    amount_cents: int
    first_due: date
    next_due: date
    on_plan: bool
    overdue_since: date | None
    paid_cents: int


def plan_status_in(session, patient_id: int, today: date) -> PlanStatus | None:
    plan = session.scalar(select(PaymentPlan).where(PaymentPlan.patient_id == patient_id)
                          .order_by(PaymentPlan.id.desc()).limit(1))
    if plan is None or plan.amount_cents == 0 or plan.next_due is None:
        return None
    paid = -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.patient_id == patient_id, LedgerEntry.responsibility == PATIENT,
        LedgerEntry.payment_id.is_not(None) | (LedgerEntry.kind == EntryKind.PAYMENT.value),
        LedgerEntry.posted_at >= plan.recorded_at)) or 0)
    due_count = 0
    while due_count < MAX_PLAN_MONTHS and add_months(plan.next_due, due_count) <= today:
        due_count += 1
    covered = paid // plan.amount_cents if plan.amount_cents else 0
    on_plan = covered >= due_count
    overdue = None if on_plan else add_months(plan.next_due, covered)
    return PlanStatus(plan.amount_cents, plan.next_due, add_months(plan.next_due, max(due_count, covered)),
                      on_plan, overdue, paid)


def plan_status(ctx: AppContext, patient_id: int) -> PlanStatus | None:
    with ctx.db.read() as session:
        return plan_status_in(session, survivor(session, patient_id).id, ctx.today())


def record_plan(ctx: AppContext, actor: Actor, patient_id: int, amount: str, next_due: date,
                note: str | None = None) -> PlanStatus:
    """Record (or replace) the patient's payment plan: the amount per month and the first due
    date. Refused when nothing is owed or the first due date is past."""
    cents = parse_cents(amount)
    note = clean_text(note, "the note", limit=200, required=False)
    at = ctx.now()
    if next_due < ctx.today():
        raise UserError(f"the first payment date {next_due:%Y-%m-%d} is in the past")
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        owed = balance_in(session, patient.id)
        if owed <= 0:
            raise UserError(f"{patient.mrn} owes nothing ({format_cents(owed)}); no plan needed")
        if cents > owed:
            raise UserError(f"{format_cents(cents)} a month is more than the {format_cents(owed)} owed")
        plan = PaymentPlan(patient_id=patient.id, amount_cents=cents, next_due=next_due, recorded_at=at,
                           recorded_by_id=actor.id)
        session.add(plan)
        session.flush()
        audit.record(session, actor, "ledger.plan", at, patient_id=patient.id, entity="payment_plan",
                     entity_id=plan.id, detail={"cents": cents, "next_due": next_due.isoformat(), "note": note})
        return plan_status_in(session, patient.id, ctx.today())


def end_plan(ctx: AppContext, actor: Actor, patient_id: int) -> None:
    at = ctx.now()
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        if plan_status_in(session, patient.id, ctx.today()) is None:
            raise UserError(f"{patient.mrn} has no payment plan")
        plan = PaymentPlan(patient_id=patient.id, amount_cents=0, next_due=None, recorded_at=at,
                           recorded_by_id=actor.id)
        session.add(plan)
        session.flush()
        audit.record(session, actor, "ledger.plan_end", at, patient_id=patient.id, entity="payment_plan",
                     entity_id=plan.id)
