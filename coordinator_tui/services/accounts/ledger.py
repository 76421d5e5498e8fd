"""A patient's ledger: posting rows (each one write transaction with its audit event), reversing
a row, the balance (always the sum of the rows) and the rows themselves.

Rows are never edited or deleted (the database refuses): a mistake is reversed by a `reversal`
row naming it, with a reason. A row for a merged record goes to the record it was merged into.
Rules of signs and aging: domain/ledger.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from coordinator_tui.domain.ledger import (
    NEEDS_REASON,
    SIGNS,
    EntryKind,
    EntrySource,
    Responsibility,
)
from coordinator_tui.domain.money import AmountInvalid, format_cents, parse_amount
from coordinator_tui.domain.text import clean_text
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import LedgerEntry, Patient

PATIENT = Responsibility.PATIENT.value

# Prebuilt: one patient's balance is the hot read (the checklist, the record, the work list).
_BALANCE = (select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .where(LedgerEntry.patient_id == bindparam("patient_id"),
                   LedgerEntry.responsibility == PATIENT))
# The same for any record, merged or not, in one statement: a merge re-points older tombstones
# at the survivor (services/patients/merge.py), so one step always reaches it.
_SURVIVOR = func.coalesce(select(Patient.merged_into_id).where(Patient.id == bindparam("patient_id"))
                          .scalar_subquery(), bindparam("patient_id"))
_ANY_BALANCE = (select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                .where(LedgerEntry.patient_id == _SURVIVOR, LedgerEntry.responsibility == PATIENT))


class PaymentOverBalance(UserError):
    """A payment on account larger than the balance: saved only when the desk confirms."""

    def __init__(self, cents: int, balance_cents: int):
        self.cents, self.balance_cents = cents, balance_cents
        super().__init__(f"{format_cents(cents)} is more than the {format_cents(max(0, balance_cents))} "
                         f"balance; confirm to take it anyway (the rest stays as a credit)")


@dataclass(frozen=True)
class EntryRow:
    id: int
    kind: str
    responsibility: str
    amount_cents: int
    service_date: date
    posted_at: datetime
    posted_by: str | None
    reference: str | None
    reason: str | None
    appointment_id: int | None
    payment_id: int | None
    reverses_id: int | None
    reversed: bool


def parse_cents(text: str, *, signed: bool = False) -> int:
    """Cents from typed text (at most two decimals, never zero); a leading '-' only if `signed`."""
    raw = str(text).strip()
    negative = signed and raw.startswith("-")
    try:
        cents = parse_amount(raw[1:] if negative else raw)
    except AmountInvalid as exc:
        raise UserError(str(exc)) from None
    return -cents if negative else cents


def survivor(session, patient_id: int) -> Patient:
    """The record rows go to: the patient, or the record a merged one was merged into."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise UserError(f"patient {patient_id} does not exist")
    seen = {patient.id}
    while patient.merged_into_id is not None:
        patient = session.get(Patient, patient.merged_into_id)
        if patient.id in seen:  # pragma: no cover - the merge service never makes a loop
            raise UserError("merged records point at each other")
        seen.add(patient.id)
    return patient


def balance_in(session, patient_id: int) -> int:
    """The patient's balance (patient responsibility), inside an open session."""
    return int(session.execute(_BALANCE, {"patient_id": patient_id}).scalar_one())


def balance(ctx: AppContext, patient_id: int) -> int:
    """The balance of a record (a merged one's is its survivor's): one prebuilt statement, no
    Session (benchmarks/bench_ledger.py)."""
    return int(ctx.db.read_scalar(_ANY_BALANCE, {"patient_id": patient_id}))


def post_row(session, actor: Actor | None, patient_id: int, kind: EntryKind, cents: int, *,
             at: datetime, service_date: date, source: EntrySource = EntrySource.DESK,
             responsibility: Responsibility = Responsibility.PATIENT, appointment_id: int | None = None,
             payment_id: int | None = None, reverses_id: int | None = None, reference: str | None = None,
             reason: str | None = None) -> LedgerEntry:
    """Add one row inside the caller's write transaction, after checking the sign and the
    reason its kind needs. No audit here: the calling use case records its event."""
    kind = EntryKind(kind)
    sign = SIGNS.get(kind)
    if kind is EntryKind.STATEMENT:
        if cents != 0:
            raise UserError("a statement row carries no amount")
    elif cents == 0 or (sign and (cents > 0) != (sign > 0)):
        raise UserError(f"a {kind.value.replace('_', '-')} of {format_cents(cents)} has the wrong sign")
    if kind in NEEDS_REASON and not reason:
        raise UserError(f"a {kind.value.replace('_', '-')} needs a reason")
    row = LedgerEntry(patient_id=patient_id, kind=kind.value, responsibility=Responsibility(responsibility).value,
                      amount_cents=cents, service_date=service_date, posted_at=at,
                      posted_by_id=actor.id if actor else None, source=EntrySource(source).value,
                      appointment_id=appointment_id, payment_id=payment_id, reverses_id=reverses_id,
                      reference=reference, reason=reason)
    session.add(row)
    session.flush()
    return row


# What each kind typed at the desk does to the balance: the sign the typed amount gets.
_DESK_SIGNS = {EntryKind.CHARGE: 1, EntryKind.PAYMENT: -1, EntryKind.WRITE_OFF: -1,
               EntryKind.REFUND: 1, EntryKind.ADJUSTMENT: 0}


def post_entry(ctx: AppContext, actor: Actor, patient_id: int, kind: EntryKind | str, amount: str, *,
               reason: str | None = None, service_date: date | None = None,
               reference: str | None = None, confirm_over_balance: bool = False) -> EntryRow:
    """Post one row typed by a person: a charge, a payment on account, an adjustment (signed:
    "-5.00" lowers the balance), a write-off (supervisors only) or a refund. Amounts are typed
    positive except an adjustment's. Reason required for adjustments and write-offs."""
    try:
        kind = EntryKind(kind)
    except ValueError:
        raise UserError(f"{kind!r} is not something to post; use one of "
                        f"{', '.join(k.value for k in _DESK_SIGNS)}") from None
    if kind not in _DESK_SIGNS:
        raise UserError(f"a {kind.value} is not posted by hand")
    if kind is EntryKind.WRITE_OFF:
        require(actor, Permission.WRITE_OFF)
    cents = parse_cents(amount, signed=kind is EntryKind.ADJUSTMENT)
    cents = cents * _DESK_SIGNS[kind] if _DESK_SIGNS[kind] else cents
    reason = clean_text(reason, "the reason", limit=300, required=kind in NEEDS_REASON)
    reference = clean_text(reference, "the reference", limit=60, required=False)
    at = ctx.now()
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        current = balance_in(session, patient.id)
        if kind is EntryKind.PAYMENT and -cents > current and not confirm_over_balance:
            raise PaymentOverBalance(-cents, current)
        if kind is EntryKind.REFUND and cents > -current:
            raise UserError(f"cannot refund {format_cents(cents)}: the patient's credit is "
                            f"{format_cents(max(0, -current))}")
        if kind is EntryKind.WRITE_OFF and -cents > current:
            raise UserError(f"cannot write off {format_cents(-cents)}: the balance is {format_cents(current)}")
        row = post_row(session, actor, patient.id, kind, cents, at=at, service_date=service_date or ctx.today(),
                       reference=reference, reason=reason)
        audit.record(session, actor, f"ledger.{kind.value}", at, patient_id=patient.id, entity="ledger_entry",
                     entity_id=row.id, detail={"cents": cents, "reason": reason})
        return _row(row, actor.username, reversed_=False)


def transfer_to_patient(ctx: AppContext, actor: Actor, patient_id: int, amount: str, *,
                        reason: str | None = None, service_date: date | None = None) -> tuple[EntryRow, EntryRow]:
    """Insurance pending -> patient: -X insurance and +X patient, in one transaction."""
    cents = parse_cents(amount)
    reason = clean_text(reason, "the reason", limit=300, required=False)
    at = ctx.now()
    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        day = service_date or ctx.today()
        out = post_row(session, actor, patient.id, EntryKind.TRANSFER, -cents, at=at, service_date=day,
                       responsibility=Responsibility.INSURANCE, reason=reason)
        into = post_row(session, actor, patient.id, EntryKind.TRANSFER, cents, at=at, service_date=day,
                        reason=reason)
        audit.record(session, actor, "ledger.transfer", at, patient_id=patient.id, entity="ledger_entry",
                     entity_id=into.id, detail={"cents": cents, "from": "insurance", "to": "patient"})
        return _row(out, actor.username, False), _row(into, actor.username, False)


def reverse_entry(ctx: AppContext, actor: Actor, entry_id: int, reason: str) -> EntryRow:
    """Undo one row by another of the opposite amount, with a reason. A write-off's reversal
    needs a supervisor as the write-off did; a row is reversed once; a reversal is not reversed."""
    reason = clean_text(reason, "the reason", limit=300, required=True)
    at = ctx.now()
    with ctx.db.write() as session:
        entry = session.get(LedgerEntry, entry_id)
        if entry is None:
            raise UserError(f"ledger row {entry_id} does not exist")
        if entry.kind in (EntryKind.REVERSAL.value, EntryKind.STATEMENT.value):
            raise UserError(f"a {entry.kind} row cannot be reversed")
        if entry.payment_id is not None and entry.kind == EntryKind.PAYMENT.value:
            raise UserError("a copay payment is undone by voiding its receipt")
        if entry.kind == EntryKind.WRITE_OFF.value:
            require(actor, Permission.WRITE_OFF)
        if session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)) is not None:
            raise UserError(f"ledger row {entry_id} is already reversed")
        row = post_row(session, actor, entry.patient_id, EntryKind.REVERSAL, -entry.amount_cents, at=at,
                       service_date=entry.service_date, responsibility=Responsibility(entry.responsibility),
                       appointment_id=entry.appointment_id, reverses_id=entry.id, reason=reason)
        audit.record(session, actor, "ledger.reversal", at, patient_id=entry.patient_id, entity="ledger_entry",
                     entity_id=row.id, detail={"reverses": entry.id, "cents": row.amount_cents, "reason": reason})
        return _row(row, actor.username, False)


def entries(ctx: AppContext, actor: Actor, patient_id: int) -> list[EntryRow]:
    """The patient's ledger, oldest first (both responsibilities); looking is audited."""
    from coordinator_tui.store.models import StaffUser

    with ctx.db.write() as session:
        patient = survivor(session, patient_id)
        reversed_ids = select(LedgerEntry.reverses_id).where(LedgerEntry.patient_id == patient.id,
                                                             LedgerEntry.reverses_id.is_not(None))
        done = set(session.scalars(reversed_ids))
        rows = session.execute(
            select(LedgerEntry, StaffUser.username).outerjoin(StaffUser, StaffUser.id == LedgerEntry.posted_by_id)
            .where(LedgerEntry.patient_id == patient.id).order_by(LedgerEntry.id)).all()
        audit.record(session, actor, "ledger.view", ctx.now(), patient_id=patient.id, entity="patient",
                     entity_id=patient.id, detail={"rows": len(rows)})
        return [_row(entry, who, entry.id in done) for entry, who in rows]


def _row(entry: LedgerEntry, who: str | None, reversed_: bool) -> EntryRow:
    return EntryRow(entry.id, entry.kind, entry.responsibility, entry.amount_cents, entry.service_date,
                    entry.posted_at, who, entry.reference, entry.reason, entry.appointment_id,
                    entry.payment_id, entry.reverses_id, reversed_)


def patient_id_for(ctx: AppContext, mrn: str) -> int:
    """The record of an MRN (a merged record's survivor)."""
    with ctx.db.read() as session:
        found = session.scalar(select(Patient.id).where(Patient.mrn == mrn.strip()))
        if found is None:
            raise UserError(f"no patient with MRN {mrn.strip()[:20]!r}")
        return survivor(session, found).id
