"""The audit trail: every view and change of a patient's record, in a keyed hash chain.

Each row's hash is an HMAC-SHA-256, under the audit key (a file outside the database,
store/audit_files.py), of its own content and the previous row's hash; the row names the key
(`key_id`). Without the key nobody can edit a row, re-chain the rows after it, or append a
forged one that `coordinator audit verify` accepts. Rows from before the key (0004_security)
keep their plain SHA-256 chain, sealed by the first keyed row that follows them.

Rows are appended inside the caller's BEGIN IMMEDIATE transaction, so two desks cannot fork the
chain; only this writer may insert (store/audit_guard.py; on PostgreSQL the chain head is also
locked here, store/pg.py, since READ COMMITTED lets two transactions read the same head). After a commit the chain's
head is appended to the anchor file when the last anchor is older than ANCHOR_MINUTES, so a
trail cut short (or emptied) no longer reaches its anchor.

On SQLite a view's event waits in the view journal beside the file (store/view_journal.py,
services/view_audit.py), so that a view never waits for a writer; `record` appends the
journal's waiting events before its own, and `bring_in_views` says how they stay exactly once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, func, insert, literal, select, text, union_all
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store import audit_files, audit_guard, view_journal
from coordinator_tui.store.engine import key_base
from coordinator_tui.store.models import AuditEvent, AuditViewMark, Patient, StaffUser

GENESIS = "0" * 64
ANCHOR_MINUTES = 15  # the head goes to the anchor file at least this often while events come


def _content(prev_hash: str, at: datetime, user_id: int | None, action: str,
             patient_id: int | None, entity: str | None, entity_id: int | None,
             detail: str | None) -> list:
    return [prev_hash, at.isoformat(), user_id, action, patient_id, entity, entity_id, detail]


def legacy_digest(*fields) -> str:
    """The plain SHA-256 of a row written before the audit key (kept only to check them)."""
    payload = json.dumps(_content(*fields), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def keyed_digest(key: audit_files.AuditKey, *fields) -> str:
    payload = json.dumps(["v2", key.id, *_content(*fields)], separators=(",", ":"),
                         ensure_ascii=False)
    return key.mac(payload)


def database_file(session: Session) -> Path | None:
    """The SQLite file; on PostgreSQL the place its key and anchor files are named after. Asked
    twice per event; parsing the URL each time cost ~0.4 ms an event on a busy desk PC (the HL7
    listener writes several events in one transaction): once per session."""
    if "database_file" not in session.info:
        url = session.get_bind().url
        session.info["database_file"] = (_sqlite_file(url) if url.drivername.startswith("sqlite")
                                         else key_base(url.render_as_string(hide_password=False)))
    return session.info["database_file"]


@lru_cache(maxsize=64)
def _sqlite_file(url) -> Path | None:
    """A SQLite URL's file, parsed once per URL (a session lasts one transaction; a PostgreSQL
    database's name depends on the data folder, so it is not cached)."""
    return key_base(url.render_as_string(hide_password=False))


def key_ring(session: Session, *, create: bool = True) -> audit_files.KeyRing | None:
    return audit_files.ring_for(database_file(session), create=create)


def keyed_name(session: Session, text: str) -> str:
    """A keyed hash of a typed name (a failed sign-in's unknown username): the same name gives
    the same value under one key, so repeated guesses show, but the text itself is not kept."""
    ring = key_ring(session)
    return ring.current.mac("name|" + text.strip().casefold())[:32]


# Built once: every view and every change appends an event, most of them inside the write lock.
_HEAD = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT = insert(AuditEvent.__table__)


def record(session: Session, actor: Actor | None, action: str, at: datetime, *,
           patient_id: int | None = None, entity: str | None = None,
           entity_id: int | None = None, detail: dict | None = None) -> AuditEvent:
    """Append one event to the chain in the caller's write transaction. The caller's pending
    changes are flushed first (as the ORM's flush of the event did); the event itself is one
    prebuilt INSERT (returned as a detached AuditEvent). On SQLite the views' events waiting in
    the journal (store/view_journal.py) are appended first: they happened before this one."""
    key = key_ring(session).current
    postgresql = session.get_bind().dialect.name == "postgresql"
    session.flush()
    conn = session.connection()
    if postgresql:
        audit_guard.lock_head(conn)
    else:
        bring_in_views(session)
    return _append(session, key, at, actor.id if actor else None, action, patient_id, entity,
                   entity_id, detail_text(actor, detail))


def detail_text(actor: Actor | None, detail: dict | None) -> str | None:
    """An event's detail as the chain stores it (JSON)."""
    if actor is not None and actor.elevated_until is not None:
        # Everything done under emergency access says so, in the hashed content.
        detail = {**(detail or {}), "break_glass": True}
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str) if detail else None


def _append(session: Session, key: audit_files.AuditKey, at: datetime, user_id: int | None,
            action: str, patient_id: int | None, entity: str | None, entity_id: int | None,
            detail: str | None) -> AuditEvent:
    conn = session.connection()
    prev_hash = _prev_hash(session, conn)
    values = {"at": at, "user_id": user_id, "action": action, "patient_id": patient_id, "entity": entity,
              "entity_id": entity_id, "detail": detail, "prev_hash": prev_hash, "key_id": key.id,
              "hash": keyed_digest(key, prev_hash, at, user_id, action, patient_id, entity, entity_id,
                                   detail)}
    postgresql = conn.dialect.name == "postgresql"
    with audit_guard.writing(conn if postgresql else None):
        event_id = conn.execute(_INSERT, values).inserted_primary_key[0]
    event = AuditEvent(id=event_id, **values)
    session.info["audit_prev"] = (_innermost(session), event.hash)
    _note_head(session, event)
    return event


def _innermost(session: Session):
    return session.get_nested_transaction() or session.get_transaction()


def _prev_hash(session: Session, conn) -> str:
    """The chain head's hash. Read once per transaction (the write lock, or on PostgreSQL the
    head's row lock, lets no one else append until the commit), then carried from this
    transaction's own last append: a view brought in and the change's own event cost one read,
    not one each. A savepoint, begun or ended since, reads it again."""
    carried = session.info.get("audit_prev")
    if carried is not None and carried[0] is _innermost(session):
        return carried[1]
    return conn.execute(_HEAD).scalar() or GENESIS


# --- views' events waiting in the journal (SQLite; store/view_journal.py) -----------------------

_MARK = select(AuditViewMark.moved_through).where(AuditViewMark.journal == bindparam("journal"))
_SET_MARK = text("INSERT INTO audit_view_marks (journal, moved_through) VALUES (:journal, :seq) "
                 "ON CONFLICT (journal) DO UPDATE SET moved_through = excluded.moved_through")


def bring_in_views(session: Session) -> int:
    """Append the journal's events not yet in the chain, in their order, and move the mark past
    them, in the caller's write transaction (once per transaction); after the commit they are
    deleted from the journal. A gap in their numbers (events deleted from the journal by hand)
    is appended as an event of its own. The number of events appended."""
    if session.info.get("views_checked") or session.get_bind().dialect.name != "sqlite":
        return 0
    session.info["views_checked"] = True
    database = database_file(session)
    journal = view_journal.journal_for(database) if database is not None else None
    try:
        if journal is None or not journal.waiting():
            return 0
        ident = journal.ident
        mark = session.connection().execute(_MARK, {"journal": ident}).scalar() or 0
        waiting = journal.after(mark)
    except (sqlite3.Error, OSError):
        return 0  # a journal this user cannot read: its events wait there for a desk that can
    key = key_ring(session).current
    patients, users = _known(session, waiting)
    expected = mark + 1
    for event in waiting:
        at = _instant(event.at)
        if event.seq != expected:
            _append(session, key, at or datetime.now(UTC), None, "audit.views_missing", None,
                    "view_journal", None,
                    json.dumps({"first": expected, "journal": ident, "last": event.seq - 1}))
        if at is None or event.patient_id not in patients or event.user_id not in users:
            # Its patient or user is not in this file (a restore to an older copy) or the row
            # was edited: kept whole as an event of its own, and the journal moves on.
            _append(session, key, at or datetime.now(UTC), None, "audit.view_unplaceable", None,
                    "view_journal", None, json.dumps({
                        "action": event.action, "at": event.at, "detail": event.detail,
                        "entity": event.entity, "entity_id": event.entity_id, "journal": ident,
                        "patient_id": event.patient_id, "seq": event.seq,
                        "user_id": event.user_id}, sort_keys=True, default=str))
        else:
            _append(session, key, at, event.user_id, event.action, event.patient_id, event.entity,
                    event.entity_id, event.detail)
        expected = event.seq + 1
    if waiting:
        session.connection().execute(_SET_MARK, {"journal": ident, "seq": waiting[-1].seq})
    session.info["views_moved"] = (journal, expected - 1)
    return len(waiting)


def _instant(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


# Built once, one round trip: a statement built per call cost more than the rows it reads,
# inside the write lock of whichever desk brings the views in.
_KNOWN = union_all(
    select(Patient.id, literal("patient")).where(Patient.id.in_(bindparam("patients", expanding=True))),
    select(StaffUser.id, literal("user")).where(StaffUser.id.in_(bindparam("users", expanding=True))))


def _known(session: Session, events: list) -> tuple[set, set]:
    """The journal events' patients and users that exist in this clinic file (None: none)."""
    patients = {e.patient_id for e in events if isinstance(e.patient_id, int)}
    users = {e.user_id for e in events if isinstance(e.user_id, int)}
    found: dict[str, set] = {"patient": {None}, "user": {None}}
    if patients or users:
        rows = session.connection().execute(_KNOWN, {"patients": sorted(patients),
                                                      "users": sorted(users)})
        for row_id, kind in rows:
            found[kind].add(row_id)
    return found["patient"], found["user"]


def journal_view(ctx: AppContext, actor: Actor | None, action: str, at: datetime, *,
                 patient_id: int | None = None, entity: str | None = None,
                 entity_id: int | None = None, detail: dict | None = None) -> None:
    """Write a view's event to the journal beside the SQLite file: on disk when this returns."""
    view_journal.journal_for(ctx.db.path).append(
        at.isoformat(), actor.id if actor else None, action, patient_id, entity, entity_id,
        detail_text(actor, detail))


# --- anchoring the head outside the database ---------------------------------------------------


def anchor_on_commit(session: Session) -> None:
    """Anchor the head when this transaction commits, whenever the last anchor was (a backup)."""
    session.info["audit_anchor_now"] = True
    if "audit_head" in session.info and "audit_count" not in session.info:
        session.info["audit_count"] = session.scalar(select(func.count()).select_from(AuditEvent))


def _anchor_due(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime >= ANCHOR_MINUTES * 60
    except FileNotFoundError:
        return True


def _note_head(session: Session, event: AuditEvent) -> None:
    info = session.info
    if "audit_count" in info:
        info["audit_count"] += 1
    elif info.get("audit_anchor_now") or _anchor_due(audit_files.anchor_path(database_file(session))):
        info["audit_count"] = session.scalar(select(func.count()).select_from(AuditEvent))
    info["audit_head"] = (event.at, event.id, event.hash)


# One listener for every session, not two added per transaction (that cost more than writing
# the event): they do nothing for a session that wrote no event.
@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for name in ("audit_head", "audit_prev", "audit_count", "audit_anchor_now", "views_checked",
                 "views_moved"):
        session.info.pop(name, None)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction (and what it brought in) is not committed
    session.info.pop("views_checked", None)
    session.info.pop("audit_prev", None)
    moved = session.info.pop("views_moved", None)
    if moved is not None:
        journal, seq = moved
        with suppress(sqlite3.Error, OSError):  # the mark says they are in; the next one retries
            journal.forget_through(seq)
    head = session.info.pop("audit_head", None)
    count = session.info.pop("audit_count", None)
    session.info.pop("audit_anchor_now", None)
    if head is None or count is None:
        return
    database = database_file(session)
    try:
        append_anchor(database, head[0], count, head[1], head[2])
    except OSError:
        pass  # the commit stands; `audit verify` reports how old the last anchor is


def append_anchor(database: Path | None, at: datetime, events: int, last_id: int,
                  last_hash: str) -> Path:
    ring = audit_files.ring_for(database, create=True)
    path = audit_files.anchor_path(database)
    audit_files.append_anchor(path, database, at, events, last_id, last_hash, ring.current)
    return path


@contextmanager
def recorded(ctx: AppContext, actor: Actor | None, action: str, **fields) -> Iterator[None]:
    """One event in its own write transaction around a step outside the database (an export
    file taking its name): if the step fails, the event is rolled back with it. Keep the step
    short: the transaction holds the write lock."""
    with ctx.db.write() as session:
        record(session, actor, action, ctx.now(), **fields)
        yield


def __getattr__(name: str):
    # The checker lives in services/audit_verify.py; older callers import it from here.
    if name in ("verify_chain", "ChainBreak"):
        from coordinator_tui.services import audit_verify

        return getattr(audit_verify, name)
    raise AttributeError(name)
