"""Contact consent, reminders sent (and what came back), letters written to patients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.domain.reminders import (
    BatchChannel,
    ConsentSource,
    ContactChannel,
    Delivery,
    LetterKind,
    Reply,
)
from coordinator_tui.store.models.base import Base, one_of, staff_fk
from coordinator_tui.store.types import UTCDateTime


class ContactConsent(Base):
    """Append-only history of what a patient agreed to, per channel: the newest row of a
    patient and channel is the current answer (no row: not agreed). Who and when on every row."""

    __tablename__ = "contact_consents"
    __table_args__ = (
        one_of("channel", ContactChannel),
        one_of("source", ConsentSource),
        Index("ix_contact_consents_patient_channel", "patient_id", "channel", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    channel: Mapped[str] = mapped_column(String(8))
    agreed: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(8))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = staff_fk()


class ReminderSent(Base):
    """One reminder of one appointment by one channel, `lead_days` before it; a second batch for
    the same day skips it (unique). Delivery and the patient's reply come back from the gateway."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        one_of("channel", BatchChannel),
        one_of("delivery", Delivery),
        one_of("reply", Reply, nullable=True),
        CheckConstraint("lead_days >= 0", name="lead_days_nonneg"),
        Index("ix_reminders_sent_appointment_channel_lead", "appointment_id", "channel",
              "lead_days", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    channel: Mapped[str] = mapped_column(String(8))
    lead_days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = staff_fk()
    delivery: Mapped[str] = mapped_column(String(10), default="sent")
    delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(String(12))
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PatientLetter(Base):
    """A letter written to a patient (no-show, cancelled by the clinic, recall), recorded on the
    patient; one per appointment (or per recall callback) and kind, so a second run skips it."""

    __tablename__ = "patient_letters"
    __table_args__ = (
        one_of("kind", LetterKind),
        Index("ix_patient_letters_patient_kind", "patient_id", "kind"),
        Index("ix_patient_letters_kind_appointment", "kind", "appointment_id"),
        Index("ix_patient_letters_kind_callback", "kind", "callback_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(14))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    language: Mapped[str] = mapped_column(String(8))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    written_by_id: Mapped[int | None] = staff_fk()
