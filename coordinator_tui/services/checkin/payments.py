"""Payments at the desk: copay taken with a receipt number, printable receipts, voids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from coordinator_tui.domain.money import AmountInvalid, format_cents, parse_payment
from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import PaymentMethod
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts import desk as desk_ledger
from coordinator_tui.services.checkin.checklists import (
    aware_instant,
    load_appointment,
    paid_cents,
    primary_coverage,
)
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import (
    Patient,
    Payment,
)

METHOD_KEYS = {"c": PaymentMethod.CASH, "k": PaymentMethod.CARD, "h": PaymentMethod.CHECK}


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    receipt_number: str
    patient_id: int
    mrn: str
    appointment_id: int | None
    amount_cents: int
    method: PaymentMethod
    reference: str | None
    taken_at: datetime
    taken_by: str
    clinic_name: str = ""


class PaymentOverDue(UserError):
    """More than the copay due was typed: saved only when the desk confirms (a typo is likelier
    than a patient paying ahead). Nothing was saved."""

    def __init__(self, cents: int, due_cents: int):
        self.cents, self.due_cents = cents, due_cents
        super().__init__(f"{format_cents(cents)} is {format_cents(cents - due_cents)} more than the "
                         f"{format_cents(due_cents)} due; confirm to take it anyway")


def _method(method: PaymentMethod | str) -> PaymentMethod:
    if isinstance(method, PaymentMethod):
        return method
    text = str(method).strip().lower()
    if text in METHOD_KEYS:
        return METHOD_KEYS[text]
    try:
        return PaymentMethod(text)
    except ValueError:
        raise UserError("method must be cash, card or check") from None


def _next_receipt_number(session, day: date) -> str:
    prefix = f"R{day:%Y%m%d}-"
    last = session.scalar(select(func.max(Payment.receipt_number)).where(
        Payment.receipt_number >= prefix, Payment.receipt_number < prefix + "~"))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def take_payment(ctx: AppContext, actor: Actor, appointment_id: int, amount: str,
                 method: PaymentMethod | str, reference: str | None = None, *,
                 confirm_over_due: bool = False, with_balance: bool = False) -> Receipt:
    """Record money taken at the desk. The receipt number (R20261123-0007: the clinic day and a
    sequence) is given inside the write transaction, so two desks never share one. More than the
    copay due (when the patient has insurance, so a copay is known) raises PaymentOverDue unless
    `confirm_over_due`; more than MAX_PAYMENT_CENTS is always refused."""
    try:
        cents = parse_payment(amount)
    except AmountInvalid as exc:
        raise UserError(str(exc)) from None
    kind = _method(method)
    reference = clean_text(reference, "the reference", limit=60,
                           required=kind is PaymentMethod.CHECK)
    at = ctx.now()
    from coordinator_tui.services.clinic import clinic_name

    name = clinic_name(ctx)
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        patient = session.get(Patient, appointment.patient_id)
        coverage = primary_coverage(session, patient.id)
        # Due is worked out here, in the write transaction: another desk may just have taken it.
        copay_due = max(0, coverage.copay_cents - paid_cents(session, appointment_id)) if coverage else 0
        prior = max(0, desk_ledger.prior_balance_in(session, patient.id, appointment_id)) if with_balance else 0
        if (coverage is not None or with_balance) and not confirm_over_due and cents > copay_due + prior:
            raise PaymentOverDue(cents, copay_due + prior)
        number = _next_receipt_number(session, ctx.today())
        payment = Payment(patient_id=patient.id, appointment_id=appointment_id, amount_cents=cents,
                          method=kind.value, reference=reference, receipt_number=number, taken_at=at,
                          taken_by_id=actor.id)
        session.add(payment)
        session.flush()
        day = ctx.local(aware_instant(appointment.starts_at)).date()
        desk_ledger.charge_copay(session, actor, appointment, coverage.copay_cents if coverage else 0,
                                 at=at, day=day)
        on_account = min(prior, max(0, cents - copay_due)) if with_balance else 0
        desk_ledger.post_payment(session, actor, payment, day=day, on_account_cents=on_account)
        audit.record(session, actor, "payment.take", at, patient_id=patient.id, entity="payment",
                     entity_id=payment.id, detail={"cents": cents, "method": kind.value, "receipt": number})
        return Receipt(payment.id, number, patient.id, patient.mrn, appointment_id, cents, kind,
                       reference, at, actor.display_name, name)


def render_receipt(receipt: Receipt, tz) -> str:
    """A printable receipt as plain text (40 columns: a receipt printer's width)."""
    lines = [
        (receipt.clinic_name or "Receipt")[:40].center(40),
        "=" * 40,
        f"Receipt   {receipt.receipt_number}",
        f"Date      {receipt.taken_at.astimezone(tz):%Y-%m-%d %H:%M}",
        f"Patient   MRN {receipt.mrn}",
        f"Amount    {format_cents(receipt.amount_cents)}",
        f"Method    {receipt.method.value}" + (f"  ref {receipt.reference}" if receipt.reference else ""),
        f"Taken by  {receipt.taken_by[:30]}",
        "=" * 40,
        "Thank you".center(40),
    ]
    return "\n".join(lines) + "\n"


def void_payment(ctx: AppContext, actor: Actor, payment_id: int, reason: str) -> None:
    """Void (never delete) a payment: supervisors and admins only, with a reason."""
    require(actor, Permission.VOID_PAYMENT)
    reason = clean_text(reason, "the reason", limit=300, required=True)
    at = ctx.now()
    with ctx.db.write() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise UserError(f"payment {payment_id} does not exist")
        if payment.voided_at is not None:
            raise UserError(f"receipt {payment.receipt_number} is already void")
        payment.voided_at = at
        payment.voided_by_id = actor.id
        payment.void_reason = reason
        session.flush()
        desk_ledger.reverse_payment(session, actor, payment, at=at)
        audit.record(session, actor, "payment.void", at, patient_id=payment.patient_id, entity="payment",
                     entity_id=payment.id, detail={"receipt": payment.receipt_number, "reason": reason})

