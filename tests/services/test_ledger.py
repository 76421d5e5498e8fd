"""The patient ledger (issue 17): the balance is always the sum of the rows, whatever sequence of
postings, reversals, copay payments, voids and merges made them; rows are never edited; bad
input posts nothing."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from coordinator_tui.errors import PermissionDenied, StorageError, UserError
from coordinator_tui.services import checkin, patients
from coordinator_tui.services.accounts import aging, ledger
from coordinator_tui.services.checkin import cashup
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import LedgerEntry, Patient
from tests.conftest import CLINIC_DAY
from tests.helpers.engines import raw_connect
from tests.helpers.ledger import ledger_sum, patient_version, waiting_insured


def _rows(ctx):
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def test_balance_is_the_sum_of_rows_after_a_random_sequence(ctx):
    desk, sup = actor_for(ctx, "demo"), actor_for(ctx, "super")
    rng = random.Random(17)
    people = list(range(101, 109))
    expected = {p: ledger_sum(ctx, p) for p in people}
    merged: dict[int, int] = {}

    def home(p):
        while p in merged:
            p = merged[p]
        return p

    posted = []
    for step in range(90):
        action = rng.choice(["charge", "charge", "payment", "adjustment", "write_off", "refund",
                             "transfer", "reverse", "merge"])
        p = rng.choice(people)
        cents = rng.randrange(1, 20000)
        amount = f"{cents // 100}.{cents % 100:02d}"
        if action == "merge":
            live = sorted({home(x) for x in people})
            if len(live) < 3:
                continue
            a, b = rng.sample(live, 2)
            version = patient_version(ctx, a)
            patients.merge_patients(ctx, sup, a, b, "same person", expected_version=version)
            merged[b] = a
            expected[a] += expected.pop(b)
            continue
        if action == "reverse":
            candidates = [r for r in posted if not r[1]]
            if not candidates:
                continue
            index = posted.index(rng.choice(candidates))
            entry_id, _done, owner = posted[index]
            row = ledger.reverse_entry(ctx, sup, entry_id, "posted in error")
            posted[index] = (entry_id, True, owner)
            expected[home(owner)] += row.amount_cents
            continue
        if action == "transfer":
            ledger.transfer_to_patient(ctx, desk, p, amount)
            expected[home(p)] += cents
            continue
        current = ledger.balance(ctx, p)
        try:
            row = ledger.post_entry(ctx, sup, p, action, ("-" if rng.random() < 0.5 else "") + amount
                                    if action == "adjustment" else amount, reason="desk correction",
                                    service_date=CLINIC_DAY - timedelta(days=rng.randrange(0, 200)),
                                    confirm_over_balance=rng.random() < 0.5)
        except UserError:
            assert (action in ("payment", "write_off") and cents > current) or \
                (action == "refund" and cents > -current)
            continue
        posted.append((row.id, False, p))
        expected[home(p)] += row.amount_cents
        if step % 10 == 0:
            for person in expected:
                assert ledger.balance(ctx, person) == expected[person] == ledger_sum(ctx, person)
    report = aging.aging(ctx, sup, CLINIC_DAY, check_total=True)
    for person, cents in expected.items():
        assert ledger.balance(ctx, person) == cents == ledger_sum(ctx, person)
        aged = [p for p in report.patients if p.patient_id == person]
        assert (aged[0].balance_cents if aged else 0) == cents
    # A merged record's balance is its survivor's; a row posted to it goes to the survivor.
    for gone, kept in merged.items():
        assert ledger.balance(ctx, gone) == ledger.balance(ctx, home(kept))
    assert sum(report.totals) == report.ledger_total == ledger_sum(ctx, None)


def test_rows_are_never_edited_or_deleted(ctx, seeded_path):
    sup = actor_for(ctx, "super")
    row = ledger.post_entry(ctx, sup, 101, "charge", "40.00")
    for sql in ("UPDATE ledger_entries SET amount_cents = 1 WHERE id = ?",
                "DELETE FROM ledger_entries WHERE id = ?"):
        # Any client of the file, not only this app: the database itself refuses.
        raw = raw_connect(seeded_path)  # the database's own trigger, on either engine
        try:
            with pytest.raises(Exception, match="ledger_entries rows cannot be"):
                raw.execute(sql, (row.id,))
        finally:
            raw.close()
    with pytest.raises(UserError, match="already reversed"):
        ledger.reverse_entry(ctx, sup, row.id, "typo")
        ledger.reverse_entry(ctx, sup, row.id, "typo again")


@pytest.mark.parametrize(("kind", "amount", "message"), [
    ("charge", "12.345", "more than two digits"),
    ("charge", "-5.00", "negative"),
    ("charge", "0", "zero"),
    ("adjustment", "5.00", "needs a reason|Enter the reason|reason"),
    ("bonus", "5.00", "not something to post"),
])
def test_bad_amounts_post_nothing(ctx, kind, amount, message):
    sup = actor_for(ctx, "super")
    before = _rows(ctx)
    with pytest.raises(UserError, match=message):
        ledger.post_entry(ctx, sup, 101, kind, amount)
    assert _rows(ctx) == before


def test_write_off_needs_a_supervisor_and_a_reason(ctx):
    desk, sup = actor_for(ctx, "demo"), actor_for(ctx, "super")
    ledger.post_entry(ctx, desk, 102, "charge", "80.00")
    before = _rows(ctx)
    with pytest.raises(PermissionDenied, match="supervisor"):
        ledger.post_entry(ctx, desk, 102, "write_off", "80.00", reason="uncollectable")
    with pytest.raises(UserError, match="reason"):
        ledger.post_entry(ctx, sup, 102, "write_off", "80.00")
    assert _rows(ctx) == before
    ledger.post_entry(ctx, sup, 102, "write_off", "80.00", reason="uncollectable")
    assert ledger.balance(ctx, 102) == ledger_sum(ctx, 102)


def test_refund_only_of_a_credit(ctx):
    desk = actor_for(ctx, "demo")
    start = ledger.balance(ctx, 104)
    with pytest.raises(UserError, match="cannot refund"):
        ledger.post_entry(ctx, desk, 104, "refund", f"{(max(0, -start) + 100) / 100:.2f}")
    ledger.post_entry(ctx, desk, 104, "payment", "10.00", confirm_over_balance=True)
    credit = -ledger.balance(ctx, 104)
    if credit > 0:
        ledger.post_entry(ctx, desk, 104, "refund", f"{credit // 100}.{credit % 100:02d}")
        assert ledger.balance(ctx, 104) == 0


def test_payment_larger_than_the_balance_asks(ctx):
    desk = actor_for(ctx, "demo")
    ledger.post_entry(ctx, desk, 103, "charge", "25.00")
    start = ledger.balance(ctx, 103)
    with pytest.raises(ledger.PaymentOverBalance, match="confirm"):
        ledger.post_entry(ctx, desk, 103, "payment", f"{(start + 500) // 100}.{(start + 500) % 100:02d}")
    assert ledger.balance(ctx, 103) == start
    ledger.post_entry(ctx, desk, 103, "payment", "30.00", confirm_over_balance=True)
    assert ledger.balance(ctx, 103) == start - 3000


def test_copay_payments_and_voids_post_in_the_same_transaction_and_cashup_is_unchanged(ctx):
    desk, sup = actor_for(ctx, "demo"), actor_for(ctx, "super")
    appointment_id, patient_id = waiting_insured(ctx, desk)
    before = cashup.cash_up(ctx, desk, CLINIC_DAY)
    receipt = checkin.take_payment(ctx, desk, appointment_id, "5.00", "cash", confirm_over_due=True)
    other = checkin.take_payment(ctx, desk, appointment_id, "7.00", "card", confirm_over_due=True)
    checkin.void_payment(ctx, sup, other.payment_id, "wrong card")
    after = cashup.cash_up(ctx, desk, CLINIC_DAY)
    assert after.total_cents == before.total_cents + 500
    with ctx.db.read() as session:
        day_rows = session.scalar(select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.payment_id.in_([p.id for p in after.payments])))
        receipts = set(session.scalars(select(LedgerEntry.reference).where(
            LedgerEntry.payment_id == receipt.payment_id)))
        charged = session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.appointment_id == appointment_id, LedgerEntry.kind == "charge"))
    # The cash-up's total and the ledger's payment rows for the same payments are one figure.
    assert -day_rows == after.total_cents
    assert receipts == {receipt.receipt_number}
    assert charged == 1  # the copay is charged once however many payments


def test_merged_record_posts_go_to_the_survivor(ctx):
    sup = actor_for(ctx, "super")
    ledger.post_entry(ctx, sup, 105, "charge", "10.00")
    version = patient_version(ctx, 104)
    patients.merge_patients(ctx, sup, 104, 105, "duplicate", expected_version=version)
    row = ledger.post_entry(ctx, sup, 105, "charge", "3.00")
    with ctx.db.read() as session:
        assert session.get(LedgerEntry, row.id).patient_id == 104
        assert session.get(Patient, 105).merged_into_id == 104
    assert ledger.balance(ctx, 105) == ledger.balance(ctx, 104) == ledger_sum(ctx, 104)


def test_a_row_cannot_move_to_a_record_it_was_not_merged_into(ctx):
    sup = actor_for(ctx, "super")
    row = ledger.post_entry(ctx, sup, 106, "charge", "10.00")
    with pytest.raises(StorageError), ctx.db.write() as session:
        session.execute(text("UPDATE ledger_entries SET patient_id = 107 WHERE id = :id"), {"id": row.id})
    with ctx.db.read() as session:
        assert session.get(LedgerEntry, row.id).patient_id == 106
