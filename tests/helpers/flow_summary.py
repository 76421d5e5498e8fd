"""What the status history says about each visit's steps, counted in Python, and what the
per-visit flow summary (appointment_flow) holds, in the same shape, to compare the two."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.store.models import AppointmentFlow, AppointmentStatusEvent

STEPS = {"arrived": "arrived", "roomed": "roomed", "with_provider": "with_provider", "checked_out": "done"}


def from_history(session) -> dict[int, dict]:
    """What the events say, counted in Python: per appointment that ever reached a step, the
    last instant into each step and who recorded the latest arrival."""
    summary: dict[int, dict] = {}
    events = session.execute(select(AppointmentStatusEvent.appointment_id, AppointmentStatusEvent.to_status,
                                    AppointmentStatusEvent.at, AppointmentStatusEvent.by_id)
                             .order_by(AppointmentStatusEvent.id)).all()
    for appointment_id, to_status, at, by_id in events:
        if to_status not in STEPS:
            continue
        row = summary.setdefault(appointment_id, dict.fromkeys(
            ("arrived", "arrived_by_id", "roomed", "with_provider", "done")))
        column = STEPS[to_status]
        if row[column] is None or at >= row[column]:
            row[column] = at
            if column == "arrived":
                row["arrived_by_id"] = by_id
    return summary


def from_summary(session) -> dict[int, dict]:
    return {r.appointment_id: {"arrived": r.arrived, "arrived_by_id": r.arrived_by_id, "roomed": r.roomed,
                               "with_provider": r.with_provider, "done": r.done}
            for r in session.scalars(select(AppointmentFlow))}
