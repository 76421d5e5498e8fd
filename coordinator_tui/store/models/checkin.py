"""Money and paperwork: what check-in collects (referrals are in models/referrals.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


class Payment(Base):
    """Money taken at the desk, in integer cents. Voided, never deleted (a trigger refuses)."""

    __tablename__ = "payments"
    __table_args__ = (
        one_of("method", vocab.PaymentMethod),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "(voided_at IS NULL AND void_reason IS NULL AND voided_by_id IS NULL) OR "
            "(voided_at IS NOT NULL AND void_reason IS NOT NULL AND voided_by_id IS NOT NULL)",
            name="void_complete",
        ),
        Index("ix_payments_taken_at", "taken_at"),
        Index("ix_payments_patient_id", "patient_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str | None] = mapped_column(String(60))
    receipt_number: Mapped[str] = mapped_column(String(24), unique=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = staff_fk()
    void_reason: Mapped[str | None] = mapped_column(String(300))


class FormSignature(Base):
    __tablename__ = "form_signatures"
    __table_args__ = (
        one_of("form", vocab.FormKind),
        Index("ix_form_signatures_patient_form", "patient_id", "form", "signed_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    form: Mapped[str] = mapped_column(String(24))
    signed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = staff_fk()


class CheckinCheck(Base):
    """One thing the desk checked at a visit: demographics confirmed with the patient, photo ID
    seen, insurance card seen. Who and when; never edited."""

    __tablename__ = "checkin_checks"
    __table_args__ = (
        CheckConstraint("item IN ('photo_id', 'insurance_card', 'demographics')", name="item_valid"),
        Index("ix_checkin_checks_appointment_item", "appointment_id", "item"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    item: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
