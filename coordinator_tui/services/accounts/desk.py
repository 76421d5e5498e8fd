"""The ledger at the check-in desk, inside the desk's own write transactions: the copay charge of
a visit, a payment's rows (one payment may cover the copay and a prior balance: two rows), a
void's reversals, the prior balance and the checklist's balance item.

Decisions: the copay is charged to the ledger once per visit (the active primary coverage's
copay) when the patient is checked in or pays, whichever comes first. The prior balance is the
patient's balance without this visit's rows. A patient on a payment plan who is up to date is
`on plan`, not outstanding."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from coordinator_tui.domain.ledger import EntryKind
from coordinator_tui.domain.money import format_cents
from coordinator_tui.services.accounts.ledger import PATIENT, post_row
from coordinator_tui.services.accounts.plans import plan_status_in
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import Appointment, LedgerEntry, Payment

# Built once: every check-in checklist asks (services/checkin/checklist_reads.py says why).
_VISIT_CENTS = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
    LedgerEntry.appointment_id == bindparam("appointment_id"),
    LedgerEntry.patient_id == bindparam("patient_id"), LedgerEntry.responsibility == PATIENT)

# Built once: a check-in (charge) and its undo (reversal) ask inside their write transactions.
_CHARGED = select(LedgerEntry.id).where(LedgerEntry.appointment_id == bindparam("appointment_id"),
                                        LedgerEntry.kind == EntryKind.CHARGE.value).limit(1)
_UNDONE = aliased(LedgerEntry)
_NOT_REVERSED = select(LedgerEntry).where(
    LedgerEntry.appointment_id == bindparam("appointment_id"),
    LedgerEntry.patient_id == bindparam("patient_id"),
    ~select(_UNDONE.id).where(_UNDONE.reverses_id == LedgerEntry.id).exists())


def visit_cents(session, patient_id: int, appointment_id: int) -> int:
    """The sum of this visit's rows (what of the visit is still owed)."""
    return int(session.execute(_VISIT_CENTS, {"patient_id": patient_id,
                                              "appointment_id": appointment_id}).scalar() or 0)


# The balance less this visit's rows, in one statement (the checklist asks on every build).
_PRIOR = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
    LedgerEntry.patient_id == bindparam("patient_id"), LedgerEntry.responsibility == PATIENT,
    (LedgerEntry.appointment_id.is_(None)) | (LedgerEntry.appointment_id != bindparam("appointment_id")))


def prior_balance_in(session, patient_id: int, appointment_id: int) -> int:
    """The patient's balance without this visit's rows."""
    return int(session.execute(_PRIOR, {"patient_id": patient_id,
                                        "appointment_id": appointment_id}).scalar() or 0)


def charge_copay(session, actor: Actor | None, appointment: Appointment, copay_cents: int, *,
                 at: datetime, day: date) -> LedgerEntry | None:
    """The visit's copay charge, once (nothing when no copay is due or it is already charged)."""
    if copay_cents <= 0:
        return None
    exists = session.scalar(_CHARGED, {"appointment_id": appointment.id})
    if exists is not None:
        return None
    return post_row(session, actor, appointment.patient_id, EntryKind.CHARGE, copay_cents, at=at,
                    service_date=day, appointment_id=appointment.id, reason=None)


def post_payment(session, actor: Actor, payment: Payment, *, day: date, on_account_cents: int = 0) -> list:
    """The payment's ledger rows: the visit's part (appointment set) and what goes on account
    (the prior balance, or a credit). Their sum is minus the payment."""
    rows = []
    visit_part = payment.amount_cents - on_account_cents
    if visit_part > 0:
        rows.append(post_row(session, actor, payment.patient_id, EntryKind.PAYMENT, -visit_part,
                             at=payment.taken_at, service_date=day, appointment_id=payment.appointment_id,
                             payment_id=payment.id, reference=payment.receipt_number))
    if on_account_cents > 0:
        rows.append(post_row(session, actor, payment.patient_id, EntryKind.PAYMENT, -on_account_cents,
                             at=payment.taken_at, service_date=day, payment_id=payment.id,
                             reference=payment.receipt_number))
    return rows


def reverse_payment(session, actor: Actor, payment: Payment, *, at: datetime) -> int:
    """A void: each of the payment's rows not yet reversed gets its reversal (same transaction)."""
    undone = aliased(LedgerEntry)
    rows = session.scalars(select(LedgerEntry).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == EntryKind.PAYMENT.value,
        ~select(undone.id).where(undone.reverses_id == LedgerEntry.id).exists())).all()
    for row in rows:
        post_row(session, actor, row.patient_id, EntryKind.REVERSAL, -row.amount_cents, at=at,
                 service_date=row.service_date, appointment_id=row.appointment_id, payment_id=payment.id,
                 reverses_id=row.id, reference=payment.receipt_number,
                 reason=f"receipt {payment.receipt_number} voided: {payment.void_reason}"[:300])
    return len(rows)


def balance_items(session, ctx: AppContext, appointment: Appointment) -> list[tuple[str, str, bool, str]]:
    """The checklist's prior-balance item (key, label, done, detail); none when nothing is owed."""
    prior = prior_balance_in(session, appointment.patient_id, appointment.id)
    if prior <= 0:
        return []
    status = plan_status_in(session, appointment.patient_id, ctx.today())
    if status is not None and status.on_plan:
        return [("balance", "Prior balance", True,
                 f"{format_cents(prior)} on plan, {format_cents(status.amount_cents)}/month")]
    overdue = f"; plan overdue since {status.overdue_since:%Y-%m-%d}" if status is not None else ""
    return [("balance", "Prior balance", False, f"{format_cents(prior)} to collect{overdue}")]


def prior_balance(ctx: AppContext, appointment_id: int) -> int:
    """What the patient owes apart from this visit (the payment dialog offers to take it too)."""
    with ctx.db.read() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            return 0
        return prior_balance_in(session, appointment.patient_id, appointment_id)


def uncharge_copay(session, actor: Actor | None, appointment: Appointment, *, at: datetime) -> int:
    """An undone check-in takes back the visit's copay charge, unless money was taken for the
    visit (then the charge stays: it is what the payment paid). Returns the rows reversed."""
    rows = session.scalars(_NOT_REVERSED, {"appointment_id": appointment.id,
                                           "patient_id": appointment.patient_id}).all()
    if any(r.kind != EntryKind.CHARGE.value for r in rows):
        return 0
    for row in rows:
        post_row(session, actor, row.patient_id, EntryKind.REVERSAL, -row.amount_cents, at=at,
                 service_date=row.service_date, appointment_id=appointment.id, reverses_id=row.id,
                 reason="check-in undone")
    return len(rows)
