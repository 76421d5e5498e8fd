"""Group commit on the HL7 listener: the messages waiting together are applied in one write
transaction, one savepoint each. A refused message never takes the others down (its savepoint
alone is rolled back, it is answered AE and kept on the refused list); a copy inside the same
group is a duplicate; every ACK comes after the commit holding its message, in the order the
messages came on their connection."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from coordinator_tui.interop.hl7.mllp import Client, FrameReader, ack_code, frame
from coordinator_tui.services.audit_verify import verify_chain
from coordinator_tui.services.exchange.hl7_group import receive_group
from coordinator_tui.services.exchange.hl7_refused import refused_messages
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.hl7 import SENDER, adt, running_listener, siu, slot

SENDERS = frozenset({SENDER})


def count(path, sql, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchone()[0]


def patients_named(path, family):
    return count(path, "SELECT count(*) FROM patients WHERE family_name = ?", family)


def control_ids(answers):
    return [a.split("\r")[1].split("|")[2] for a in answers]  # MSA-2


def test_one_refused_message_never_takes_the_group_down(ctx, seeded_path):
    supervisor = actor_for(ctx, "super")
    group = [adt("A04", "G1", "E1", "Quispe", "Rosa"),
             adt("A04", "G2", "E2", "Badday", "Ann", dob="20991301"),  # impossible birth date
             adt("A04", "G3", "E3", "Vanterpool", "Tom"),
             adt("A04", "G1", "E1", "Quispe", "Rosa"),  # a copy inside the same group
             siu("S12", "G4", "V9", "E1", slot(9), provider="NOBODY"),
             b"not hl7 at all".decode()]
    answers = receive_group(ctx, supervisor, [m.encode() for m in group], SENDERS)
    assert [ack_code(a)[0] for a in answers] == ["AA", "AE", "AA", "AA", "AE", "AR"]
    assert control_ids(answers)[:5] == ["G1", "G2", "G3", "G1", "G4"]  # each ACK answers its own
    assert "Birth date" in ack_code(answers[1])[1]
    assert "'NOBODY'" in ack_code(answers[4])[1] and "not one of ours" in ack_code(answers[4])[1]
    assert [patients_named(seeded_path, n) for n in ("Quispe", "Vanterpool", "Badday")] == [1, 1, 0]
    assert count(seeded_path, "SELECT count(*) FROM interop_inbound") == 2  # G1 once, G3
    assert count(seeded_path, "SELECT count(*) FROM appointments WHERE reason = 'V9'") == 0
    listed = refused_messages(ctx, supervisor)
    assert sorted((r.direction, r.control_id, r.message_type) for r in listed) == [
        ("in", "G2", "ADT^A04"), ("in", "G4", "SIU^S12")]
    assert all(r.sender == f"{SENDER}^GHH" and r.code == "AE" for r in listed)
    with ctx.db.read() as session:  # the rolled-back savepoints left no break in the chain
        assert verify_chain(session) is None


@pytest.fixture
def listener(seeded_path):
    with running_listener(seeded_path, SENDER) as port:
        yield port


def test_pipelined_frames_are_answered_in_order_after_their_commit(listener, seeded_path):
    messages = [adt("A04", f"P{n}", f"E{n}", family, "Kim")
                for n, family in enumerate(("Abara", "Bexley", "Corrigan", "Dunmore", "Ellwood"))]
    messages.insert(2, adt("A04", "PX", "EX", "Badday", "Ann", dob="20991301"))
    with Client("127.0.0.1", listener, timeout=20) as client:
        client.sock.sendall(b"".join(frame(m) for m in messages))  # all at once, one write
        answers = [client.receive() for _ in messages]
    assert control_ids(answers) == ["P0", "P1", "PX", "P2", "P3", "P4"]
    assert [ack_code(a)[0] for a in answers] == ["AA", "AA", "AE", "AA", "AA", "AA"]
    assert count(seeded_path, "SELECT count(*) FROM interop_inbound") == 5
    assert count(seeded_path, "SELECT count(*) FROM interop_refused WHERE control_id = 'PX'") == 1


def test_every_aa_is_already_saved_when_it_arrives_from_several_senders(listener, seeded_path):
    seen_unsaved: list[str] = []
    codes: list[str] = []

    def sender(k: int) -> None:
        with Client("127.0.0.1", listener, timeout=30) as client, \
                sqlite3.connect(seeded_path) as reader:
            for n in range(8):
                control = f"C{k}-{n}"
                code, why = ack_code(client.send(adt("A04", control, control, f"Zed{'abcd'[k]}{'efghijkl'[n]}ova",
                                                   "Lee", dob=f"19{50 + k}0{1 + n}11")))
                codes.append(code if code == "AA" else f"{code} {why}")
                saved = reader.execute("SELECT count(*) FROM interop_inbound WHERE control_id = ?",
                                       (control,)).fetchone()[0]
                if code == "AA" and not saved:
                    seen_unsaved.append(control)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert codes == ["AA"] * 32 and seen_unsaved == []
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE given_name = 'Lee' "
                              "AND family_name LIKE 'Zed%'") == 32


def test_frame_reader_keeps_a_pipelined_burst_in_order():
    reader = FrameReader()
    burst = b"".join(frame(f"M{n}") for n in range(5))
    got = reader.feed(burst[:7]) + reader.feed(burst[7:])
    assert got == [("frame", f"M{n}".encode()) for n in range(5)]
