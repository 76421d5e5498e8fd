"""The ledger at the check-in desk (issue 17): the checklist shows a prior balance; one payment
covers the copay and the balance, split on the ledger; a payment plan shows as on plan; the
collections report's "due" is the visit's copay charge on the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from coordinator_tui.errors import UserError
from coordinator_tui.services import checkin
from coordinator_tui.services.accounts import ledger, plans
from coordinator_tui.services.reports import run_report
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import LedgerEntry
from tests.conftest import CLINIC_DAY
from tests.helpers.ledger import ledger_sum, waiting_insured


def _old_charge(ctx, actor, patient_id, amount="60.00", days=45):
    return ledger.post_entry(ctx, actor, patient_id, "charge", amount,
                             service_date=CLINIC_DAY - timedelta(days=days))


def test_checklist_shows_the_prior_balance_and_one_payment_covers_both(ctx):
    desk = actor_for(ctx, "demo")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    start = ledger.balance(ctx, patient_id)
    _old_charge(ctx, desk, patient_id)
    sheet = checkin.checklist(ctx, desk, appointment_id)
    item = sheet.item("balance")
    assert not item.done and f"${(start + 6000) / 100:,.2f} to collect" in item.detail
    copay = sheet.copay_due_cents
    total = copay + start + 6000
    with pytest.raises(checkin.PaymentOverDue):
        checkin.take_payment(ctx, desk, appointment_id, f"{(total + 1) / 100:.2f}", "card", with_balance=True)
    receipt = checkin.take_payment(ctx, desk, appointment_id, f"{total / 100:.2f}", "card", with_balance=True)
    with ctx.db.read() as session:
        parts = session.execute(select(LedgerEntry.appointment_id, LedgerEntry.amount_cents).where(
            LedgerEntry.payment_id == receipt.payment_id).order_by(LedgerEntry.id)).all()
    # One receipt, two ledger rows: the visit's copay and the rest on account.
    assert [tuple(p) for p in parts] == [(appointment_id, -copay), (None, -(start + 6000))] if copay else \
        [tuple(p) for p in parts] == [(None, -(start + 6000))]
    assert ledger.balance(ctx, patient_id) == ledger_sum(ctx, patient_id) == 0
    after = checkin.checklist(ctx, desk, appointment_id)
    assert "balance" not in [i.key for i in after.items] and after.item("copay").done


def test_a_void_reverses_the_split_rows(ctx):
    desk, sup = actor_for(ctx, "demo"), actor_for(ctx, "super")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    _old_charge(ctx, desk, patient_id, "20.00")
    before = ledger.balance(ctx, patient_id)
    due = checkin.checklist(ctx, desk, appointment_id).copay_due_cents
    receipt = checkin.take_payment(ctx, desk, appointment_id, f"{(due + 2000) / 100:.2f}", "cash",
                                   with_balance=True)
    checkin.void_payment(ctx, sup, receipt.payment_id, "wrong patient")
    # The copay charge stays (it is owed); the money comes back onto the balance.
    assert ledger.balance(ctx, patient_id) == ledger_sum(ctx, patient_id) == before + due


def test_payment_plan_shows_on_plan_until_a_month_is_missed(ctx, clock):
    desk = actor_for(ctx, "demo")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    _old_charge(ctx, desk, patient_id, "300.00", days=100)
    plans.record_plan(ctx, desk, patient_id, "50.00", CLINIC_DAY)
    ledger.post_entry(ctx, desk, patient_id, "payment", "50.00")
    item = checkin.checklist(ctx, desk, appointment_id).item("balance")
    assert item.done and "on plan" in item.detail
    status = plans.plan_status(ctx, patient_id)
    assert status.on_plan and status.next_due > CLINIC_DAY
    clock.advance(days=40)  # a second month falls due with nothing paid
    late = plans.plan_status(ctx, patient_id)
    assert not late.on_plan and late.overdue_since is not None
    with pytest.raises(UserError, match="past"):
        plans.record_plan(ctx, desk, patient_id, "50.00", CLINIC_DAY)


def test_plan_refused_when_nothing_is_owed(ctx):
    desk = actor_for(ctx, "demo")
    with pytest.raises(UserError, match="owes nothing"):
        plans.record_plan(ctx, desk, 140, "10.00", CLINIC_DAY + timedelta(days=3))


def test_collections_due_is_the_ledger_charge(ctx):
    desk = actor_for(ctx, "demo")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    version = checkin.checklist(ctx, desk, appointment_id).version
    checkin.check_in(ctx, desk, appointment_id, version, exception_reason="test")
    with ctx.db.read() as session:
        charged = session.scalar(select(LedgerEntry.amount_cents).where(
            LedgerEntry.appointment_id == appointment_id, LedgerEntry.kind == "charge"))
    assert charged and charged > 0  # the copay went on the ledger at check-in
    sup = actor_for(ctx, "super")
    before = run_report(ctx, sup, "collections", CLINIC_DAY, CLINIC_DAY, by="day").rows[-1][3]
    with ctx.db.write() as session:  # the coverage's copay changes after the visit
        session.execute(text("UPDATE coverages SET copay_cents = copay_cents + 1000, version_id = version_id + 1 "
                             "WHERE patient_id = :p"), {"p": patient_id})
    after = run_report(ctx, sup, "collections", CLINIC_DAY, CLINIC_DAY, by="day").rows[-1][3]
    assert after == before  # due is what was charged at the visit, not today's copay


def test_undoing_a_check_in_takes_back_an_unpaid_copay_charge(ctx):
    desk = actor_for(ctx, "demo")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    with ctx.db.write() as session:  # a copay due and not paid ahead
        session.execute(text("UPDATE coverages SET copay_cents = 3000, version_id = version_id + 1 "
                             "WHERE patient_id = :p AND rank = 'primary' AND active"), {"p": patient_id})
    assert checkin.checklist(ctx, desk, appointment_id).copay_due_cents > 0
    before = ledger.balance(ctx, patient_id)
    change = checkin.check_in(ctx, desk, appointment_id, checkin.checklist(ctx, desk, appointment_id).version,
                              exception_reason="test")
    with ctx.db.read() as session:
        charged = session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.appointment_id == appointment_id, LedgerEntry.kind == "charge"))
    assert charged == 1 and ledger.balance(ctx, patient_id) > before
    checkin.undo_check_in(ctx, desk, appointment_id, "wrong patient", change.version)
    assert ledger.balance(ctx, patient_id) == before == ledger_sum(ctx, patient_id)
