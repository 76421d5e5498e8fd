"""Putting a patient on the callback queue: at most one open item per patient and reason (the
database enforces it too, with a partial unique index), so every automatic source can simply
call this and a second run creates nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.domain.vocab import CallbackReason, Priority
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor
from coordinator_tui.store.models import Callback


def ensure_open_callback(session: Session, actor: Actor | None, *, patient_id: int,
                         reason: CallbackReason, at: datetime, due_at: datetime,
                         priority: Priority = Priority.NORMAL, appointment_id: int | None = None,
                         referral_id: int | None = None, note: str | None = None,
                         assigned_to_id: int | None = None) -> tuple[Callback, bool]:
    """Inside the caller's write transaction. Returns (item, created): the existing open item for
    this patient and reason, or a new one."""
    existing = session.scalar(select(Callback).where(
        Callback.patient_id == patient_id, Callback.reason == reason.value,
        Callback.status == "open"))
    if existing is not None:
        return existing, False
    item = Callback(patient_id=patient_id, reason=reason.value, priority=priority.value,
                    status="open", due_at=due_at, note=note, appointment_id=appointment_id,
                    referral_id=referral_id, assigned_to_id=assigned_to_id, created_at=at,
                    created_by_id=actor.id if actor else None)
    session.add(item)
    session.flush()
    audit.record(session, actor, "callback.create", at, patient_id=patient_id, entity="callback",
                 entity_id=item.id, detail={"reason": reason.value})
    return item, True
