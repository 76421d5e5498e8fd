"""Columns the desk views read from the appointment status history, bounded by the day shown.

Both are correlated subqueries over `ix_appointment_status_events_appointment_at`: each looks up
only the shown appointment's few events, so a day view costs the same in year five as on day one.
(A GROUP BY over the whole history, joined afterwards, grew with every event ever written: 18 ms
at 18k events, 1.3 s at 600k.)
"""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.store.models import Appointment, AppointmentStatusEvent


def status_since():
    """When the appointment's current status began (its latest event)."""
    return (select(func.max(AppointmentStatusEvent.at))
            .where(AppointmentStatusEvent.appointment_id == Appointment.id)
            .correlate(Appointment).scalar_subquery())


def arrived_at():
    """When the patient last arrived for the appointment, if they did."""
    return (select(func.max(AppointmentStatusEvent.at))
            .where(AppointmentStatusEvent.appointment_id == Appointment.id,
                   AppointmentStatusEvent.to_status == AppointmentStatus.ARRIVED.value)
            .correlate(Appointment).scalar_subquery())
