"""Two real processes, each with its own connection, released together by a barrier to book the
same slot, 200 times: exactly one wins each round, the other is told the slot is taken, and the
database never holds two active appointments overlapping for one provider."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.errors import UserError
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment
from tests.conftest import CLINIC_DAY, make_context

ROUNDS = 200


def _desk(path: str, patient_id: int, slots: list[str], barrier, results) -> None:
    """One desk in its own process: book each slot the moment the other desk is ready too."""
    ctx = make_context(Path(path))
    actor = actor_for(ctx, "demo")
    for index, text in enumerate(slots):
        barrier.wait(timeout=30)
        try:
            result = booking.book(ctx, actor, patient_id, 1, "FU", datetime.fromisoformat(text))
            results.put((index, patient_id, "ok", result.appointment_id))
        except UserError as exc:
            results.put((index, patient_id, "refused", str(exc)))
        except Exception as exc:  # pragma: no cover - reported to the test, which fails
            results.put((index, patient_id, "error", type(exc).__name__))
    ctx.db.dispose()


def test_two_processes_booking_the_same_slot_exactly_one_wins(ctx, desk_user, seeded_path):
    slots = booking.find_free_slots(ctx, desk_user, provider_id=1, type_code="FU",
                                    after=CLINIC_DAY + timedelta(days=15), limit=ROUNDS)
    assert len(slots) == ROUNDS
    texts = [s.starts_at.isoformat() for s in slots]
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results = spawn.Queue()
    desks = [spawn.Process(target=_desk, args=(str(seeded_path), pid, texts, barrier, results))
             for pid in (101, 102)]
    for desk in desks:
        desk.start()
    outcomes: dict[int, list[tuple]] = {}
    for _ in range(2 * ROUNDS):
        index, pid, kind, detail = results.get(timeout=60)
        outcomes.setdefault(index, []).append((pid, kind, detail))
    for desk in desks:
        desk.join(timeout=30)
        assert desk.exitcode == 0

    winners_by_desk = {101: 0, 102: 0}
    for index in range(ROUNDS):
        kinds = sorted(kind for _pid, kind, _d in outcomes[index])
        assert kinds == ["ok", "refused"], (index, outcomes[index])
        refused = next(d for _p, k, d in outcomes[index] if k == "refused")
        assert "already booked" in refused and "OKAFOR" in refused
        winners_by_desk[next(p for p, k, _d in outcomes[index] if k == "ok")] += 1
    assert sum(winners_by_desk.values()) == ROUNDS

    with ctx.db.read() as session:
        rows = session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
            Appointment.provider_id == 1, Appointment.status.notin_(["cancelled", "no_show"]))
            .order_by(Appointment.starts_at)).all()
    for (_s1, e1), (s2, _e2) in zip(rows, rows[1:], strict=False):
        assert e1 <= s2, "two active appointments overlap"
