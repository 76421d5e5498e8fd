"""The outbox: the desk's changes become HL7 messages in the same transaction (none for a
change that rolled back, none echoed back for what came in), delivered in order by the sender
until ACKed; an AE goes to the supervisors' list and is not retried."""

from __future__ import annotations

import sqlite3

import pytest

from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import read_message
from coordinator_tui.services import callbacks, checkin, patients
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.exchange.hl7_receive import receive
from coordinator_tui.services.exchange.hl7_refused import refused_messages
from coordinator_tui.services.exchange.outbox import control_id, set_outbox, waiting
from coordinator_tui.services.exchange.sender import run_sender
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.checkin import waiting_rows
from tests.helpers.hl7 import SENDER, Peer, adt, slot

QUICK = {"given_name": "Ilse", "family_name": "Vantongeren", "birth_date": "3/4/1977", "sex": "F"}


def events(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT event FROM interop_outbox ORDER BY id")]


@pytest.fixture
def desk(ctx):
    return actor_for(ctx, "demo")


@pytest.fixture
def outbox_on(ctx):
    set_outbox(ctx, actor_for(ctx, "admin"), True)


def test_nothing_is_queued_until_the_clinic_turns_the_outbox_on(ctx, desk, seeded_path):
    patients.register_patient(ctx, desk, QUICK)
    assert events(seeded_path) == []
    with pytest.raises(UserError, match="only an admin"):
        set_outbox(ctx, desk, True)


def test_each_desk_change_queues_its_message(ctx, desk, seeded_path, outbox_on):
    made = patients.register_patient(ctx, desk, QUICK)
    record = patients.get_record(ctx, desk, made.patient_id)
    patients.update_patient(ctx, desk, made.patient_id, {"email": "ilse@example.org"}, record.version)
    first = booking.book(ctx, desk, made.patient_id, 1, "FU", slot(9))
    moved = booking.reschedule(ctx, desk, first.appointment_id, slot(10), reason="work")
    booking.cancel(ctx, desk, moved.appointment_id, reason="ill", by=CancelledBy.PATIENT)
    row = waiting_rows(ctx, desk)[0]
    checkin.check_in(ctx, desk, row.id, row.version, exception_reason="in a hurry")
    patients.merge_patients(ctx, actor_for(ctx, "super"), made.patient_id, 6, "same person")
    assert events(seeded_path) == ["ADT^A28", "ADT^A31", "SIU^S12", "SIU^S13", "SIU^S15",
                                   "ADT^A04", "ADT^A40"]
    for number, item in enumerate(waiting(ctx), start=1):  # each one reads back as what it is
        message = read_message(number, item.text.encode())
        assert (message.message_type, message.control_id) == (item.event, control_id(item.id))
    merge = waiting(ctx)[-1]
    assert f"MRG|{patients.get_record(ctx, desk, 6).mrn}" not in merge.text  # survivor in PID
    assert "MRG|" in merge.text


def test_a_no_show_queues_s26(ctx, desk, seeded_path, outbox_on):
    row = next(r for r in waiting_rows(ctx, desk) if r.starts_at <= ctx.now())
    booking.no_show(ctx, desk, row.id)
    assert events(seeded_path) == ["SIU^S26"]


def test_a_change_that_rolls_back_queues_nothing(ctx, desk, seeded_path, outbox_on):
    other = booking.book(ctx, desk, 41, 1, "FU", slot(9))
    before = events(seeded_path)
    item = next(i for i in callbacks.list_queue(ctx, desk) if i.patient_id != 42)
    with pytest.raises(UserError, match="another patient"):
        booking.book(ctx, desk, 42, 1, "FU", slot(10), close_callback_id=item.id)
    assert events(seeded_path) == before == ["SIU^S12"]
    assert other.appointment_id


def test_what_came_from_the_ehr_is_not_echoed_back(ctx, seeded_path, outbox_on):
    receive(ctx, actor_for(ctx, "super"), adt("A04", "M1", "E1", "Quispe", "Rosa").encode(),
            frozenset({SENDER}))
    assert events(seeded_path) == []


def test_the_sender_delivers_in_order_and_lists_a_refusal_for_supervisors(ctx, desk, seeded_path,
                                                                         outbox_on):
    for family, given in (("Abara", "Kofi"), ("Brzezinski", "Ola"), ("Cavendish", "Tam"),
                          ("Dimitriou", "Eleni")):
        patients.register_patient(ctx, desk, {**QUICK, "given_name": given, "family_name": family})
    ids = [w.control_id for w in waiting(ctx)]
    peer = Peer(refuse={ids[1]})
    try:
        stats = run_sender(ctx, "127.0.0.1", peer.port, once=True)
    finally:
        peer.close()
    assert peer.received == ids
    assert (stats.sent, stats.refused) == (3, 1)
    assert waiting(ctx) == []
    listed = refused_messages(ctx, actor_for(ctx, "super"))
    assert [(r.direction, r.control_id, r.code, r.reason) for r in listed] == \
        [("out", ids[1], "AE", "no such patient")]
    with pytest.raises(UserError, match="supervisors"):
        refused_messages(ctx, desk)


def test_the_sender_backs_off_while_the_receiver_is_away(ctx, desk, outbox_on):
    patients.register_patient(ctx, desk, QUICK)
    peer = Peer()
    port = peer.port
    peer.close()  # nobody listening on that port now
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sender(ctx, "127.0.0.1", port, sleep=sleep, timeout=2)
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert len(waiting(ctx)) == 1  # still there, to be sent when the receiver is back


def test_a_walk_in_is_booked_and_arrived_at_once(ctx, desk, seeded_path, outbox_on, clinic_open):
    checkin.walk_in(ctx, desk, 40, 1)
    assert events(seeded_path) == ["SIU^S12", "ADT^A04"]
