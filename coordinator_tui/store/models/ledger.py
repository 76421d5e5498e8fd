"""Patient accounts: the ledger (append-only, signed cents) and payment plans."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.domain.ledger import EntryKind, EntrySource, Responsibility
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


class LedgerEntry(Base):
    """One row of a patient's account. Never updated or deleted (triggers refuse): a mistake is
    reversed by a `reversal` row naming it, with a reason. The balance is the sum of the rows
    (domain/ledger.py has the sign rules)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        one_of("kind", EntryKind),
        one_of("responsibility", Responsibility),
        one_of("source", EntrySource),
        CheckConstraint("(kind = 'statement') = (amount_cents = 0)", name="amount_nonzero"),
        CheckConstraint("kind NOT IN ('adjustment', 'write_off', 'reversal') OR reason IS NOT NULL",
                        name="reason_required"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_names_row"),
        # Balance, aging and statements read only this index (patient, responsibility, date, amount).
        Index("ix_ledger_entries_patient_resp_date", "patient_id", "responsibility", "service_date",
              "amount_cents", "kind"),
        Index("ix_ledger_entries_payment_id", "payment_id"),
        Index("ix_ledger_entries_appointment_id", "appointment_id"),
        Index("ix_ledger_entries_reverses_id", "reverses_id", unique=True),
        Index("ix_ledger_entries_import_reference", "reference", unique=True,
              sqlite_where=text("source = 'import'"), postgresql_where=text("source = 'import'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(12))
    responsibility: Mapped[str] = mapped_column(String(10))
    amount_cents: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by_id: Mapped[int | None] = staff_fk()
    source: Mapped[str] = mapped_column(String(10))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reference: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(String(300))


class PaymentPlan(Base):
    """An agreed amount per month from a first due date. Append-only: the newest row of a
    patient is the plan in force; a row with amount 0 ends it. The patient is `on plan` while
    the payments since the plan was recorded cover every monthly amount due so far."""

    __tablename__ = "payment_plans"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        Index("ix_payment_plans_patient", "patient_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    next_due: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = staff_fk()


class PaymentPromise(Base):
    """A promise to pay noted on the A/R work list: the amount and the date. The patient leaves
    the work list until that date; kept or broken is derived from the payments by then."""

    __tablename__ = "payment_promises"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_payment_promises_patient", "patient_id", "promised_for"),
        Index("ix_payment_promises_promised_for", "promised_for"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    promised_for: Mapped[date] = mapped_column(Date)
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    noted_by_id: Mapped[int | None] = staff_fk()
    note: Mapped[str | None] = mapped_column(String(200))


class LedgerSummary(Base):
    """Per patient with patient-responsibility rows: their sum and the last dates, kept by
    triggers on ledger_entries (migration 0017_ledger_summary), never written by the code. The
    A/R aging reads it to skip whoever owes nothing; tests hold it equal to the ledger."""

    __tablename__ = "ledger_summary"
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True, autoincrement=False)
    balance_cents: Mapped[int] = mapped_column(Integer)
    last_date: Mapped[date] = mapped_column(Date)  # of any row: up to it the summary is the as-of state
    last_debit: Mapped[date | None] = mapped_column(Date)
    last_payment: Mapped[date | None] = mapped_column(Date)
    last_statement: Mapped[date | None] = mapped_column(Date)
