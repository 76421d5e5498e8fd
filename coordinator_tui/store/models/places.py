"""Places, the people who see patients, what they offer and when."""

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
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


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
