"""Patient accounts without I/O: the ledger's vocabulary, signed amounts and A/R aging.

Decisions (kept here so the services, the reports and the tests agree):
- Every ledger row has a signed amount in integer cents: positive raises what is owed (a charge,
  a refund paid back to the patient, a reversed payment), negative lowers it (a payment, an
  adjustment down, a write-off, a reversed charge). A balance is the sum of the rows.
- Two responsibilities: `patient` (what the patient owes; balances, aging and statements) and
  `insurance` (pending with a payer). A transfer is a pair of rows, -X insurance and +X patient.
- Aging is by date of service: each row that raises the balance sits in the bucket of its
  service date; everything that lowers it is applied to the oldest first (first in, first out).
  So the buckets always add up to the balance; a credit left over shows as a negative current
  bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

BUCKET_COUNT = 5  # 0-30, 31-60, 61-90, 91-120, 120+ with the default 30-day width


class EntryKind(StrEnum):
    CHARGE = "charge"            # the patient's share: a copay due, an estimate, a billing balance
    PAYMENT = "payment"          # money taken (a copay payment at the desk, or on account)
    ADJUSTMENT = "adjustment"    # a correction, either way; reason required
    WRITE_OFF = "write_off"      # given up; reason required, supervisors only
    REFUND = "refund"            # money paid back to the patient
    TRANSFER = "transfer"        # between responsibilities (insurance pending -> patient)
    REVERSAL = "reversal"        # undoes another row, with a reason
    STATEMENT = "statement"      # a statement sent: amount 0, its date on the ledger


class Responsibility(StrEnum):
    PATIENT = "patient"
    INSURANCE = "insurance"


class EntrySource(StrEnum):
    DESK = "desk"
    IMPORT = "import"
    MIGRATION = "migration"
    COMMAND = "command"


# The sign each kind's amount must have (0: either; STATEMENT rows are exactly 0).
SIGNS = {
    EntryKind.CHARGE: 1, EntryKind.PAYMENT: -1, EntryKind.ADJUSTMENT: 0, EntryKind.WRITE_OFF: -1,
    EntryKind.REFUND: 1, EntryKind.TRANSFER: 0, EntryKind.REVERSAL: 0,
}
NEEDS_REASON = frozenset({EntryKind.ADJUSTMENT, EntryKind.WRITE_OFF, EntryKind.REVERSAL})


def bucket_labels(width: int) -> tuple[str, ...]:
    """'0-30', '31-60', '61-90', '91-120', '120+' for width 30."""
    labels = [f"0-{width}"]
    for index in range(1, BUCKET_COUNT - 1):
        labels.append(f"{index * width + 1}-{(index + 1) * width}")
    labels.append(f"{(BUCKET_COUNT - 1) * width}+")
    return tuple(labels)


def bucket_of(service_date: date, as_of: date, width: int) -> int:
    """0..BUCKET_COUNT-1 for a row of `service_date` seen on `as_of` (a future date: 0)."""
    days = (as_of - service_date).days
    if days <= width:
        return 0
    return min(BUCKET_COUNT - 1, (days - 1) // width)


def apply_credits(debits: Sequence[int], credits: int) -> list[int]:
    """Buckets (current first) after applying `credits` (<= 0) to the oldest debits first.
    What no debit absorbs stays as a negative current bucket. The sum is always kept."""
    if credits > 0:
        raise ValueError("credits are a negative number of cents")
    out = list(debits)
    left = -credits
    for index in range(len(out) - 1, -1, -1):
        if left == 0:
            break
        take = min(out[index], left) if out[index] > 0 else 0
        out[index] -= take
        left -= take
    out[0] -= left
    return out


@dataclass(frozen=True)
class AgedRow:
    amount_cents: int
    service_date: date


def age_rows(rows: Iterable[AgedRow], as_of: date, width: int) -> list[int]:
    """The balance of `rows` by bucket on `as_of`; sum(result) == sum of the amounts."""
    debits = [0] * BUCKET_COUNT
    credits = 0
    for row in rows:
        if row.amount_cents > 0:
            debits[bucket_of(row.service_date, as_of, width)] += row.amount_cents
        else:
            credits += row.amount_cents
    return apply_credits(debits, credits)
