"""Looking after the audit key and the anchors: rotate the key (a recorded event), anchor the
chain's head now (for a cron job, beside the automatic anchors every few minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.services import audit
from coordinator_tui.services.audit_verify import head_of
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store import audit_files


def rotate_key(ctx: AppContext, actor: Actor) -> str:
    """A new audit key signs every event from now on, starting with the `audit.key_rotated`
    event that names the old and the new key. Older keys stay in the file (older events are
    checked with them) but an event signed with one after the rotation is refused. Admins."""
    require(actor, Permission.MANAGE_SETTINGS)
    old = audit_files.ring_for(ctx.db.key_base, create=True).current.id
    ring = audit_files.add_key(ctx.db.key_base)
    with ctx.db.write() as session:
        audit.record(session, actor, "audit.key_rotated", ctx.now(), entity="audit_key",
                     detail={"from": old, "to": ring.current.id})
        audit.anchor_on_commit(session)
    return ring.current.id


@dataclass(frozen=True)
class Anchored:
    path: Path
    events: int
    last_id: int


def anchor_now(ctx: AppContext) -> Anchored:
    """Append the chain's head to the anchor file now (nothing is written to the database)."""
    with ctx.db.read() as session:
        head = head_of(session)
        at = ctx.now()
    path = audit.append_anchor(ctx.db.key_base, at, head.events, head.last_id, head.last_hash)
    return Anchored(path, head.events, head.last_id)
