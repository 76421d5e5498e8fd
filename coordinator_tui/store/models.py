"""The schema of the whole front desk, as SQLAlchemy 2 typed models.

Integrity lives in the database as well as in the services: foreign keys, unique and CHECK
constraints (vocabularies from `domain.vocab`), partial unique indexes for "only one open ...",
and (in the migrations) triggers that make event tables append-only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from coordinator_tui.domain import vocab
from coordinator_tui.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, enum_cls, name: str | None = None, nullable: bool = False) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in vocab.values(enum_cls))
    expr = f"{column} IN ({allowed})"
    if nullable:
        expr = f"{column} IS NULL OR {expr}"
    return CheckConstraint(expr, name=name or f"{column}_valid")


def staff_fk(nullable: bool = True):
    return mapped_column(ForeignKey("staff_users.id"), nullable=nullable)


# --- settings and staff -------------------------------------------------------------------------


class Setting(Base):
    """Clinic-wide key/value settings (clinic name, demo date, recall rules...)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (
        one_of("role", vocab.Role),
        CheckConstraint("length(username) BETWEEN 1 AND 64", name="username_length"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- places, people who see patients, what they offer ---------------------------------------


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("location_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(String(40))


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(16), unique=True)
    specialty: Mapped[str | None] = mapped_column(String(80))
    npi: Mapped[str | None] = mapped_column(String(10), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    default_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    overbook_daily_limit: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    __table_args__ = (CheckConstraint("overbook_daily_limit >= 0", name="overbook_limit_nonneg"),)


class AppointmentType(Base):
    __tablename__ = "appointment_types"
    __table_args__ = (
        CheckConstraint("default_minutes BETWEEN 5 AND 480", name="default_minutes_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    default_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))


class AvailabilityTemplate(Base):
    """One weekday's working hours for a provider, in the clinic's local wall-clock time."""

    __tablename__ = "availability_templates"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
                        name="hours_order"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes_range"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        Index("ix_availability_templates_provider_weekday", "provider_id", "weekday"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0, as date.weekday()
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    end_minute: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    allowed_types: Mapped[list[AppointmentType]] = relationship(
        secondary="availability_template_types"
    )


class AvailabilityTemplateType(Base):
    """Which appointment types a template allows (none listed = all)."""

    __tablename__ = "availability_template_types"
    template_id: Mapped[int] = mapped_column(
        ForeignKey("availability_templates.id", ondelete="CASCADE"), primary_key=True
    )
    appointment_type_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_types.id"), primary_key=True
    )


class AvailabilityException(Base):
    """Vacation, blocked time or a clinic holiday (provider_id NULL = the whole clinic)."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        one_of("kind", vocab.AvailabilityExceptionKind),
        CheckConstraint("ends_at > starts_at", name="interval_order"),
        Index("ix_availability_exceptions_provider_start", "provider_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = staff_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- patients -----------------------------------------------------------------------------------


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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    payer: Mapped[Payer] = relationship()


# --- appointments -------------------------------------------------------------------------------


class Appointment(Base):
    """A booked slot. `desired_date` (what the patient asked for) is kept apart from the booked
    start, so wait-time reports cannot be gamed."""

    __tablename__ = "appointments"
    __table_args__ = (
        one_of("status", vocab.AppointmentStatus),
        one_of("cancelled_by", vocab.CancelledBy, nullable=True),
        CheckConstraint("ends_at > starts_at", name="interval_order"),
        CheckConstraint(
            "status <> 'cancelled' OR (cancel_reason IS NOT NULL AND cancelled_by IS NOT NULL)",
            name="cancel_has_reason",
        ),
        Index("ix_appointments_provider_start", "provider_id", "starts_at"),
        Index("ix_appointments_patient_start", "patient_id", "starts_at"),
        Index("ix_appointments_starts_at", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    desired_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    reason: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    is_walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    is_overbook: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    cancelled_by: Mapped[str | None] = mapped_column(String(8))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    checkin_exception_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}

    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    appointment_type: Mapped[AppointmentType] = relationship()


class AppointmentStatusEvent(Base):
    """Append-only (enforced by triggers): wait times, undo and 'changed by' come from here."""

    __tablename__ = "appointment_status_events"
    __table_args__ = (
        one_of("from_status", vocab.AppointmentStatus, nullable=True),
        one_of("to_status", vocab.AppointmentStatus),
        Index("ix_appointment_status_events_appointment_at", "appointment_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = staff_fk()
    reason: Mapped[str | None] = mapped_column(String(300))
    is_undo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("part_of_day IN ('any', 'am', 'pm')", name="part_of_day_valid"),
        CheckConstraint("latest IS NULL OR latest >= earliest", name="window_order"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    current_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    earliest: Mapped[date] = mapped_column(Date)
    latest: Mapped[date | None] = mapped_column(Date)
    part_of_day: Mapped[str] = mapped_column(String(3), default="any")
    note: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()


# --- money, paperwork, referrals ------------------------------------------------------------------


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


# --- callbacks ------------------------------------------------------------------------------------


class Callback(Base):
    """Someone to phone back. Never deleted: closed as done or cancelled with a reason."""

    __tablename__ = "callbacks"
    __table_args__ = (
        one_of("reason", vocab.CallbackReason),
        one_of("priority", vocab.Priority),
        one_of("status", vocab.CallbackStatus),
        CheckConstraint(
            "status = 'open' OR (closed_at IS NOT NULL AND close_reason IS NOT NULL)",
            name="closed_has_reason",
        ),
        # Never two open items for the same patient and reason.
        Index("ix_callbacks_open_patient_reason", "patient_id", "reason", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_callbacks_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    reason: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    assigned_to_id: Mapped[int | None] = staff_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()
    claimed_by_id: Mapped[int | None] = staff_fk()
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = staff_fk()
    close_reason: Mapped[str | None] = mapped_column(String(300))
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version_id}

    patient: Mapped[Patient] = relationship()


class CallbackAttempt(Base):
    __tablename__ = "callback_attempts"
    __table_args__ = (
        one_of("outcome", vocab.CallbackOutcome),
        Index("ix_callback_attempts_callback_at", "callback_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))


# --- audit ----------------------------------------------------------------------------------------


class AuditEvent(Base):
    """Who did what to which record. Append-only (triggers) and hash-chained: each row's hash
    covers its content and the previous row's hash, so an edit, deletion or insertion shows."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_user_at", "user_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = staff_fk()
    action: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    entity: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
