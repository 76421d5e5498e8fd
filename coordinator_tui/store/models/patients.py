"""Patients, payers and insurance coverage."""

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
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


class Patient(Base):
    """A patient. Names are kept as typed; *_key and *_phonetic columns are search keys derived
    by `domain.names` on every write path (kept in step by the services and the importers)."""

    __tablename__ = "patients"
    __table_args__ = (
        one_of("sex", vocab.Sex),
        CheckConstraint("length(given_name) BETWEEN 1 AND 100", name="given_name_length"),
        CheckConstraint("length(family_name) BETWEEN 1 AND 100", name="family_name_length"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_self"),
        Index("ix_patients_family_key_given_key", "family_key", "given_key"),
        Index("ix_patients_given_key_family_key", "given_key", "family_key"),
        Index("ix_patients_birth_date_family_key", "birth_date", "family_key"),
        Index("ix_patients_family_phonetic", "family_phonetic"),
        Index("ix_patients_given_phonetic", "given_phonetic"),
        Index("ix_patients_phone_mobile_rev", "phone_mobile_rev"),
        Index("ix_patients_phone_home_rev", "phone_home_rev"),
        Index("ix_patients_merged_into_id", "merged_into_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(16), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    family_key: Mapped[str] = mapped_column(String(100))
    given_key: Mapped[str] = mapped_column(String(100))
    family_phonetic: Mapped[str] = mapped_column(String(32))
    given_phonetic: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone_mobile: Mapped[str | None] = mapped_column(String(20))  # E.164
    phone_home: Mapped[str | None] = mapped_column(String(20))
    # National digits reversed, so "last four" is an indexed prefix range.
    phone_mobile_rev: Mapped[str | None] = mapped_column(String(20))
    phone_home_rev: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US", server_default="US")
    preferred_language: Mapped[str] = mapped_column(String(40), default="English",
                                                    server_default="English")
    alerts: Mapped[str | None] = mapped_column(Text)
    deceased_date: Mapped[date | None] = mapped_column(Date)
    # A merged-away record stays as a tombstone pointing at the survivor.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # e.g. Synthea Id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = staff_fk()
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}

    coverages: Mapped[list[Coverage]] = relationship(back_populates="patient")


class Payer(Base):
    __tablename__ = "payers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))


class Coverage(Base):
    __tablename__ = "coverages"
    __table_args__ = (
        one_of("rank", vocab.CoverageRank),
        one_of("subscriber_relationship", vocab.SubscriberRelationship),
        one_of("eligibility_status", vocab.EligibilityStatus),
        CheckConstraint("copay_cents >= 0", name="copay_nonneg"),
        CheckConstraint(
            "eligibility_status <> 'verified' OR (verified_at IS NOT NULL AND verified_by_id IS NOT NULL)",
            name="verified_has_who_and_when",
        ),
        Index("ix_coverages_patient_rank_active", "patient_id", "rank", unique=True,
              sqlite_where=text("active = 1"), postgresql_where=text("active")),
        Index("ix_coverages_member_id", "member_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"))
    rank: Mapped[str] = mapped_column(String(12))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    plan_name: Mapped[str | None] = mapped_column(String(120))
    subscriber_name: Mapped[str | None] = mapped_column(String(200))
    subscriber_relationship: Mapped[str] = mapped_column(String(12), default="self")
    copay_cents: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    eligibility_status: Mapped[str] = mapped_column(String(12), default="unverified")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = staff_fk()
    eligibility_note: Mapped[str | None] = mapped_column(String(300))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    payer: Mapped[Payer] = relationship()
