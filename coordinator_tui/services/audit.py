"""The audit trail: every view and change of a patient's record, hash-chained.

Each row's hash covers its own content and the previous row's hash. Rows are appended inside
the caller's BEGIN IMMEDIATE transaction, so two desks cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import AuditEvent

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, user_id: int | None, action: str,
            patient_id: int | None, entity: str | None, entity_id: int | None,
            detail: str | None) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(), user_id, action, patient_id, entity, entity_id, detail],
        separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(session: Session, actor: Actor | None, action: str, at: datetime, *,
           patient_id: int | None = None, entity: str | None = None,
           entity_id: int | None = None, detail: dict | None = None) -> AuditEvent:
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = prev or GENESIS
    if actor is not None and actor.elevated_until is not None:
        # Everything done under emergency access says so, in the hashed content.
        detail = {**(detail or {}), "break_glass": True}
    detail_text = json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str) if detail else None
    # Microseconds are dropped by nothing, but keep the instant canonical (UTC, aware).
    event = AuditEvent(
        at=at, user_id=actor.id if actor else None, action=action, patient_id=patient_id,
        entity=entity, entity_id=entity_id, detail=detail_text, prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor.id if actor else None, action, patient_id, entity,
                     entity_id, detail_text),
    )
    session.add(event)
    session.flush()
    return event


@contextmanager
def recorded(ctx: AppContext, actor: Actor | None, action: str, **fields) -> Iterator[None]:
    """One event in its own write transaction around a step outside the database (an export
    file taking its name): if the step fails, the event is rolled back with it. Keep the step
    short: the transaction holds the write lock."""
    with ctx.db.write() as session:
        record(session, actor, action, ctx.now(), **fields)
        yield


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: str


def verify_chain(session: Session) -> ChainBreak | None:
    """The first row whose link or content does not match, or None when the chain is whole."""
    expected_prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(2000):
        if event.prev_hash != expected_prev:
            return ChainBreak(event.id, "does not follow the row before it (a row was removed or inserted)")
        digest = _digest(event.prev_hash, event.at, event.user_id, event.action, event.patient_id,
                         event.entity, event.entity_id, event.detail)
        if digest != event.hash:
            return ChainBreak(event.id, "content was changed after it was written")
        expected_prev = event.hash
    return None
