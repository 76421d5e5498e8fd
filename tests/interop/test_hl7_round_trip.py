"""What one clinic's desk sends, another clinic's listener applies: our outbound ADT/SIU read
back by our own inbound rules (the same providers by NPI, the same visit through a move)."""

from __future__ import annotations

import shutil
import sqlite3

from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.interop.hl7.mllp import ack_code
from coordinator_tui.services import patients
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.exchange.hl7_receive import receive
from coordinator_tui.services.exchange.outbox import set_outbox, waiting
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import make_context
from tests.helpers.hl7 import slot


def test_a_peer_clinic_applies_what_this_one_sends(ctx, seeded_template, tmp_path, clock):
    peer_path = tmp_path / "peer.sqlite"
    shutil.copyfile(seeded_template, peer_path)
    peer = make_context(peer_path, clock)
    try:
        set_outbox(ctx, actor_for(ctx, "admin"), True)
        desk = actor_for(ctx, "demo")
        made = patients.register_patient(ctx, desk, {"given_name": "Ilse", "family_name": "Vantongeren",
                                                     "birth_date": "3/4/1977", "sex": "F"})
        first = booking.book(ctx, desk, made.patient_id, 1, "FU", slot(9))
        moved = booking.reschedule(ctx, desk, first.appointment_id, slot(10), reason="work")
        booking.cancel(ctx, desk, moved.appointment_id, reason="ill", by=CancelledBy.PATIENT)
        interface = actor_for(peer, "super")
        answers = [ack_code(receive(peer, interface, item.text.encode(), frozenset({"COORDINATOR"})))
                   for item in waiting(ctx)]
        assert [code for code, _ in answers] == ["AA"] * 4, answers
    finally:
        peer.db.dispose()
    with sqlite3.connect(peer_path) as conn:
        (pid,), = conn.execute("SELECT id FROM patients WHERE family_name = 'Vantongeren'").fetchall()
        visits = conn.execute("SELECT provider_id, status, rescheduled_from_id IS NOT NULL FROM "
                              "appointments WHERE patient_id = ? ORDER BY id", (pid,)).fetchall()
    assert visits == [(1, "cancelled", 0), (1, "cancelled", 1)]
