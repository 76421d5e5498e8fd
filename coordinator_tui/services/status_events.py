"""The one place a status event is written, and the per-visit flow summary kept with it.

`appointment_flow` holds, per appointment, what the patient-flow report needs from the status
history: the last instant into each step (arrived, roomed, with the provider, checked out) and
who recorded the last arrival. It is rebuilt from the appointment's own events whenever one
of those steps is written, in the same transaction, so it always equals what the history says
(an undo is itself an event; whether a step still counts is decided from the appointment's
status by the reports, as before). A year of reports then reads 150,000 rows, not 600,000 events.

Whoever inserts events in bulk (demo clinic, benchmarks, test histories) calls `rebuild_flow`
afterwards. The SQL is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, text

from coordinator_tui.store.models import AppointmentStatusEvent

FLOW_STEPS = ("arrived", "roomed", "with_provider", "checked_out")

# The summary rows of the appointments `{where}` picks (an SQL condition on e.appointment_id).
# Who recorded the last arrival: the latest one, and of two at the same instant the later written.
_FLOW_ROWS = """INSERT INTO appointment_flow (appointment_id, arrived, arrived_by_id, roomed, with_provider, done)
SELECT e.appointment_id,
       max(CASE WHEN e.to_status = 'arrived' THEN e.at END),
       (SELECT x.by_id FROM appointment_status_events x
        WHERE x.appointment_id = e.appointment_id AND x.to_status = 'arrived'
        ORDER BY x.at DESC, x.id DESC LIMIT 1),
       max(CASE WHEN e.to_status = 'roomed' THEN e.at END),
       max(CASE WHEN e.to_status = 'with_provider' THEN e.at END),
       max(CASE WHEN e.to_status = 'checked_out' THEN e.at END)
FROM appointment_status_events e
WHERE e.to_status IN ('arrived', 'roomed', 'with_provider', 'checked_out') {where}
GROUP BY e.appointment_id"""

REBUILD_ALL = ("DELETE FROM appointment_flow", _FLOW_ROWS.format(where=""))
_REFRESH_ONE = (text("DELETE FROM appointment_flow WHERE appointment_id = :id"),
                text(_FLOW_ROWS.format(where="AND e.appointment_id = :id")))

_INSERT = insert(AppointmentStatusEvent.__table__)  # built once: every status change writes one


def record_status_event(session, *, appointment_id: int, from_status: str | None, to_status: str,
                        at: datetime, by_id: int | None, reason: str | None = None,
                        is_undo: bool = False) -> None:
    """Add one status event (flushed) and bring the appointment's flow summary up to date."""
    session.flush()  # the caller's changes first (the appointment's new status), as before
    session.execute(_INSERT, {"appointment_id": appointment_id, "from_status": from_status,
                              "to_status": to_status, "at": at, "by_id": by_id, "reason": reason,
                              "is_undo": is_undo})
    if to_status in FLOW_STEPS:
        for statement in _REFRESH_ONE:
            session.execute(statement, {"id": appointment_id})


def rebuild_flow(conn) -> None:
    """Every appointment's flow summary from the events (after a bulk insert of events).
    `conn`: an SQLAlchemy connection or session, or a DB-API connection."""
    for statement in REBUILD_ALL:
        if hasattr(conn, "exec_driver_sql"):
            conn.exec_driver_sql(statement)
        elif hasattr(conn, "get_bind"):
            conn.execute(text(statement))
        else:
            conn.execute(statement)
