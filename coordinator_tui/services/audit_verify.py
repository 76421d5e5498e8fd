"""Checking the audit trail: the keyed chain row by row, then the anchors kept outside it.

What it detects (docs/security.md): an edited row, a deleted or inserted row anywhere before
the last one, a re-chained tail or a forged row appended at the end (each needs the key), and,
against the anchors, a trail cut short or emptied up to the last anchor. What it cannot:
events written after the last anchor and then cut, by someone who can write the database file;
anything done by someone who holds the audit key and the anchor file too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.services import audit
from coordinator_tui.store import audit_files
from coordinator_tui.store.models import AuditEvent

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: str


@dataclass(frozen=True)
class Head:
    events: int
    last_id: int
    last_hash: str


def verify_chain(session: Session, ring: audit_files.KeyRing | None = None,
                 *, ring_given: bool = False) -> ChainBreak | None:
    """The first row whose link, content or signature does not hold, or None when whole."""
    if ring is None and not ring_given:
        ring = audit.key_ring(session, create=False)
    expected_prev = audit.GENESIS
    keyed_seen = False
    newest_key = -1
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(2000)
    for event in rows:
        if event.prev_hash != expected_prev:
            return ChainBreak(event.id, "does not follow the event before it: events were "
                                        "removed or inserted before it")
        fields = (event.prev_hash, event.at, event.user_id, event.action, event.patient_id,
                  event.entity, event.entity_id, event.detail)
        if event.key_id is None:
            if keyed_seen:
                return ChainBreak(event.id, "is not signed with the audit key although events "
                                            "before it are: inserted or forged")
            if audit.legacy_digest(*fields) != event.hash:
                return ChainBreak(event.id, "content was changed after it was written")
        else:
            keyed_seen = True
            if ring is None:
                return ChainBreak(event.id, "cannot be checked: no audit key file (set "
                                            f"{audit_files.KEY_VARIABLE} to the clinic's key)")
            position = ring.position(event.key_id)
            if position is None:
                return ChainBreak(event.id, f"is signed with a key ({event.key_id}) that is not "
                                            "in the audit key file: forged, or the wrong key file")
            if position < newest_key:
                return ChainBreak(event.id, "is signed with a key retired before it: forged")
            newest_key = position
            if audit.keyed_digest(ring.keys[position], *fields) != event.hash:
                return ChainBreak(event.id, "content was changed after it was written (its "
                                            "signature does not match)")
        expected_prev = event.hash
    return None


def head_of(session: Session) -> Head:
    last = session.execute(select(AuditEvent.id, AuditEvent.hash)
                           .order_by(AuditEvent.id.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return Head(count, last[0] if last else 0, last[1] if last else audit.GENESIS)


@dataclass(frozen=True)
class AnchorFinding:
    """One anchor compared with the trail: `problem` None means the trail still holds it."""
    source: str
    at: datetime | None
    last_id: int
    problem: str | None


def backup_head(path: Path) -> Head:
    """The head of the audit trail inside a backup copy (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        last = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return Head(count, last[0] if last else 0, last[1] if last else audit.GENESIS)


def _compare(session: Session, source: str, at: datetime | None, head: Head) -> AnchorFinding:
    if head.last_id == 0:
        return AnchorFinding(source, at, 0, None)
    row = session.execute(select(AuditEvent.hash).where(AuditEvent.id == head.last_id)).first()
    upto = session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.id <= head.last_id)) or 0
    newest = session.scalar(select(func.max(AuditEvent.id))) or 0
    if row is None:
        return AnchorFinding(source, at, head.last_id, (
            f"event {head.last_id} is missing: the trail was cut (it ends at event {newest}; "
            f"{head.events - upto:,} of the {head.events:,} anchored events are gone)"))
    if row[0] != head.last_hash:
        return AnchorFinding(source, at, head.last_id,
                             f"event {head.last_id} is not the event anchored (rewritten)")
    if upto != head.events:
        return AnchorFinding(source, at, head.last_id,
                             f"{head.events - upto:,} events up to event {head.last_id} are "
                             "missing")
    return AnchorFinding(source, at, head.last_id, None)


def check_anchors(session: Session, path: Path, ring: audit_files.KeyRing | None
                  ) -> list[AnchorFinding]:
    """Every anchor in an anchor file, or the head of a backup copy, against the trail."""
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return [_compare(session, f"backup {path.name}", None, backup_head(path))]
    findings: list[AnchorFinding] = []
    for anchor in audit_files.read_anchors(path):
        where = f"{path.name} line {anchor if isinstance(anchor, int) else anchor.line}"
        if isinstance(anchor, int):
            findings.append(AnchorFinding(where, None, 0, "this line is not an anchor (damaged)"))
            continue
        key = None if ring is None else ring.position(anchor.key_id)
        if key is None or ring.keys[key].mac(anchor.text()) != anchor.mac:
            findings.append(AnchorFinding(where, anchor.at, anchor.last_id,
                                          "the anchor's signature does not match (forged)"))
            continue
        findings.append(_compare(session, where, anchor.at,
                                 Head(anchor.events, anchor.last_id, anchor.last_hash)))
    return findings
