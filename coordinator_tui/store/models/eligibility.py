"""Eligibility with payers (X12 270/271) and the estimate of what the patient will owe.

- `EligibilityInquiry`: one coverage asked about in a 270 file, with the TRN trace number the
  payer returns in its 271.
- `EligibilityBenefit`: one coverage's answer from one 271, never overwritten (the latest is the
  one shown), with who imported it and when. `source_digest` makes a second import of the same
  answer record nothing.
- `VisitEstimate`: what the patient was told they would owe for a visit, as said."""

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
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.store.models.base import Base, staff_fk
from coordinator_tui.store.types import UTCDateTime


class EligibilityInquiry(Base):
    __tablename__ = "eligibility_inquiries"
    __table_args__ = (
        Index("ix_eligibility_inquiries_coverage_id", "coverage_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    trace_number: Mapped[str] = mapped_column(String(30), unique=True)
    control_number: Mapped[int] = mapped_column(Integer)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    service_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))


class EligibilityBenefit(Base):
    __tablename__ = "eligibility_benefits"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'inactive', 'rejected')", name="status_valid"),
        CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name="rejection_has_reason"),
        CheckConstraint("coinsurance_bp IS NULL OR coinsurance_bp BETWEEN 0 AND 10000",
                        name="coinsurance_range"),
        UniqueConstraint("coverage_id", "source_digest", name="uq_eligibility_benefits_coverage_source"),
        Index("ix_eligibility_benefits_coverage_imported", "coverage_id", "imported_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_inquiries.id"))
    trace_number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))
    reject_code: Mapped[str | None] = mapped_column(String(4))
    reject_reason: Mapped[str | None] = mapped_column(String(120))
    plan_name: Mapped[str | None] = mapped_column(String(120))
    plan_from: Mapped[date | None] = mapped_column(Date)
    plan_to: Mapped[date | None] = mapped_column(Date)
    copay_cents: Mapped[int | None] = mapped_column(Integer)
    deductible_cents: Mapped[int | None] = mapped_column(Integer)
    deductible_remaining_cents: Mapped[int | None] = mapped_column(Integer)
    coinsurance_bp: Mapped[int | None] = mapped_column(Integer)  # basis points: 2000 = 20%
    oop_remaining_cents: Mapped[int | None] = mapped_column(Integer)
    in_network: Mapped[bool | None] = mapped_column(Boolean)
    auth_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source_digest: Mapped[str] = mapped_column(String(64))
    interchange_control: Mapped[str] = mapped_column(String(9))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))


class VisitEstimate(Base):
    __tablename__ = "visit_estimates"
    __table_args__ = (
        CheckConstraint("total_cents >= 0 AND charge_cents >= 0", name="amounts_nonneg"),
        Index("ix_visit_estimates_appointment_id", "appointment_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    benefit_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_benefits.id"))
    charge_cents: Mapped[int] = mapped_column(Integer)
    copay_cents: Mapped[int] = mapped_column(Integer)
    deductible_part_cents: Mapped[int] = mapped_column(Integer)
    coinsurance_part_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    estimated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    estimated_by_id: Mapped[int | None] = staff_fk()
