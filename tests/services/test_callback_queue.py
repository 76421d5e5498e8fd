from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coordinator_tui.domain.vocab import CallbackReason
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.store.models import Callback


def test_a_second_request_for_the_same_patient_and_reason_creates_nothing(ctx, desk_user):
    patient_id = 42
    with ctx.db.write() as session:
        first, created = ensure_open_callback(session, desk_user, patient_id=patient_id,
                                              reason=CallbackReason.RECALL, at=ctx.now(),
                                              due_at=ctx.now() + timedelta(days=1))
        assert created
    with ctx.db.write() as session:
        again, created = ensure_open_callback(session, desk_user, patient_id=patient_id,
                                              reason=CallbackReason.RECALL, at=ctx.now(),
                                              due_at=ctx.now() + timedelta(days=2))
        assert not created and again.id == first.id
        other, created = ensure_open_callback(session, desk_user, patient_id=patient_id,
                                              reason=CallbackReason.OTHER, at=ctx.now(),
                                              due_at=ctx.now())
        assert created
    with ctx.db.read() as session:
        count = session.scalar(select(func.count()).select_from(Callback).where(
            Callback.patient_id == patient_id, Callback.status == "open"))
        assert count == 2
