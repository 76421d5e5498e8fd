"""Random ledger rows through post_row (the one function every writer of ledger rows goes
through), for the tests that hold the A/R aging and the ledger summary to the ledger itself."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from coordinator_tui.domain.ledger import EntryKind, Responsibility
from coordinator_tui.services.accounts.ledger import post_row
from coordinator_tui.store.models import Patient
from tests.conftest import CLINIC_DAY, CLINIC_NOW

# (kind, sign of its amount; 0: either). Charges twice: most patients owe something.
AGING_KINDS = [(EntryKind.CHARGE, 1), (EntryKind.CHARGE, 1), (EntryKind.PAYMENT, -1), (EntryKind.ADJUSTMENT, 0),
               (EntryKind.WRITE_OFF, -1), (EntryKind.REFUND, 1), (EntryKind.STATEMENT, 0)]


def post_random_rows(ctx, rng: random.Random, people: list[int], count: int, *, kinds=AGING_KINDS,
                     insurance_share: float = 0.1) -> None:
    """`count` rows for `people`, dated up to 400 days back and a few days ahead of the clinic day."""
    with ctx.db.write() as session:
        for _ in range(count):
            kind, sign = rng.choice(kinds)
            cents = 0 if kind is EntryKind.STATEMENT else rng.randrange(1, 40000) * (sign or rng.choice((1, -1)))
            post_row(session, None, rng.choice(people), kind, cents, at=CLINIC_NOW,
                     service_date=CLINIC_DAY - timedelta(days=rng.randrange(-5, 400)),
                     responsibility=Responsibility.INSURANCE if rng.random() < insurance_share
                     else Responsibility.PATIENT,
                     reason="test" if kind in (EntryKind.ADJUSTMENT, EntryKind.WRITE_OFF) else None)


def random_ledgers(ctx, seed: int, *, patients: int, rows: int, kinds=AGING_KINDS) -> list[int]:
    """`rows` random rows for the first `patients` unmerged patients; their ids."""
    with ctx.db.read() as session:
        people = list(session.scalars(select(Patient.id).where(Patient.merged_into_id.is_(None))
                                      .order_by(Patient.id).limit(patients)).all())
    post_random_rows(ctx, random.Random(seed), people, rows, kinds=kinds)
    return people
