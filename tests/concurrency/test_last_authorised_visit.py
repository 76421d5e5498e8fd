"""Two real processes, each with its own connection, released together by a barrier to book the
LAST visit of the same prior authorisation, in two different free slots, round after round:
exactly one wins each round, the other is told no visits are left, and the authorisation is never
booked beyond what was approved (the count is read inside the booking's write transaction)."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path

from coordinator_tui.domain.referrals import ReferralKind
from coordinator_tui.errors import UserError
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import FREE_DAY, make_context
from tests.helpers.referrals import insured_patients, needs_auth, proc_slots

ROUNDS = 25


def _desk(path: str, patient_id: int, provider_id: int, rounds: list[tuple[int, str]], barrier, results) -> None:
    ctx = make_context(Path(path))
    actor = actor_for(ctx, "demo")
    for index, (referral_id, text) in enumerate(rounds):
        barrier.wait(timeout=30)
        try:
            result = booking.book(ctx, actor, patient_id, provider_id, "PROC", datetime.fromisoformat(text),
                                  referral_id=referral_id)
            results.put((index, provider_id, "ok", result.appointment_id))
        except UserError as exc:
            results.put((index, provider_id, "refused", str(exc)))
        except Exception as exc:  # pragma: no cover - reported to the test, which fails
            results.put((index, provider_id, "error", type(exc).__name__))
    ctx.db.dispose()


def test_two_desks_booking_the_last_authorised_visit_exactly_one_wins(ctx, desk_user, seeded_path):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, actor_for(ctx, "admin"))
    # Each round: a fresh one-visit authorisation and two slots at different providers (no slot
    # clash: only the count can refuse the second desk).
    referral_ids = [ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.PRIOR_AUTH, number=f"R{n}",
                                     type_codes=["PROC"], visits=1, status="approved",
                                     valid_to=FREE_DAY + timedelta(days=200)) for n in range(ROUNDS)]
    spread = timedelta(days=1)
    slots = {provider: proc_slots(ctx, desk_user, ROUNDS, provider_id=provider) for provider in (1, 2)}
    # The two providers' slots must never overlap for the patient: give desk 2 the next day's.
    slots[2] = proc_slots(ctx, desk_user, ROUNDS, provider_id=2, after=slots[1][-1].starts_at.date() + spread)
    assert len(slots[1]) == len(slots[2]) == ROUNDS
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results = spawn.Queue()
    desks = [spawn.Process(target=_desk, args=(
        str(seeded_path), pid, provider,
        [(rid, slot.starts_at.isoformat()) for rid, slot in zip(referral_ids, slots[provider], strict=True)],
        barrier, results)) for provider in (1, 2)]
    for desk in desks:
        desk.start()
    outcomes: dict[int, list[tuple]] = {}
    for _ in range(2 * ROUNDS):
        index, provider, kind, detail = results.get(timeout=90)
        outcomes.setdefault(index, []).append((provider, kind, detail))
    for desk in desks:
        desk.join(timeout=30)
        assert desk.exitcode == 0
    for index in range(ROUNDS):
        kinds = sorted(kind for _p, kind, _d in outcomes[index])
        assert kinds == ["ok", "refused"], (index, outcomes[index])
        refused = next(d for _p, k, d in outcomes[index] if k == "refused")
        assert f"authorisation R{index} has no visits left (1 approved | 0 left" in refused, refused
    rows = ref.referral_rows(ctx, desk_user, patient_id=pid)
    assert len(rows) == ROUNDS
    assert all((r.scheduled, r.remaining) == (1, 0) for r in rows)
