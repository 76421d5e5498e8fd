"""Appointments, their status history and the waitlist."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime

if TYPE_CHECKING:  # relationship targets; SQLAlchemy finds them by name in the registry
    from coordinator_tui.store.models.patients import Patient
    from coordinator_tui.store.models.places import AppointmentType, Provider


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
    is_walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_overbook: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
        # The reports read each step's last time and who from the index alone (migration 0007).
        Index("ix_appointment_status_events_reports", "appointment_id", "to_status", "at", "by_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = staff_fk()
    reason: Mapped[str | None] = mapped_column(String(300))
    is_undo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AppointmentFlow(Base):
    """Per appointment, the last instant into each step of the visit and who recorded the last
    arrival: a summary of its status events, rebuilt with every one of them
    (services/status_events.py), so the flow report need not read the whole history."""

    __tablename__ = "appointment_flow"
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), primary_key=True)
    arrived: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_by_id: Mapped[int | None] = staff_fk()
    roomed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    with_provider: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = staff_fk()
