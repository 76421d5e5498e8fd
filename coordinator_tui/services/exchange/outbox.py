"""The HL7 outbox: turning it on, what is waiting, delivery results (the refused list, both
ways, is hl7_refused.py).

Rows are written by the session event in store/outbox.py; `hl7 send` (sender.py) reads them in
order and records each answer here, one short write per message."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7 import build
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.store.models import InteropOutbox, Setting
from coordinator_tui.store.outbox import SETTING


@dataclass(frozen=True)
class Waiting:
    id: int
    patient_id: int | None
    event: str
    control_id: str
    text: str


def control_id(outbox_id: int) -> str:
    """MSH-10 of an outbox message: the same on every retry, so a receiver can drop a copy."""
    return f"CO{outbox_id:010d}"


def message_text(row: InteropOutbox) -> str:
    data = json.loads(row.payload)
    event = row.event.split("^")[1]
    at = row.created_at
    if row.event.startswith("SIU"):
        return build.siu(event, control_id(row.id), at, data["appointment"], data["patient"])
    visit = None
    if event == "A04" and "appointment" in data:
        a = data["appointment"]
        visit = {"provider": a.get("provider_short"), "appointment_id": a.get("id")}
    return build.adt(event, control_id(row.id), at, data["patient"],
                     prior_mrn=data.get("prior_mrn"), visit=visit)


def set_outbox(ctx: AppContext, actor: Actor, on: bool) -> None:
    """Turn the outbox on (every desk's changes queue HL7 messages from the next save) or off."""
    if not allows(actor, Permission.MANAGE_SETTINGS):
        raise UserError("only an admin may turn the HL7 outbox on or off")
    with ctx.db.write() as session:
        row = session.get(Setting, SETTING)
        if row is None:
            session.add(Setting(key=SETTING, value="on" if on else "off"))
        else:
            row.value = "on" if on else "off"
        audit.record(session, actor, "interop.outbox", ctx.now(), entity="setting",
                     detail={"on": on})


def waiting(ctx: AppContext, *, limit: int = 100) -> list[Waiting]:
    """The oldest messages not yet delivered, in the order they were made (so per patient too)."""
    with ctx.db.read() as session:
        rows = session.scalars(select(InteropOutbox).where(InteropOutbox.status == "pending")
                               .order_by(InteropOutbox.id).limit(limit)).all()
        return [Waiting(r.id, r.patient_id, r.event, control_id(r.id), message_text(r)) for r in rows]


def record_answer(ctx: AppContext, outbox_id: int, code: str, text: str) -> None:
    """The receiver's ACK: AA/CA delivered; AE/AR refused (kept for a supervisor, not retried)."""
    with ctx.db.write() as session:
        row = session.get(InteropOutbox, outbox_id)
        if row is None or row.status != "pending":
            return
        row.attempts += 1
        row.ack_code = code[:2]
        row.ack_text = (text or None) and text[:300]
        row.status = "sent" if code in ("AA", "CA") else "refused"
        row.sent_at = ctx.now()


def counts(ctx: AppContext) -> dict[str, int]:
    with ctx.db.read() as session:
        return dict(session.execute(select(InteropOutbox.status, func.count())
                                    .group_by(InteropOutbox.status)).all())
