"""Referrals and prior authorisations, what they cover, their history, the visits booked on
them, and the clinic's rules (which types need an authorisation from which payer, what a payer
counts, which documents a type needs)."""

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
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.domain import vocab
from coordinator_tui.domain.referrals import ChaseReason, DocumentKind, ReferralKind
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


class Referral(Base):
    """One incoming referral, outgoing referral or prior authorisation. Visits are counted from
    `referral_visits`, never stored; the status history is in `referral_events`."""

    __tablename__ = "referrals"
    __table_args__ = (
        one_of("kind", ReferralKind),
        one_of("status", vocab.ReferralStatus),
        CheckConstraint("auth_visits IS NULL OR auth_visits >= 0", name="auth_visits_nonneg"),
        CheckConstraint("auth_valid_to IS NULL OR auth_valid_from IS NULL OR auth_valid_to >= auth_valid_from",
                        name="auth_window_order"),
        Index("ix_referrals_patient_id", "patient_id"),
        Index("ix_referrals_payer_number", "payer_id", "auth_number"),
        Index("ix_referrals_status_valid_to", "status", "auth_valid_to"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(20), default="incoming_referral")
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    referring_party: Mapped[str | None] = mapped_column(String(200))  # referring or receiving
    to_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    to_specialty: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(300))
    procedure_codes: Mapped[str | None] = mapped_column(String(200))
    received_on: Mapped[date] = mapped_column(Date)  # received (incoming) or sent (outgoing)
    replied_on: Mapped[date | None] = mapped_column(Date)  # the reply to an outgoing referral
    status: Mapped[str] = mapped_column(String(16), default="requested")
    auth_number: Mapped[str | None] = mapped_column(String(40))
    auth_valid_from: Mapped[date | None] = mapped_column(Date)
    auth_valid_to: Mapped[date | None] = mapped_column(Date)
    auth_visits: Mapped[int | None] = mapped_column(Integer)  # None: open-ended
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}


class ReferralType(Base):
    """The appointment types a referral covers (none listed: any type)."""

    __tablename__ = "referral_types"
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                             primary_key=True)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"),
                                                     primary_key=True)


class ReferralEvent(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): who changed what, from what, when."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_referral_id", "referral_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = staff_fk()
    field: Mapped[str] = mapped_column(String(24))
    from_value: Mapped[str | None] = mapped_column(String(300))
    to_value: Mapped[str | None] = mapped_column(String(300))


class ReferralDocument(Base):
    """A document received for a referral (the letter, clinical notes, the payer's approval)."""

    __tablename__ = "referral_documents"
    __table_args__ = (Index("ix_referral_documents_referral_id", "referral_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    document: Mapped[str] = mapped_column(String(80))
    received_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = staff_fk()


class ReferralVisit(Base):
    """A booked visit and the referral or authorisation it was booked on (referral_id NULL: a
    supervisor booked it without one, `override_reason` says why). A moved visit's row points at
    the new appointment and no longer counts."""

    __tablename__ = "referral_visits"
    __table_args__ = (Index("ix_referral_visits_referral_id", "referral_id"),)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), primary_key=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    override_reason: Mapped[str | None] = mapped_column(String(300))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int | None] = staff_fk()
    moved_to_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))


class ReferralChase(Base):
    """A referral put on the callback queue for one reason: never twice for the same pair."""

    __tablename__ = "referral_chases"
    __table_args__ = (
        one_of("reason", ChaseReason),
        UniqueConstraint("referral_id", "reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    reason: Mapped[str] = mapped_column(String(16))
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthRequirement(Base):
    """Booking this appointment type for a patient with this payer (NULL: any payer) needs a
    valid prior authorisation."""

    __tablename__ = "auth_requirements"
    __table_args__ = (Index("ix_auth_requirements_type_payer", "appointment_type_id", "payer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))


class PayerVisitRule(Base):
    """What a payer counts as a used visit (no row: a no-show uses one, a cancellation does not)."""

    __tablename__ = "payer_visit_rules"
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"), primary_key=True)
    cancelled_uses: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    no_show_uses: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class TypeDocument(Base):
    """A document an appointment type needs in hand before the visit."""

    __tablename__ = "type_documents"
    __table_args__ = (one_of("document", DocumentKind),)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"),
                                                     primary_key=True)
    document: Mapped[str] = mapped_column(String(16), primary_key=True)
