"""Group commit for the HL7 listener: the messages waiting when the writer is free are applied in
ONE write transaction, each in its own savepoint, and their ACKs are sent after that commit.

Why: on this disk a commit (synchronous=FULL) costs about as much as applying a registration;
senders on several connections (or one pipelining) pay it once per group instead of once each.
What does not change for a sender:

- an ACK is built only after the commit holding its message returned (the listener sends it
  then), so AA always means saved; a failed commit answers every message of the group AE ("not
  saved; send it again") and none of them is applied;
- one refused message never takes the others down: its savepoint is rolled back alone, it is
  answered AE with its reason and kept on the refused list (hl7_refused.py), the rest commit;
- the messages of one connection are applied in the order they arrived (the listener queues
  them in order), and a second copy inside the same group is a duplicate of the first.

A lone message is a group of one: nothing waits to fill a group.
"""

from __future__ import annotations

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import Hl7Message, Unreadable, header_fields, read_message
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange.hl7_receive import (
    Outcome,
    _already,
    _hold,
    _record,
    ack_for,
    apply_message,
)
from coordinator_tui.services.exchange.hl7_refused import note_refused
from coordinator_tui.services.exchange.refusal import Held
from coordinator_tui.store.outbox import FROM_INTERFACE

# The audit trail notes its chain head in session.info for the anchor written at commit
# (services/audit.py); a savepoint rolled back must not leave a head that is not in the table.
_AUDIT_KEYS = ("audit_head", "audit_count")
MAX_GROUP = 64


def _in_savepoint(session, work):
    saved = {k: session.info[k] for k in _AUDIT_KEYS if k in session.info}
    try:
        with session.begin_nested():
            return work()
    except BaseException:
        for key in _AUDIT_KEYS:
            session.info.pop(key, None)
        session.info.update(saved)
        raise


def apply_group(ctx: AppContext, actor: Actor, messages: list[Hl7Message]) -> list[Outcome]:
    """Every message in one write transaction, each in its savepoint; outcomes in order.
    Raises (nothing applied) only when the transaction itself fails."""
    outcomes: list[Outcome] = []
    with ctx.db.write() as session:
        session.info[FROM_INTERFACE] = True
        for message in messages:
            outcomes.append(_one(session, ctx, actor, message))
    return outcomes


def _one(session, ctx: AppContext, actor: Actor, message: Hl7Message) -> Outcome:
    seen = _already(session, message)
    if seen is not None:
        return Outcome(seen.ack_code, seen.ack_text or "duplicate: already applied", duplicate=True)

    def apply():
        patient_id, note = apply_message(session, ctx, actor, message)
        _record(session, ctx, message, "applied", "AA", note, patient_id)
        return note

    try:
        return Outcome("AA", _in_savepoint(session, apply))
    except Held as held:
        _in_savepoint(session, lambda why=held: _hold(session, ctx, actor, message, why))
        return Outcome("AE", str(held))
    except UserError as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 (this message only; never a traceback to the peer)
        reason = f"not saved ({type(exc).__name__}); send it again"
    _in_savepoint(session, lambda: note_refused(session, ctx, message, "AE", reason))
    return Outcome("AE", reason)


def receive_group(ctx: AppContext, actor: Actor, frames: list[bytes],
                  senders: frozenset[str] | None) -> list[str]:
    """The listener's group handler: the bytes of several frames in, their ACKs out, in order.
    Unreadable frames and unknown senders are answered AR at once and join no transaction."""
    answers: list[str | None] = [None] * len(frames)
    readable: list[tuple[int, Hl7Message, dict]] = []
    for i, data in enumerate(frames):
        try:
            message = read_message(1, data)
        except Unreadable as exc:
            answers[i] = ack_for(ctx, header_fields(exc.header), "AR", exc.reason)
            continue
        head = {"application": message.application, "facility": message.get("MSH", 4),
                "control_id": message.control_id}
        if senders is not None and message.application not in senders:
            answers[i] = ack_for(ctx, head, "AR",
                                 f"sender {message.application[:40]!r} is not configured here")
            continue
        readable.append((i, message, head))
    if readable:
        try:
            outcomes = apply_group(ctx, actor, [m for _, m, _ in readable])
        except Exception as exc:  # noqa: BLE001 (the commit failed: nothing of the group is saved)
            outcomes = [Outcome("AE", f"not saved ({type(exc).__name__}); send it again")] * len(readable)
        for (i, _, head), outcome in zip(readable, outcomes, strict=True):
            answers[i] = ack_for(ctx, head, outcome.code, outcome.text)
    return [a or "" for a in answers]
