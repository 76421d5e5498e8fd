"""ledger_summary (migration 0017_ledger_summary) is kept by triggers on ledger_entries, so the
A/R aging can trust it: after random postings, reversals and merges (through the services that
write the ledger: post_row, reverse_entry, merge_patients) every patient's summary row equals
the ledger's own sums, and a patient with no patient-responsibility row has none. On SQLite
and on PostgreSQL (--engine postgresql): the triggers are written once per engine."""

from __future__ import annotations

import random

from sqlalchemy import select, text

from coordinator_tui.domain.ledger import EntryKind
from coordinator_tui.services.accounts.ledger import reverse_entry
from coordinator_tui.services.patients import merge_patients
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.ledger_summary import refill_ledger_summary
from coordinator_tui.store.models import LedgerEntry, Patient
from tests.helpers.random_ledger import post_random_rows

KINDS = [(EntryKind.CHARGE, 1), (EntryKind.PAYMENT, -1), (EntryKind.ADJUSTMENT, 0), (EntryKind.WRITE_OFF, -1),
         (EntryKind.REFUND, 1), (EntryKind.STATEMENT, 0)]
FROM_LEDGER = text(
    "SELECT patient_id, sum(amount_cents), max(service_date), max(CASE WHEN amount_cents > 0 THEN service_date END), "
    "max(CASE WHEN kind = 'payment' THEN service_date END), max(CASE WHEN kind = 'statement' THEN service_date END) "
    "FROM ledger_entries WHERE responsibility = 'patient' GROUP BY patient_id")
SUMMARY = text("SELECT patient_id, balance_cents, last_date, last_debit, last_payment, last_statement "
               "FROM ledger_summary")


def _post(ctx, rng, people, count):
    post_random_rows(ctx, rng, people, count, kinds=KINDS, insurance_share=0.15)


def _as_dates(rows):
    """Both engines' rows alike: SQLite hands dates back as text from raw SQL."""
    return {r[0]: tuple(str(v) if v is not None else None for v in r[1:]) for r in rows}


def _tables(ctx):
    with ctx.db.read() as session:
        return (_as_dates(session.execute(SUMMARY)), _as_dates(session.execute(FROM_LEDGER)))


def test_the_summary_equals_the_ledger_after_postings_reversals_and_merges(ctx):
    rng = random.Random(17)
    sup = actor_for(ctx, "super")
    with ctx.db.read() as session:
        people = session.scalars(select(Patient.id).where(Patient.merged_into_id.is_(None))
                                 .order_by(Patient.id).limit(14)).all()
    _post(ctx, rng, people, 120)
    summary, ledger = _tables(ctx)
    assert summary == ledger and len(summary) >= 10
    with ctx.db.read() as session:
        undoable = session.scalars(select(LedgerEntry.id).where(
            LedgerEntry.kind.in_(("charge", "payment", "adjustment")), LedgerEntry.payment_id.is_(None))).all()
    for entry_id in rng.sample(undoable, 15):
        reverse_entry(ctx, sup, entry_id, "posted in error")
    merged = [(people[0], people[1]), (people[2], people[3]), (people[0], people[2])]  # a chain as well
    for survivor, gone in merged:
        merge_patients(ctx, sup, survivor, gone, "same person")
    _post(ctx, rng, [people[0], *people[4:]], 40)
    summary, ledger = _tables(ctx)
    assert summary == ledger
    assert people[0] in summary  # the survivor of the chain holds what the merged records had
    assert people[1] not in summary and people[2] not in summary and people[3] not in summary


def test_a_bulk_refill_gives_what_the_triggers_kept(ctx):
    """store/ledger_summary.py's refill (for bulk loads that drop the triggers) is the same state."""
    _post(ctx, random.Random(5), list(range(1, 9)), 60)
    kept, _ledger = _tables(ctx)
    with ctx.db.engine.begin() as conn:
        refill_ledger_summary(conn)
    assert _tables(ctx)[0] == kept
