"""The audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.store.models.base import Base, staff_fk
from coordinator_tui.store.types import UTCDateTime


class AuditEvent(Base):
    """Who did what to which record. Append-only (triggers; inserts only through the audit
    writer) and chained with a keyed hash: each row's HMAC covers its content and the previous
    row's hash, so an edit, deletion or insertion shows (services/audit.py)."""

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
    # The audit key that signed the row (its fingerprint); NULL: a row from before keys
    # (0004_security), chained with plain SHA-256 and sealed by the first keyed row.
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditViewMark(Base):
    """How far each view journal (store/view_journal.py) has been brought into the chain: its
    last sequence number appended, written in the same transaction as those events, so an event
    is never appended twice whatever moment a desk dies at."""

    __tablename__ = "audit_view_marks"
    journal: Mapped[str] = mapped_column(String(16), primary_key=True)
    moved_through: Mapped[int] = mapped_column(Integer)
