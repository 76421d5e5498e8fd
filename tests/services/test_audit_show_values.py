"""`audit show` lists field names and MRNs, never values (issue #22, point 5): a patient's old
and new name, birth date and phone stay in the database, not on a screen or in a pasted log."""

from __future__ import annotations

from coordinator_tui.services import patients
from coordinator_tui.services.staff import audit_trail
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.audit_detail import describe


def test_show_names_the_fields_changed_and_never_their_values(ctx, desk_user):
    record = patients.get_record(ctx, desk_user, 5)
    old = (record.given_name, record.family_name, record.birth_date.isoformat())
    patients.update_patient(ctx, desk_user, record.id, {
        "given_name": "Zebulon", "family_name": "Quixwell", "birth_date": "3/4/1971",
        "phone_mobile": "(617) 555-0142"}, record.version)
    lines = audit_trail.show(ctx, actor_for(ctx, "super"), mrn=record.mrn)
    update = next(line for line in lines if line.action == "patient.update")
    assert update.mrn == record.mrn
    for field in ("given_name", "family_name", "birth_date", "phone_mobile"):
        assert field in update.detail
    printed = " ".join(f"{line.detail} {line.mrn}" for line in lines)
    for value in (*old, "Zebulon", "Quixwell", "1971-03-04", "6175550142", "555-0142"):
        assert value not in printed


def test_free_text_and_typed_names_are_left_out_codes_and_mrns_kept():
    shown = describe('{"from": "scheduled", "to": "cancelled", "reason": "Mrs Lee died, said her son",'
                     ' "dismissed_duplicates": ["M0000012"], "username": "hunter2-typed-as-name"}')
    assert "from=scheduled" in shown and "to=cancelled" in shown and "M0000012" in shown
    assert "reason" in shown and "Lee" not in shown
    assert "username" in shown and "hunter2" not in shown
    assert describe(None) == "" and describe("not json") == "(detail not readable)"
