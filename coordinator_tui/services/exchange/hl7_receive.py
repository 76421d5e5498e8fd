"""Receiving HL7 v2: one message from the listener, or a whole file.

A message is applied in one write transaction together with its row in interop_inbound, so a
second copy (same sender, same MSH-10) is acknowledged from that row and never applied twice.
The answer is an ACK: AA applied; AE understood but refused (the reason in MSA-3 and ERR-8),
or a look-alike patient held for a person; AR unreadable or from a sender we do not take.
A message refused AE is kept with its reason for a supervisor to re-try (hl7_refused.py).
The listener applies the messages waiting together in one transaction (hl7_group.py); `receive`
here is the one-message path. A file is applied whole in one transaction, or refused whole
naming the message and reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, insert, select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7 import build
from coordinator_tui.interop.hl7.parse import (
    Hl7Message,
    Unreadable,
    header_fields,
    read_file,
    read_message,
)
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.exchange.hl7_patients import merge_from, upsert_patient
from coordinator_tui.services.exchange.hl7_refused import note_refused
from coordinator_tui.services.exchange.hl7_schedule import apply_siu
from coordinator_tui.services.exchange.refusal import Held
from coordinator_tui.store.models import InteropHeld, InteropInbound
from coordinator_tui.store.outbox import FROM_INTERFACE  # what came in is not echoed out


@dataclass(frozen=True)
class Outcome:
    code: str      # AA, AE, AR
    text: str
    duplicate: bool = False


def apply_message(session, ctx: AppContext, actor: Actor,
                  message: Hl7Message) -> tuple[int | None, str]:
    """One message inside the caller's transaction: (patient id, note for the ACK)."""
    now = ctx.now()
    kind, event = message.message_type.split("^")
    if kind == "SIU":
        return apply_siu(session, ctx, actor, message, now)
    if event == "A40":
        patient, note = merge_from(session, ctx, actor, message, now)
    else:
        patient, note = upsert_patient(session, ctx, actor, message, now)
    return patient.id, note


@dataclass(frozen=True)
class Seen:
    ack_code: str
    ack_text: str | None


# Built once: every message asks it (about a third of an ORM select's cost per call).
_SEEN = (select(InteropInbound.ack_code, InteropInbound.ack_text)
         .where(InteropInbound.sender == bindparam("sender"),
                InteropInbound.control_id == bindparam("control_id")))
_RECORD = insert(InteropInbound.__table__)


def _already(session, message: Hl7Message) -> Seen | None:
    row = session.connection().execute(_SEEN, {"sender": message.sender,
                                                "control_id": message.control_id}).first()
    return Seen(row[0], row[1]) if row is not None else None


def _record(session, ctx, message: Hl7Message, status: str, code: str, text: str,
            patient_id: int | None) -> None:
    session.connection().execute(_RECORD, {"sender": message.sender, "control_id": message.control_id,
                              "message_type": message.message_type, "received_at": ctx.now(),
                              "status": status, "ack_code": code, "ack_text": text[:300] or None,
                              "patient_id": patient_id})


def _hold(session, ctx, actor, message: Hl7Message, held: Held) -> None:
    row = InteropHeld(source="hl7", sender=message.sender, reference=message.control_id,
                      reason=str(held)[:300], payload=message.text, created_at=ctx.now())
    session.add(row)
    _record(session, ctx, message, "held", "AE", str(held), None)
    audit.record(session, actor, "interop.held", ctx.now(), entity="interop_held", entity_id=row.id,
                 detail={"message": message.message_type, "looks_like": held.candidates})


def apply_one(ctx: AppContext, actor: Actor, message: Hl7Message) -> Outcome:
    """One message, one write transaction (the change, its audit rows, its inbound row)."""
    try:
        with ctx.db.write() as session:
            session.info[FROM_INTERFACE] = True
            seen = _already(session, message)
            if seen is not None:
                return Outcome(seen.ack_code, seen.ack_text or "duplicate: already applied",
                               duplicate=True)
            patient_id, note = apply_message(session, ctx, actor, message)
            _record(session, ctx, message, "applied", "AA", note, patient_id)
            return Outcome("AA", note)
    except Held as held:
        with ctx.db.write() as session:
            session.info[FROM_INTERFACE] = True
            if _already(session, message) is None:
                _hold(session, ctx, actor, message, held)
        return Outcome("AE", str(held))
    except UserError as exc:  # Refused, and the desk's own refusals (permission, conflict)
        with ctx.db.write() as session:  # kept for a supervisor to re-try (hl7_refused.py)
            note_refused(session, ctx, message, "AE", str(exc))
        return Outcome("AE", str(exc))


def receive(ctx: AppContext, actor: Actor, data: bytes, senders: frozenset[str] | None) -> str:
    """The listener's handler: bytes of one frame in, the ACK text out. Never raises for bad
    input; a storage failure is answered AE (the sender retries) without detail."""
    try:
        message = read_message(1, data)
    except Unreadable as exc:
        return ack_for(ctx, header_fields(exc.header), "AR", exc.reason)
    head = {"application": message.application, "facility": message.get("MSH", 4),
            "control_id": message.control_id}
    if senders is not None and message.application not in senders:
        return ack_for(ctx, head, "AR", f"sender {message.application[:40]!r} is not configured here")
    try:
        outcome = apply_one(ctx, actor, message)
    except Exception as exc:  # the database is busy or failing: say so, never a traceback
        return ack_for(ctx, head, "AE", f"not saved ({type(exc).__name__}); send it again")
    return ack_for(ctx, head, outcome.code, outcome.text)


def unframed(ctx: AppContext, data: bytes) -> str:
    return ack_for(ctx, {}, "AR", "frame without the MLLP start block (0x0B); not read")


def ack_for(ctx: AppContext, head: dict, code: str, text: str) -> str:
    return build.ack(code, head.get("control_id", ""), ctx.now(), text=text,
                     application=head.get("application", ""), facility=head.get("facility", ""))


@dataclass
class FileReport:
    messages: int = 0
    applied: int = 0
    duplicates: int = 0
    held: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False


class _DryRun(Exception):
    pass


def import_file(ctx: AppContext, actor: Actor, path: Path | str, *, dry_run: bool = False) -> FileReport:
    """Every message of the file in one transaction, or none (UserError names the message)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        messages = read_file(data)
    except Unreadable as exc:
        raise UserError(f"{path.name}: message {exc.number}: {exc.reason}; nothing was applied") from None
    report = FileReport(messages=len(messages), dry_run=dry_run)
    try:
        with ctx.db.write() as session:
            session.info[FROM_INTERFACE] = True
            for message in messages:
                if _already(session, message) is not None:
                    report.duplicates += 1
                    continue
                where = f"message {message.number} ({message.message_type} {message.control_id[:20]})"
                try:
                    with session.begin_nested():
                        patient_id, note = apply_message(session, ctx, actor, message)
                        _record(session, ctx, message, "applied", "AA", note, patient_id)
                except Held as held:
                    _hold(session, ctx, actor, message, held)
                    report.held.append(f"{where}: {held}")
                    continue
                except UserError as exc:
                    raise UserError(f"{path.name}: {where}: {exc}; nothing was applied") from None
                report.applied += 1
                if note:
                    report.notes.append(f"{where}: {note}")
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def held_items(ctx: AppContext, actor: Actor, *, limit: int = 200) -> list[dict]:
    """Imports held for a person (look-alike patients), oldest first; no patient data beyond
    the reason (which names our MRN)."""
    with ctx.db.read() as session:
        rows = session.scalars(select(InteropHeld).where(InteropHeld.resolved_at.is_(None))
                               .order_by(InteropHeld.id).limit(limit))
        return [{"id": r.id, "source": r.source, "sender": r.sender, "reference": r.reference,
                 "reason": r.reason, "at": r.created_at.isoformat()} for r in rows]


def as_json(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=1)
