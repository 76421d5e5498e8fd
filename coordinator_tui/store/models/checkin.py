"""Money, paperwork and referrals: what check-in collects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
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


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        one_of("status", vocab.ReferralStatus),
        CheckConstraint("auth_visits IS NULL OR auth_visits >= 0", name="auth_visits_nonneg"),
        CheckConstraint("auth_valid_to IS NULL OR auth_valid_from IS NULL OR auth_valid_to >= auth_valid_from",
                        name="auth_window_order"),
        Index("ix_referrals_patient_id", "patient_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    direction: Mapped[str] = mapped_column(String(8), default="incoming")
    referring_party: Mapped[str | None] = mapped_column(String(200))
    to_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    to_specialty: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(300))
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="received")
    auth_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    auth_number: Mapped[str | None] = mapped_column(String(40))
    auth_valid_from: Mapped[date | None] = mapped_column(Date)
    auth_valid_to: Mapped[date | None] = mapped_column(Date)
    auth_visits: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}
