"""HL7 v2 messages applied with the desk's rules: one transaction each, ACKs, duplicates by
MSH-10, look-alikes held, merges through the desk's merge, and files whole or not at all."""

from __future__ import annotations

import sqlite3

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.mllp import ack_code
from coordinator_tui.services.exchange.hl7_receive import held_items, import_file, receive
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.hl7 import SENDER, adt, siu, slot

SENDERS = frozenset({SENDER})


@pytest.fixture
def interface(ctx):
    return actor_for(ctx, "super")  # the interface account: a supervisor, so A40 may merge


def send(ctx, actor, text: str) -> tuple[str, str]:
    return ack_code(receive(ctx, actor, text.encode("utf-8"), SENDERS))


def rows(path, sql: str, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def patient_by_name(path, family: str):
    return rows(path, "SELECT id, mrn, given_name, phone_mobile, merged_into_id FROM patients "
                      "WHERE family_name = ?", family)


def test_a04_registers_and_a_copy_is_acknowledged_but_not_applied_again(ctx, interface, seeded_path):
    message = adt("A04", "M1", "E100", "Quispe", "Rosa", phone="^PRN^CP^^^617^5550142")
    assert send(ctx, interface, message) == ("AA", "")
    assert send(ctx, interface, message)[0] == "AA"
    found = patient_by_name(seeded_path, "Quispe")
    assert len(found) == 1 and found[0][2] == "Rosa" and found[0][3] == "+16175550142"
    assert rows(seeded_path, "SELECT count(*) FROM interop_inbound WHERE control_id = 'M1'") == [(1,)]


def test_a08_updates_the_linked_patient(ctx, interface, seeded_path):
    send(ctx, interface, adt("A04", "M1", "E100", "Quispe", "Rosa"))
    assert send(ctx, interface, adt("A08", "M2", "E100", "Quispe", "Rosalind"))[0] == "AA"
    assert [r[2] for r in patient_by_name(seeded_path, "Quispe")] == ["Rosalind"]


def test_a_look_alike_is_held_for_a_person_never_merged_or_duplicated(ctx, interface, seeded_path):
    family, given, dob = rows(seeded_path, "SELECT family_name, given_name, birth_date FROM patients "
                                           "WHERE id = 7")[0]
    before = rows(seeded_path, "SELECT count(*) FROM patients")
    code, text = send(ctx, interface, adt("A04", "M9", "E900", family, given, dob.replace("-", "")))
    assert code == "AE" and "held" in text and "looks like existing patient" in text
    assert rows(seeded_path, "SELECT count(*) FROM patients") == before
    assert [h["reference"] for h in held_items(ctx, interface)] == ["M9"]
    assert send(ctx, interface, adt("A04", "M9", "E900", family, given, dob.replace("-", "")))[0] == "AE"
    assert len(held_items(ctx, interface)) == 1


def test_a_missing_birth_date_is_refused_with_the_reason(ctx, interface, seeded_path):
    code, text = send(ctx, interface, adt("A04", "M3", "E101", "Quispe", "Rosa", dob=""))
    assert code == "AE" and "Birth date" in text
    assert patient_by_name(seeded_path, "Quispe") == []


def test_a40_merges_through_the_desks_merge_leaving_a_tombstone(ctx, interface, seeded_path):
    send(ctx, interface, adt("A04", "M1", "E1", "Quispe", "Rosa", dob="19700101"))
    send(ctx, interface, adt("A04", "M2", "E2", "Okonkwo", "Rosa", dob="19910505"))
    assert send(ctx, interface, adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2"))[0] == "AA"
    survivor = patient_by_name(seeded_path, "Quispe")[0]
    assert patient_by_name(seeded_path, "Okonkwo")[0][4] == survivor[0]


def test_a40_needs_an_account_that_may_merge(ctx, seeded_path):
    desk = actor_for(ctx, "demo")
    send(ctx, desk, adt("A04", "M1", "E1", "Quispe", "Rosa", dob="19700101"))
    send(ctx, desk, adt("A04", "M2", "E2", "Okonkwo", "Rosa", dob="19910505"))
    code, text = send(ctx, desk, adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2"))
    assert code == "AE" and "may not merge" in text


def appointment(path, status_like="%"):
    return rows(path, "SELECT a.id, a.status, a.starts_at, a.rescheduled_from_id FROM appointments a "
                      "JOIN interop_links l ON l.local_id = a.id AND l.kind = 'appointment' "
                      "WHERE a.status LIKE ?", status_like)


def test_siu_books_moves_and_cancels_with_the_schedule_rules(ctx, interface, seeded_path):
    assert send(ctx, interface, siu("S12", "S1", "A1", "E5", slot(9)))[0] == "AA"
    assert len(patient_by_name(seeded_path, "Nakamura")) == 1  # registered for the booking
    (first, status, *_), = appointment(seeded_path)
    assert status == "scheduled"
    assert send(ctx, interface, siu("S13", "S2", "A1", "E5", slot(10)))[0] == "AA"
    moved = rows(seeded_path, "SELECT id, status, rescheduled_from_id FROM appointments WHERE id > ?"
                              " OR id = ? ORDER BY id", first, first)
    assert [(r[1], r[2]) for r in moved] == [("cancelled", None), ("scheduled", first)]
    assert send(ctx, interface, siu("S15", "S3", "A1", "E5", slot(10)))[0] == "AA"
    assert rows(seeded_path, "SELECT status FROM appointments WHERE id = ?", moved[1][0]) == [("cancelled",)]


def test_a_taken_slot_is_refused_ae_and_nothing_is_applied(ctx, interface, seeded_path):
    assert send(ctx, interface, siu("S12", "S1", "A1", "E5", slot(9)))[0] == "AA"
    before = rows(seeded_path, "SELECT count(*) FROM patients")
    code, text = send(ctx, interface, siu("S12", "S2", "A2", "E6", slot(9), family="Brennan"))
    assert code == "AE" and "already booked" in text
    assert rows(seeded_path, "SELECT count(*) FROM patients") == before  # no half-registration


def test_an_unknown_provider_or_type_is_named(ctx, interface):
    assert "provider 'DRWHO'" in send(ctx, interface, siu("S12", "S1", "A1", "E5", slot(9),
                                                          provider="DRWHO"))[1]
    assert "appointment type" in send(ctx, interface, siu("S12", "S2", "A1", "E5", slot(9),
                                                          kind="ZZZ"))[1]


def test_a_sender_not_configured_and_an_unreadable_message_get_ar(ctx, interface, seeded_path):
    assert send(ctx, interface, adt("A04", "M1", "E1", "Quispe", "Rosa", sender="ROGUE"))[0] == "AR"
    code, text = ack_code(receive(ctx, interface, b"PID|1||x\r", SENDERS))
    assert code == "AR" and "MSH" in text
    assert patient_by_name(seeded_path, "Quispe") == []


def test_a_file_is_applied_whole_or_not_at_all(ctx, interface, seeded_path, tmp_path):
    good = adt("A04", "F1", "E1", "Quispe", "Rosa") + siu("S12", "F2", "A1", "E1", slot(9),
                                                          family="Quispe", given="Rosa")
    clash = siu("S12", "F3", "A2", "E2", slot(9), family="Brennan", given="Tom")
    path = tmp_path / "feed.hl7"
    path.write_text(good + clash)
    with pytest.raises(UserError, match=r"message 3 \(SIU\^S12 F3\): .*already booked.*; nothing was applied"):
        import_file(ctx, interface, path)
    assert patient_by_name(seeded_path, "Quispe") == [] and appointment(seeded_path) == []
    path.write_text(good)
    dry = import_file(ctx, interface, path, dry_run=True)
    assert dry.applied == 2 and patient_by_name(seeded_path, "Quispe") == []
    assert import_file(ctx, interface, path).applied == 2
    assert len(appointment(seeded_path, "scheduled")) == 1
    again = import_file(ctx, interface, path)
    assert (again.applied, again.duplicates) == (0, 2)


def test_a_file_with_a_malformed_message_is_refused_naming_it(ctx, interface, seeded_path, tmp_path):
    path = tmp_path / "feed.hl7"
    broken = adt("A04", "F2", "E2", "Brennan", "Tom").replace("MSH|^~\\&|", "MSH|^~|", 1)
    path.write_text(adt("A04", "F1", "E1", "Quispe", "Rosa") + broken)
    with pytest.raises(UserError, match="message 2: MSH-1/MSH-2 encoding characters"):
        import_file(ctx, interface, path)
    assert patient_by_name(seeded_path, "Quispe") == []


def test_no_show_follows_the_desk_rule_on_time(ctx, interface, clock):
    assert send(ctx, interface, siu("S12", "S1", "A1", "E5", slot(9)))[0] == "AA"
    code, text = send(ctx, interface, siu("S26", "S2", "A1", "E5", slot(9)))
    assert code == "AE" and "before the appointment's time" in text
    clock.advance(seconds=(slot(9, 30) - clock.now()).total_seconds())
    assert send(ctx, interface, siu("S26", "S3", "A1", "E5", slot(9)))[0] == "AA"


def test_a_person_decides_a_held_look_alike(ctx, interface, seeded_path):
    from coordinator_tui.services.exchange.held import resolve_held

    family, given, dob, mrn = rows(seeded_path, "SELECT family_name, given_name, birth_date, mrn "
                                                "FROM patients WHERE id = 7")[0]
    twin = adt("A04", "M9", "E900", family, given, dob.replace("-", ""))
    send(ctx, interface, twin)
    second = adt("A04", "M10", "E901", family, given, dob.replace("-", ""))
    send(ctx, interface, second)
    first_id, second_id = (h["id"] for h in held_items(ctx, interface))
    with pytest.raises(UserError, match="may not|permission|not allowed"):
        resolve_held(ctx, actor_for(ctx, "demo"), first_id, register=True)
    assert resolve_held(ctx, interface, first_id, same_as_mrn=mrn) == mrn
    made = resolve_held(ctx, interface, second_id, register=True)
    assert made != mrn and held_items(ctx, interface) == []
    assert send(ctx, interface, twin) == ("AA", "decided by a person")  # a resend is not held again
    # Later messages about the first EHR id update the existing record, not a new one.
    assert send(ctx, interface, adt("A08", "M11", "E900", family, "Renamed", dob.replace("-", "")))[0] == "AA"
    assert rows(seeded_path, "SELECT given_name FROM patients WHERE id = 7") == [("Renamed",)]


def test_the_ack_echoes_the_control_id_and_puts_the_reason_in_msa_and_err(ctx, interface):
    answer = receive(ctx, interface, adt("A04", "M77", "E1", "Quispe", "Rosa", dob="").encode(), SENDERS)
    segments = {s[:3]: s.split("|") for s in answer.split("\r") if s}
    assert segments["MSH"][8] == "ACK" and segments["MSH"][4] == SENDER
    assert segments["MSA"][1:3] == ["AE", "M77"] and "Birth date" in segments["MSA"][3]
    assert segments["ERR"][3].startswith("207") and "Birth date" in segments["ERR"][8]
    accepted = receive(ctx, interface, adt("A04", "M78", "E1", "Quispe", "Rosa").encode(), SENDERS)
    assert "ERR|" not in accepted and "MSA|AA|M78" in accepted


def test_a_held_booking_is_booked_once_its_patient_is_decided(ctx, interface, seeded_path):
    from coordinator_tui.services.exchange.held import resolve_held

    family, given, dob, mrn = rows(seeded_path, "SELECT family_name, given_name, birth_date, mrn "
                                                "FROM patients WHERE id = 7")[0]
    booking = siu("S12", "S9", "A9", "E900", slot(9), family=family, given=given)
    booking = booking.replace("|19800214|F", f"|{dob.replace('-', '')}|F")
    code, text = send(ctx, interface, booking)
    assert code == "AE" and "held" in text and appointment(seeded_path) == []
    (item,) = held_items(ctx, interface)
    assert resolve_held(ctx, interface, item["id"], same_as_mrn=mrn) == mrn
    assert rows(seeded_path, "SELECT a.patient_id, a.status FROM appointments a JOIN interop_links l "
                             "ON l.local_id = a.id AND l.kind = 'appointment'") == [(7, "scheduled")]


def test_an_ehr_booking_is_counted_on_its_authorisation_or_refused_as_the_desk_refuses_it(
        ctx, interface, seeded_path):
    from coordinator_tui.services import referrals as ref

    ref.set_auth_requirement(ctx, actor_for(ctx, "admin"), "PROC")
    code, text = send(ctx, interface, siu("S12", "P1", "A1", "E5", slot(9), kind="PROC"))
    assert code == "AE" and "PROC visits need a prior authorisation" in text
    assert appointment(seeded_path) == []
    assert send(ctx, interface, adt("A04", "P2", "E5", "Nakamura", "Aiko"))[0] == "AA"
    (pid, *_), = patient_by_name(seeded_path, "Nakamura")
    rid = ref.add_referral(ctx, interface, pid, kind="prior_authorisation", number="EHR-1",
                           type_codes=["PROC"], visits=1, status="approved")
    assert send(ctx, interface, siu("S12", "P3", "A1", "E5", slot(9), kind="PROC"))[0] == "AA"
    assert send(ctx, interface, siu("S13", "P4", "A1", "E5", slot(10), kind="PROC"))[0] == "AA"  # a move keeps it
    (row,) = ref.referral_rows(ctx, interface, patient_id=pid)
    assert (row.id, row.scheduled, row.remaining) == (rid, 1, 0)
    code, text = send(ctx, interface, siu("S12", "P5", "A2", "E5", slot(9, days=1), kind="PROC"))
    assert code == "AE" and "authorisation EHR-1 has no visits left" in text
