"""Settings and staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Integer,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator_tui.domain import vocab
from coordinator_tui.store.models.base import Base, one_of
from coordinator_tui.store.types import UTCDateTime


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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The operating-system account (real uid) that proves this staff member on the command
    # line without a password; set by an admin (`coordinator users bind-os`).
    os_uid: Mapped[int | None] = mapped_column(Integer)
