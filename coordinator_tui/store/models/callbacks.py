"""Callbacks and the attempts to reach the patient."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime

if TYPE_CHECKING:  # relationship targets; SQLAlchemy finds them by name in the registry
    from coordinator_tui.store.models.patients import Patient


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
        # The desk's figures read recent items only; without these they scanned every item ever.
        Index("ix_callbacks_created_at", "created_at"),
        Index("ix_callbacks_closed_at", "closed_at"),
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
