"""The EHR's identifiers of our patients and appointments (interop_links)."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.store.models import InteropLink


def find_local(session, system: str, kind: str, external_id: str) -> int | None:
    return session.scalar(select(InteropLink.local_id).where(
        InteropLink.system == system, InteropLink.kind == kind,
        InteropLink.external_id == external_id[:64]))


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
