"""Talking to the EHR (issue #19): messages received, messages to send, links to the EHR's ids,
and imported records held for a person to decide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.store.models.base import Base, staff_fk
from coordinator_tui.store.types import UTCDateTime


class InteropInbound(Base):
    """An HL7 v2 message applied (or held) here: a second copy with the same sender and MSH-10
    is acknowledged from this row and not applied again."""

    __tablename__ = "interop_inbound"
    __table_args__ = (
        UniqueConstraint("sender", "control_id", name="uq_interop_inbound_sender_control_id"),
        CheckConstraint("status IN ('applied', 'held')", name="status_valid"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(180))
    control_id: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8))
    ack_code: Mapped[str] = mapped_column(String(2))
    ack_text: Mapped[str | None] = mapped_column(String(300))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))


class InteropLink(Base):
    """The EHR's identifier of one of our patients, appointments, providers or locations
    (PID-3, SCH-1/2, a FHIR id)."""

    __tablename__ = "interop_links"
    __table_args__ = (
        UniqueConstraint("system", "kind", "external_id", name="uq_interop_links_system_kind_id"),
        CheckConstraint("kind IN ('patient', 'appointment', 'provider', 'location')", name="kind_valid"),
        Index("ix_interop_links_kind_local_id", "kind", "local_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(180))
    kind: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[int] = mapped_column(Integer)


class InteropHeld(Base):
    """An imported patient who looks like one we have: kept for a person to decide, never
    merged or duplicated by the import itself."""

    __tablename__ = "interop_held"
    __table_args__ = (
        CheckConstraint("source IN ('hl7', 'fhir')", name="source_valid"),
        Index("ix_interop_held_open", "resolved_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(180))
    reference: Mapped[str] = mapped_column(String(120))  # MSH-10, or file and entry number
    reason: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = staff_fk()
    resolution: Mapped[str | None] = mapped_column(String(300))


class InteropOutbox(Base):
    """An HL7 v2 message to send, written in the transaction that made the change. `payload` is
    the snapshot the message is built from; `control_id` (MSH-10) stays the same on every retry,
    so a receiver drops a copy it already has."""

    __tablename__ = "interop_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'refused')", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_interop_outbox_status_id", "status", "id"),
        Index("ix_interop_outbox_patient_id", "patient_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(12))  # ADT^A28, SIU^S12 ...
    entity: Mapped[str] = mapped_column(String(12))
    entity_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_code: Mapped[str | None] = mapped_column(String(2))
    ack_text: Mapped[str | None] = mapped_column(String(300))


class InteropRefused(Base):
    """An HL7 v2 message from the EHR that we understood but refused (ACK AE: a slot taken, a
    provider we do not have...), kept with its reason so a supervisor can re-try it once the
    cause is fixed. A copy the EHR sends again that applies closes it (hl7_refused.py)."""

    __tablename__ = "interop_refused"
    __table_args__ = (
        Index("ix_interop_refused_sender_control_id", "sender", "control_id"),
        Index("ix_interop_refused_open", "resolved_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(180))
    control_id: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ack_code: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = staff_fk()
    resolution: Mapped[str | None] = mapped_column(String(40))
