"""Status changes: the state machine is enforced, history is appended, races are reported."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AppointmentStatusEvent, AuditEvent
from tests.conftest import CLINIC_DAY


def _first(ctx, desk_user, status):
    return next(r for r in day_appointments(ctx, desk_user, CLINIC_DAY) if r.status is status)


def _version(ctx, appointment_id):
    with ctx.db.read() as session:
        return session.get(Appointment, appointment_id).version_id


def test_arrival_is_recorded_with_who_and_when(ctx, desk_user):
    row = _first(ctx, desk_user, S.CONFIRMED)
    change = change_status(ctx, desk_user, row.id, S.ARRIVED, expected_version=_version(ctx, row.id))
    assert change.from_status is S.CONFIRMED and change.to_status is S.ARRIVED
    with ctx.db.read() as session:
        event = session.scalars(select(AppointmentStatusEvent).where(
            AppointmentStatusEvent.appointment_id == row.id).order_by(AppointmentStatusEvent.id.desc())).first()
        assert (event.to_status, event.by_id, event.at) == ("arrived", desk_user.id, ctx.now())
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "appointment.status"


def test_a_refused_transition_changes_nothing(ctx, desk_user):
    row = _first(ctx, desk_user, S.CHECKED_OUT)
    before = _version(ctx, row.id)
    with pytest.raises(UserError, match="Cannot"):
        change_status(ctx, desk_user, row.id, S.ARRIVED)
    assert _version(ctx, row.id) == before


def test_a_race_with_another_desk_is_reported_not_overwritten(ctx, desk_user):
    row = _first(ctx, desk_user, S.CONFIRMED)
    seen = _version(ctx, row.id)
    other = actor_for(ctx, "super")
    change_status(ctx, other, row.id, S.ARRIVED, expected_version=seen)
    with pytest.raises(ConflictError, match="changed by Sam Supervisor"):
        change_status(ctx, desk_user, row.id, S.CANCELLED, expected_version=seen,
                      extra={"cancel_reason": "x", "cancelled_by": "patient"})
    with ctx.db.read() as session:
        assert session.get(Appointment, row.id).status == "arrived"


def test_undo_restores_the_previous_status_and_keeps_history(ctx, desk_user):
    row = _first(ctx, desk_user, S.CONFIRMED)
    change_status(ctx, desk_user, row.id, S.ARRIVED)
    with pytest.raises(UserError, match="why"):
        undo_last_change(ctx, desk_user, row.id, reason="  ")
    undone = undo_last_change(ctx, desk_user, row.id, reason="wrong patient")
    assert undone.to_status is S.CONFIRMED
    with ctx.db.read() as session:
        events = session.scalars(select(AppointmentStatusEvent).where(
            AppointmentStatusEvent.appointment_id == row.id).order_by(AppointmentStatusEvent.id)).all()
        assert [e.to_status for e in events][-2:] == ["arrived", "confirmed"]
        assert events[-1].is_undo and events[-1].reason == "wrong patient"
