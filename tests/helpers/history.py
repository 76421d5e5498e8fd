"""A clinic with years behind it, for the tests that check desk queries stay bounded by what
they show (issue 23): the seeded day's appointments and status events copied back week after
week, and callbacks worked and closed long ago, then ANALYZE so SQLite plans as it would for a
clinic in its fifth year (the plan depends on the statistics: on a new clinic every callback is
open, and scanning them all is the right plan)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, text

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.store.models import (
    Appointment,
    AppointmentStatusEvent,
    Callback,
    CallbackAttempt,
)
from tests.conftest import CLINIC_DAY

LONG_AGO = timedelta(days=2 * 365)  # before anything the seed wrote


def _rows(session, model, *where) -> list[dict]:
    return [dict(row._mapping) for row in session.execute(select(model.__table__).where(*where))]


def add_history(ctx, *, weeks: int = 52, closed_callbacks: int = 3000) -> dict[str, int]:
    """Copy the seeded clinic day back `weeks` times (two years and more ago) and add
    `closed_callbacks` closed callbacks with one attempt each. Returns the row counts added."""
    start, end = day_bounds_utc(CLINIC_DAY, ctx.settings.tz)
    with ctx.db.write() as session:
        day = _rows(session, Appointment, Appointment.starts_at >= start, Appointment.starts_at < end)
        events = _rows(session, AppointmentStatusEvent,
                       AppointmentStatusEvent.appointment_id.in_([r["id"] for r in day]))
        next_id = session.scalar(text("SELECT max(id) FROM appointments")) + 1
        staff_id = session.scalar(text("SELECT min(id) FROM staff_users"))
        patient_id = session.scalar(text("SELECT min(id) FROM patients"))
        new_appointments, new_events = [], []
        for week in range(1, weeks + 1):
            shift = LONG_AGO + timedelta(weeks=week)
            ids = {}
            for row in day:
                ids[row["id"]] = next_id
                new_appointments.append({**row, "id": next_id, "rescheduled_from_id": None,
                                         "starts_at": row["starts_at"] - shift,
                                         "ends_at": row["ends_at"] - shift,
                                         "created_at": row["created_at"] - shift})
                next_id += 1
            new_events += [{**e, "id": None, "appointment_id": ids[e["appointment_id"]],
                            "at": e["at"] - shift} for e in events]
        session.execute(insert(Appointment.__table__), new_appointments)
        session.execute(insert(AppointmentStatusEvent.__table__),
                        [{k: v for k, v in e.items() if k != "id"} for e in new_events])
        now = ctx.now() - LONG_AGO
        callbacks = [{"patient_id": patient_id, "reason": "recall", "priority": "normal",
                      "status": "done", "due_at": now + timedelta(hours=n),
                      "created_at": now + timedelta(hours=n), "created_by_id": staff_id,
                      "closed_at": now + timedelta(hours=n, minutes=30), "closed_by_id": staff_id,
                      "close_reason": "booked"} for n in range(closed_callbacks)]
        session.execute(insert(Callback.__table__), callbacks)
        first = session.scalar(text("SELECT min(id) FROM callbacks WHERE status = 'done'"))
        session.execute(insert(CallbackAttempt.__table__), [
            {"callback_id": first + n, "at": now + timedelta(hours=n, minutes=20), "by_id": staff_id,
             "outcome": "reached"} for n in range(closed_callbacks)])
    with ctx.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return {"appointments": len(new_appointments), "status events": len(new_events),
            "callbacks": closed_callbacks}
