"""Refused HL7 v2 messages, both ways, for a supervisor: the EHR's messages we refused (ACK AE,
kept in interop_refused with the message) and ours the EHR refused (interop_outbox, status
refused). Each can be re-tried once the cause is fixed: one of theirs is applied again as it
came, in one write transaction; one of ours goes back in the outbox for `hl7 send`.

The list shows the direction, sender, time, control id (MSH-10), type and reason: no patient
data beyond what the reason says (our refusals name at most our MRN; the EHR's words are kept
as sent). A message of theirs the EHR sent again and we applied leaves the list by itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.build import APPLICATION
from coordinator_tui.interop.hl7.parse import Hl7Message, Unreadable, read_message
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.store.models import InteropInbound, InteropOutbox, InteropRefused
from coordinator_tui.store.outbox import FROM_INTERFACE

INBOUND, OUTBOUND = "in", "out"


@dataclass(frozen=True)
class RefusedMessage:
    key: str           # "in:12" (theirs, interop_refused) or "out:34" (ours, interop_outbox)
    direction: str     # INBOUND or OUTBOUND
    sender: str
    control_id: str
    message_type: str
    at: datetime
    code: str
    reason: str
    attempts: int


def _supervisor(actor: Actor) -> None:
    if not allows(actor, Permission.MERGE_PATIENTS):
        raise UserError("the list of refused HL7 messages is for supervisors")


def note_refused(session, ctx: AppContext, message: Hl7Message, code: str, reason: str) -> None:
    """Keep a message we refused (inside the caller's transaction): a copy sent again and
    refused again updates the open row rather than adding one."""
    row = session.scalar(select(InteropRefused).where(
        InteropRefused.sender == message.sender, InteropRefused.control_id == message.control_id,
        InteropRefused.resolved_at.is_(None)))
    if row is None:
        session.add(InteropRefused(sender=message.sender[:180], control_id=message.control_id[:64],
                                   message_type=message.message_type[:16], received_at=ctx.now(),
                                   ack_code=code[:2], reason=reason[:300], payload=message.text,
                                   attempts=1))
    else:
        row.received_at, row.ack_code, row.reason = ctx.now(), code[:2], reason[:300]
        row.attempts += 1
    session.flush()


def refused_messages(ctx: AppContext, actor: Actor, *, limit: int = 200) -> list[RefusedMessage]:
    """Both directions, newest first."""
    from coordinator_tui.services.exchange.outbox import control_id

    _supervisor(actor)
    applied_since = exists().where(and_(InteropInbound.sender == InteropRefused.sender,
                                        InteropInbound.control_id == InteropRefused.control_id))
    with ctx.db.read() as session:
        theirs = session.scalars(select(InteropRefused).where(
            InteropRefused.resolved_at.is_(None), ~applied_since)
            .order_by(InteropRefused.received_at.desc()).limit(limit)).all()
        ours = session.scalars(select(InteropOutbox).where(InteropOutbox.status == "refused")
                               .order_by(InteropOutbox.id.desc()).limit(limit)).all()
        rows = [RefusedMessage(f"{INBOUND}:{r.id}", INBOUND, r.sender, r.control_id, r.message_type,
                               r.received_at, r.ack_code, r.reason, r.attempts) for r in theirs]
        rows += [RefusedMessage(f"{OUTBOUND}:{r.id}", OUTBOUND, APPLICATION, control_id(r.id), r.event,
                                r.sent_at or r.created_at, r.ack_code or "AE",
                                r.ack_text or "(no reason given)", r.attempts) for r in ours]
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


def _key(key: str) -> tuple[str, int]:
    direction, _, number = str(key).partition(":")
    if direction not in (INBOUND, OUTBOUND) or not number.isdigit():
        raise UserError("choose a message from the list")
    return direction, int(number)


def retry_refused(ctx: AppContext, actor: Actor, key: str) -> str:
    """Re-try one refused message (after its cause was fixed). Ours: back in the outbox, sent
    next by `hl7 send` with the same MSH-10. Theirs: applied again now, as the supervisor, in
    one write transaction with its audit event; refused again, nothing changes and the new
    reason is the error. Returns what happened, in words."""
    _supervisor(actor)
    direction, number = _key(key)
    now = ctx.now()
    if direction == OUTBOUND:
        with ctx.db.write() as session:
            row = session.get(InteropOutbox, number)
            if row is None or row.status != "refused":
                raise UserError("that message is no longer refused (another desk re-tried it); reloaded")
            row.status, row.ack_code, row.ack_text = "pending", None, None
            audit.record(session, actor, "interop.retry", now, entity="interop_outbox",
                         entity_id=row.id, detail={"event": row.event})
        return "queued again: the sender delivers it next"
    with ctx.db.write() as session:
        session.info[FROM_INTERFACE] = True
        row = session.get(InteropRefused, number)
        if row is None or row.resolved_at is not None:
            raise UserError("that message is no longer refused (another desk re-tried it); reloaded")
        try:
            message = read_message(1, row.payload.encode("utf-8"))
        except Unreadable as exc:
            raise UserError(f"the kept message cannot be read ({exc.reason})") from None
        result = _apply_again(session, ctx, actor, message)
        row.resolved_at, row.resolved_by_id, row.resolution = now, actor.id, result
        audit.record(session, actor, "interop.retry", now, entity="interop_refused",
                     entity_id=row.id, detail={"message": row.message_type, "result": result})
    return f"{row.message_type} {row.control_id[:20]}: {result}"


def _apply_again(session, ctx: AppContext, actor: Actor, message: Hl7Message) -> str:
    from coordinator_tui.services.exchange.hl7_receive import (
        _already,
        _hold,
        _record,
        apply_message,
    )
    from coordinator_tui.services.exchange.refusal import Held

    if _already(session, message) is not None:
        return "applied (the EHR sent it again)"
    try:
        with session.begin_nested():
            patient_id, note = apply_message(session, ctx, actor, message)
            _record(session, ctx, message, "applied", "AA", note, patient_id)
    except Held as held:
        _hold(session, ctx, actor, message, held)
        return "held for a person to decide (look-alike patient)"
    except UserError as exc:
        raise UserError(f"still refused: {exc}; nothing was applied") from None
    return "applied"
