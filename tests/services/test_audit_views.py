"""Who looked at this patient: supervisors only, when/who/what, emergency access marked."""

from __future__ import annotations

import pytest

from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.patients.editing import update_patient
from coordinator_tui.services.patients.records import get_record
from coordinator_tui.services.staff import accounts, audit_trail
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.audit_views import describe, patient_access


def test_who_looked_lists_views_changes_and_break_glass(ctx, desk_user):
    sup = actor_for(ctx, "super")
    record = get_record(ctx, desk_user, 5)
    update_patient(ctx, desk_user, 5, {"email": "new.address@example.org"}, record.version)
    accounts.enable_break_glass(ctx, sup, 30)
    glass = accounts.authenticate(ctx, "demo", "demo", break_glass_reason="ambulance needs chart")
    get_record(ctx, glass, 5)
    lines = patient_access(ctx, sup, 5)
    assert lines[0].what == "BREAK-GLASS viewed the record" and lines[0].break_glass
    assert lines[1].what == "changed email" and lines[1].username == "demo"
    assert lines[2].what == "viewed the record"
    assert all("new.address" not in line.what for line in lines)
    # Reading the list is itself recorded, and shows next time.
    assert patient_access(ctx, sup, 5)[0].what == "read who looked at this record"
    other = patient_access(ctx, sup, 6)
    assert all(line.what != "changed email" for line in other)


def test_who_looked_needs_a_supervisor_and_a_real_patient(ctx, desk_user):
    with pytest.raises(PermissionDenied, match="supervisor"):
        patient_access(ctx, desk_user, 5)
    sup = actor_for(ctx, "super")
    for bad in (10**9, "5", True):
        with pytest.raises(UserError):
            patient_access(ctx, sup, bad)


def test_describe_exports_and_odd_details():
    assert describe("schedule.export", None) == ("exported (schedule)", False)
    assert describe("patient.view", "not json") == ("viewed the record", False)
    assert describe("patient.view", "[1, 2]") == ("viewed the record", False)
    assert describe("break_glass", '{"reason": "x"}')[1] is True


def test_what_is_said_in_words_never_internal_codes():
    """Issue 13: users saw internal codes (`id_card`, `birth_date`) on screens."""
    changed = describe("patient.update", '{"changed": {"birth_date": 1, "phone_mobile": 1, "family_name": 1}}')
    assert changed == ("changed birth date, last name, mobile phone", False)
    for action in ("appointment.walk_in", "appointment.status_undo", "callback.attempt", "checkin.seen",
                   "payment.take", "waitlist.add", "some_new.thing_here"):
        what, _glass = describe(action, None)
        assert "_" not in what and "." not in what, what


def test_a_view_that_joined_the_chain_late_is_listed_when_it_happened(ctx, desk_user, clock):
    """A view's event joins the chain at the next write (the view journal), so a change whose
    time was taken before that write waited for the lock gets the later id. Supervisors read
    "who looked" and `audit show` by when things happened."""
    sup = actor_for(ctx, "super")
    changed_at = ctx.now()
    clock.advance(seconds=5)
    get_record(ctx, desk_user, 5)  # viewed at +5 s, waiting in the journal
    with ctx.db.write() as session:  # a change timed at +0 s, in the lock after the view
        audit.record(session, desk_user, "patient.update", changed_at, patient_id=5,
                     entity="patient", entity_id=5, detail={"changed": {"email": 1}})
    newest_first = [line.what for line in patient_access(ctx, sup, 5)]
    assert newest_first[:2] == ["viewed the record", "changed email"]
    oldest_first = [line.action for line in audit_trail.show(ctx, sup, since=changed_at)]
    assert oldest_first[:2] == ["patient.update", "patient.view"]
