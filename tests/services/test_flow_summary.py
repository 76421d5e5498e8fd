"""The per-visit flow summary (appointment_flow) always says what the status history says: the
last instant into arrived, roomed, with the provider and checked out, and who recorded the last
arrival, after any run of status changes and undos by several desks (services/status_events.py
keeps it in the same transaction as each event). The patient-flow report reads it instead of
the history, so a wrong row here would be a wrong wait on the Reports desk."""

from __future__ import annotations

import random

from sqlalchemy import select

from coordinator_tui.domain.appointment_flow import allowed_next, undo_target
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AppointmentStatusEvent
from tests.conftest import CLINIC_DAY
from tests.helpers.flow_summary import from_history, from_summary


def test_the_seeded_clinic_summary_is_its_history(ctx):
    with ctx.db.read() as session:
        expected = from_history(session)
        assert expected  # the demo day has arrivals, roomings and check-outs
        assert from_summary(session) == expected


def test_random_changes_and_undos_keep_the_summary_equal_to_the_history(ctx, clock, desk_user):
    rng = random.Random(18)
    desks = [desk_user, actor_for(ctx, "super")]
    ids = [r.id for r in day_appointments(ctx, desk_user, CLINIC_DAY)]
    undos = forwards = 0
    for _ in range(160):
        clock.advance(minutes=rng.choice((0, 1, 3, 7, 12)))  # 0: two events at the same instant
        appointment_id = rng.choice(ids)
        with ctx.db.read() as session:
            status = S(session.get(Appointment, appointment_id).status)
            pairs = session.execute(select(AppointmentStatusEvent.from_status, AppointmentStatusEvent.to_status)
                                    .where(AppointmentStatusEvent.appointment_id == appointment_id)
                                    .order_by(AppointmentStatusEvent.id)).all()
        forward = sorted(allowed_next(status) - {S.CANCELLED})
        if undo_target(pairs) is not None and (not forward or rng.random() < 0.3):
            undo_last_change(ctx, rng.choice(desks), appointment_id, reason="keyed the wrong row")
            undos += 1
        elif forward:
            change_status(ctx, rng.choice(desks), appointment_id, rng.choice(forward))
            forwards += 1
    assert undos > 20 and forwards > 60
    with ctx.db.read() as session:
        summary, history = from_summary(session), from_history(session)
        statuses = dict(session.execute(select(Appointment.id, Appointment.status)).all())
    assert summary == history
    # The run left undone arrivals behind (an arrival in the summary, the visit back to expected):
    # the reports drop those by the visit's status, as they did reading the events.
    assert any(row["arrived"] is not None and statuses[aid] in ("scheduled", "confirmed")
               for aid, row in summary.items())
    # ... and arrivals by both desks, so "who checked in" was kept per event.
    assert {row["arrived_by_id"] for row in summary.values()} >= {d.id for d in desks}
