"""The refused HL7 messages, both ways, for a supervisor: the EHR's messages we refused are kept
with their reason and can be re-tried once the cause is fixed (applied whole, or refused again
with nothing changed); ours the EHR refused go back in the outbox and are delivered again."""

from __future__ import annotations

import sqlite3

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import read_message
from coordinator_tui.services.exchange import outbox
from coordinator_tui.services.exchange.hl7_receive import apply_one
from coordinator_tui.services.exchange.hl7_refused import refused_messages, retry_refused
from coordinator_tui.services.exchange.sender import run_sender
from coordinator_tui.services.patients import register_patient
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.hl7 import Peer, adt, siu, slot


def message(text):
    return read_message(1, text.encode())


def count(path, sql, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchone()[0]


@pytest.fixture
def people(ctx):
    return actor_for(ctx, "demo"), actor_for(ctx, "super")


def two_records_and_a_refused_merge(ctx, desk, supervisor):
    apply_one(ctx, supervisor, message(adt("A04", "M1", "E1", "Quispe", "Rosa", dob="19700101")))
    apply_one(ctx, supervisor, message(adt("A04", "M2", "E2", "Quispe", "Rosalind", dob="19710202")))
    outcome = apply_one(ctx, desk, message(adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2")))
    assert outcome.code == "AE" and "may not merge patients" in outcome.text


def test_a_refused_message_is_listed_and_applied_when_retried_after_the_fix(ctx, people, seeded_path):
    desk, supervisor = people
    two_records_and_a_refused_merge(ctx, desk, supervisor)
    [row] = refused_messages(ctx, supervisor)
    assert (row.direction, row.sender, row.control_id, row.message_type, row.code) == \
        ("in", "EPICADT^GHH", "M3", "ADT^A40", "AE")
    assert "may not merge patients" in row.reason and "Quispe" not in row.reason
    with pytest.raises(UserError, match="for supervisors"):
        refused_messages(ctx, desk)
    with pytest.raises(UserError, match="for supervisors"):
        retry_refused(ctx, desk, row.key)
    # the cause: the interface account's role; a supervisor re-tries it
    assert retry_refused(ctx, supervisor, row.key) == "ADT^A40 M3: applied"
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE given_name = 'Rosalind' "
                              "AND merged_into_id IS NOT NULL") == 1
    assert refused_messages(ctx, supervisor) == []
    with pytest.raises(UserError, match="no longer refused"):
        retry_refused(ctx, supervisor, row.key)
    assert count(seeded_path, "SELECT count(*) FROM audit_events WHERE action = 'interop.retry'") == 1


def test_a_retry_refused_again_changes_nothing_and_says_why(ctx, people, seeded_path):
    _desk, supervisor = people
    outcome = apply_one(ctx, supervisor, message(siu("S12", "S1", "V1", "E7", slot(9), provider="NOBODY")))
    assert outcome.code == "AE"
    [row] = refused_messages(ctx, supervisor)
    before = count(seeded_path, "SELECT count(*) FROM patients")
    with pytest.raises(UserError, match="still refused: .*'NOBODY'.*nothing was applied"):
        retry_refused(ctx, supervisor, row.key)
    assert count(seeded_path, "SELECT count(*) FROM patients") == before
    assert [r.key for r in refused_messages(ctx, supervisor)] == [row.key]
    with pytest.raises(UserError, match="choose a message"):
        retry_refused(ctx, supervisor, "in:x")


def test_a_copy_the_ehr_sends_again_and_we_apply_leaves_the_list(ctx, people):
    desk, supervisor = people
    two_records_and_a_refused_merge(ctx, desk, supervisor)
    again = apply_one(ctx, supervisor, message(adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2")))
    assert again.code == "AA"
    assert refused_messages(ctx, supervisor) == []


def test_one_of_ours_the_ehr_refused_is_sent_again_after_a_retry(ctx, people):
    desk, supervisor = people
    outbox.set_outbox(ctx, actor_for(ctx, "admin"), True)
    register_patient(ctx, desk, {"given_name": "Ilse", "family_name": "Vantongeren",
                                 "birth_date": "3/4/1977", "sex": "F"})
    queued = outbox.waiting(ctx)[0]
    peer = Peer(refuse={queued.control_id})
    try:
        run_sender(ctx, "127.0.0.1", peer.port, once=True, sleep=lambda _s: None)
        [row] = refused_messages(ctx, supervisor)
        assert (row.direction, row.control_id, row.message_type, row.reason) == \
            ("out", queued.control_id, "ADT^A28", "no such patient")
        peer.refuse.clear()  # the EHR fixed its side
        assert retry_refused(ctx, supervisor, row.key) == "queued again: the sender delivers it next"
        assert refused_messages(ctx, supervisor) == []
        stats = run_sender(ctx, "127.0.0.1", peer.port, once=True, sleep=lambda _s: None)
        assert stats.sent == 1 and peer.received == [queued.control_id, queued.control_id]
    finally:
        peer.close()


def test_the_command_lists_both_ways_and_retries_by_key(ctx, people, seeded_path):
    from tests.helpers.cli import one_line_error, run

    desk, supervisor = people
    two_records_and_a_refused_merge(ctx, desk, supervisor)
    listed = run("hl7", "refused", "--db", str(seeded_path), "--user", "super")
    assert listed.returncode == 0 and listed.stderr.strip() == "1 refused"
    key, direction, sender, control, kind, _at, code, reason = listed.stdout.strip().split("\t")
    assert (direction, sender, control, kind, code) == ("in", "EPICADT^GHH", "M3", "ADT^A40", "AE")
    assert "may not merge" in reason
    assert one_line_error(run("hl7", "refused", "--retry", "out:999", "--db", str(seeded_path),
                              "--user", "super")).startswith("coordinator: that message is no longer refused")
    done = run("hl7", "refused", "--retry", key, "--db", str(seeded_path), "--user", "super")
    assert done.returncode == 0 and done.stdout.strip() == "ADT^A40 M3: applied"
