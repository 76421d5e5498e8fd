"""The EHR's identifiers of our patients and appointments (interop_links)."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select

from coordinator_tui.store.models import InteropLink

# Built once and run on the session's connection (Core): the inbound path asks it per message.
_LOCAL = select(InteropLink.local_id).where(
    InteropLink.system == bindparam("system"), InteropLink.kind == bindparam("kind"),
    InteropLink.external_id == bindparam("external_id"))
_LINK = insert(InteropLink.__table__)


def find_local(session, system: str, kind: str, external_id: str) -> int | None:
    return session.connection().execute(_LOCAL, {"system": system, "kind": kind,
                                                 "external_id": external_id[:64]}).scalar()


def link_new(session, system: str, kind: str, external_id: str, local_id: int) -> None:
    """Link an external id the caller has just found unlinked (in this write transaction): one
    INSERT, no look-up and no ORM flush (the inbound registration path)."""
    session.connection().execute(_LINK, {
        "system": system[:180], "kind": kind, "external_id": external_id[:64], "local_id": local_id})


def link(session, system: str, kind: str, external_id: str, local_id: int) -> None:
    """Point the EHR's id at our row (a moved appointment's id follows it to the new row)."""
    row = session.scalar(select(InteropLink).where(
        InteropLink.system == system, InteropLink.kind == kind,
        InteropLink.external_id == external_id[:64]))
    if row is None:
        session.add(InteropLink(system=system[:180], kind=kind, external_id=external_id[:64],
                                local_id=local_id))
    else:
        row.local_id = local_id
    session.flush()
