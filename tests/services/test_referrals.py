"""Referrals and prior authorisations: counted inside the booking transaction, refused with the
reason, overridden only by a supervisor (reason kept), visits given back by the payer's rule, a
move keeps its authorisation, and bad input saves nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.domain.referrals import ReferralKind
from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import patients
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import AuditEvent, ReferralVisit
from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.referrals import insured_patients, needs_auth, payer_of, proc_slots, saved_rows

AUTH = ReferralKind.PRIOR_AUTH


@pytest.fixture
def admin(ctx):
    return actor_for(ctx, "admin")


@pytest.fixture
def supervisor(ctx):
    return actor_for(ctx, "super")


def _auth(ctx, actor, pid, visits=2, **kw):
    values = {"number": "PA-1", "type_codes": ["PROC"], "visits": visits,
              "valid_to": FREE_DAY + timedelta(days=60), "status": "approved", **kw}
    return ref.add_referral(ctx, actor, pid, kind=AUTH, **values)


def _row(ctx, actor, pid, rid):
    return next(r for r in ref.referral_rows(ctx, actor, patient_id=pid) if r.id == rid)


def test_booking_a_type_that_needs_authorisation_counts_and_refuses_beyond_the_last_visit(
        ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    slots = proc_slots(ctx, desk_user, 3)
    with pytest.raises(UserError, match="PROC visits need a prior authorisation.*none is on file"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slots[0].starts_at)
    rid = _auth(ctx, desk_user, pid, visits=2)
    first = booking.book(ctx, desk_user, pid, 1, "PROC", slots[0].starts_at)
    assert first.authorisation == f"authorisation PA-1: 2 approved | 1 left, ends {_ends(FREE_DAY)}"
    booking.book(ctx, desk_user, pid, 1, "PROC", slots[1].starts_at)
    with pytest.raises(UserError, match=r"authorisation PA-1 has no visits left \(2 approved \| 0 left"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slots[2].starts_at)
    row = _row(ctx, desk_user, pid, rid)
    assert (row.authorised, row.used, row.scheduled, row.remaining, row.status) == (2, 0, 2, 0, "active")
    # Another type that needs none books as before, on no authorisation.
    fu = proc_slots(ctx, desk_user, 1, type_code="FU", after=FREE_DAY + timedelta(days=1))[0]
    assert booking.book(ctx, desk_user, pid, 1, "FU", fu.starts_at).authorisation is None


def _ends(day):
    end = day + timedelta(days=60)
    return f"{end.day} {end:%b}"


def test_outside_the_window_and_not_approved_are_refused_with_the_reason(ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    slot = proc_slots(ctx, desk_user, 1)[0]
    rid = _auth(ctx, desk_user, pid, valid_to=FREE_DAY - timedelta(days=1))
    with pytest.raises(UserError, match=f"is valid .* to {FREE_DAY - timedelta(days=1)}; the visit is on {FREE_DAY}"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at)
    ref.update_referral(ctx, desk_user, rid, auth_valid_to=FREE_DAY, status="pending")
    with pytest.raises(UserError, match="authorisation PA-1 is pending"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at)
    ref.update_referral(ctx, desk_user, rid, status="approved")
    assert booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at).appointment_id


def test_only_a_supervisor_overrides_and_the_reason_is_kept(ctx, desk_user, admin, supervisor):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    slot = proc_slots(ctx, desk_user, 1)[0]
    before = saved_rows(ctx)
    with pytest.raises(PermissionDenied, match="ask a supervisor"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at, auth_override="urgent")
    assert saved_rows(ctx) == before
    result = booking.book(ctx, supervisor, pid, 1, "PROC", slot.starts_at, auth_override="surgeon: urgent")
    assert "override (surgeon: urgent)" in result.authorisation
    with ctx.db.read() as session:
        link = session.get(ReferralVisit, result.appointment_id)
        assert (link.referral_id, link.override_reason) == (None, "surgeon: urgent")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.override")).one()
        assert "surgeon: urgent" in event.detail and event.user_id == supervisor.id


def test_cancelling_gives_the_visit_back_and_a_no_show_uses_it_unless_the_payer_says_otherwise(
        ctx, desk_user, admin, clock):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    slots = proc_slots(ctx, desk_user, 3)
    rid = _auth(ctx, desk_user, pid, visits=1)
    first = booking.book(ctx, desk_user, pid, 1, "PROC", slots[0].starts_at)
    booking.cancel(ctx, desk_user, first.appointment_id, reason="ill", by=CancelledBy.PATIENT)
    assert _row(ctx, desk_user, pid, rid).remaining == 1  # default rule: a cancellation gives back
    second = booking.book(ctx, desk_user, pid, 1, "PROC", slots[1].starts_at)
    ref.set_payer_rule(ctx, admin, payer_of(ctx, pid), cancelled_uses=True, no_show_uses=True)
    booking.cancel(ctx, desk_user, second.appointment_id, reason="ill", by=CancelledBy.PATIENT)
    assert _row(ctx, desk_user, pid, rid).used == 2  # this payer counts both cancellations
    with pytest.raises(UserError, match="authorisation PA-1 is exhausted"):
        booking.book(ctx, desk_user, pid, 1, "PROC", slots[2].starts_at)
    ref.set_payer_rule(ctx, admin, payer_of(ctx, pid), cancelled_uses=False, no_show_uses=True)
    third = booking.book(ctx, desk_user, pid, 1, "PROC", slots[2].starts_at)
    clock.advance(seconds=(third.ends_at - clock.now()).total_seconds() + 60)
    booking.no_show(ctx, desk_user, third.appointment_id)
    row = _row(ctx, desk_user, pid, rid)
    assert (row.used, row.scheduled, row.remaining, row.status) == (1, 0, 0, "exhausted")
    ref.set_payer_rule(ctx, admin, payer_of(ctx, pid), cancelled_uses=False, no_show_uses=False)
    assert _row(ctx, desk_user, pid, rid).remaining == 1


def test_a_move_keeps_its_authorisation_and_counts_once(ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    slots = proc_slots(ctx, desk_user, 2)
    rid = _auth(ctx, desk_user, pid, visits=1)
    first = booking.book(ctx, desk_user, pid, 1, "PROC", slots[0].starts_at)
    moved = booking.reschedule(ctx, desk_user, first.appointment_id, slots[1].starts_at, reason="work")
    assert moved.authorisation.startswith("authorisation PA-1: 1 approved | 0 left")
    row = _row(ctx, desk_user, pid, rid)
    assert (row.scheduled, row.remaining) == (1, 0)
    detail = ref.referral_detail(ctx, desk_user, rid)
    assert [(v.appointment_id, v.moved) for v in detail.visits] == [(first.appointment_id, True),
                                                                    (moved.appointment_id, False)]
    # The booking's audit row, and the move's, name the authorisation the visit was counted on.
    with ctx.db.read() as session:
        rows = {e.action: json.loads(e.detail) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id.in_([first.appointment_id, moved.appointment_id]),
                                     AuditEvent.action.in_(["appointment.book", "appointment.reschedule"])))}
    assert rows["appointment.book"]["referral_id"] == rid == rows["appointment.reschedule"]["referral_id"]


def test_history_records_who_changed_what_and_documents(ctx, desk_user):
    pid = insured_patients(ctx, 1)[0]
    rid = ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.INCOMING, party="Dr Osei",
                           specialty="Cardiology", type_codes=["NEW"])
    ref.update_referral(ctx, desk_user, rid, status="approved", auth_visits=3)
    ref.add_document(ctx, desk_user, rid, "referral letter", CLINIC_DAY - timedelta(days=1))
    detail = ref.referral_detail(ctx, desk_user, rid)
    assert [(h.by, h.field, h.from_value, h.to_value) for h in detail.history] == [
        ("demo", "status", None, "requested"), ("demo", "status", "requested", "approved"),
        ("demo", "auth_visits", None, "3"),
        ("demo", "document", None, f"referral letter ({CLINIC_DAY - timedelta(days=1)})")]
    assert detail.documents == (("referral letter", CLINIC_DAY - timedelta(days=1)),)
    # Booking the type it names links it on its own, and it turns active.
    slot = proc_slots(ctx, desk_user, 1, type_code="NEW")[0]
    result = booking.book(ctx, desk_user, pid, 1, "NEW", slot.starts_at)
    assert result.authorisation.startswith("referral #")
    assert _row(ctx, desk_user, pid, rid).status == "active"


def test_the_patient_record_lists_them_with_what_is_left(ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    needs_auth(ctx, admin)
    _auth(ctx, desk_user, pid, visits=4)
    booking.book(ctx, desk_user, pid, 1, "PROC", proc_slots(ctx, desk_user, 1)[0].starts_at)
    record = patients.get_record(ctx, desk_user, pid)
    assert record.referrals[0].summary == f"4 approved | 3 left, ends {_ends(FREE_DAY)}"


@pytest.mark.parametrize("kwargs, message", [
    ({"valid_from": FREE_DAY, "valid_to": FREE_DAY - timedelta(days=1)}, "is before the start date"),
    ({"visits": -1}, "cannot be negative"),
    ({"visits": "four"}, "whole number"),
    ({"received_on": CLINIC_DAY + timedelta(days=1)}, "in the future"),
    ({"number": "A\x1b[2J"}, "control characters"),
    ({"type_codes": ["NOPE"]}, "no appointment type"),
    ({"status": "maybe"}, "unknown status"),
])
def test_bad_input_saves_nothing(ctx, desk_user, kwargs, message):
    pid = insured_patients(ctx, 1)[0]
    before = saved_rows(ctx)
    with pytest.raises(UserError, match=message):
        ref.add_referral(ctx, desk_user, pid, kind=AUTH, **kwargs)
    assert saved_rows(ctx) == before


def test_merged_unknown_patients_and_a_number_taken_by_another_patient_are_refused(ctx, desk_user, supervisor):
    insured = insured_patients(ctx, 60)
    first = insured[0]
    second = next(p for p in insured[1:] if payer_of(ctx, p) == payer_of(ctx, first))
    elsewhere = next(p for p in insured[1:] if payer_of(ctx, p) != payer_of(ctx, first))
    ref.add_referral(ctx, desk_user, first, kind=AUTH, number="N-77")
    ref.add_referral(ctx, desk_user, first, kind=AUTH, number="N-77")  # the same patient may reuse it
    ref.add_referral(ctx, desk_user, elsewhere, kind=AUTH, number="N-77")  # another payer's numbering
    before = saved_rows(ctx)
    with pytest.raises(UserError, match="N-77 is already used .* another patient with the same payer"):
        ref.add_referral(ctx, desk_user, second, kind=AUTH, number="N-77")
    with pytest.raises(UserError, match="n-77 is already used"):  # typed in another case
        ref.add_referral(ctx, desk_user, second, kind=AUTH, number="n-77")
    assert saved_rows(ctx) == before
    own = ref.add_referral(ctx, desk_user, second, kind=AUTH, number="N-80")
    with pytest.raises(UserError, match="N-77 is already used"):  # a change to a taken number as well
        ref.update_referral(ctx, desk_user, own, auth_number="N-77")
    before = saved_rows(ctx)
    with pytest.raises(UserError, match="patient 999999 does not exist"):
        ref.add_referral(ctx, desk_user, 999999, kind=AUTH)
    patients.merge_patients(ctx, supervisor, first, second, "same person")
    with pytest.raises(UserError, match="was merged into"):
        ref.add_referral(ctx, desk_user, second, kind=AUTH)
    rid = ref.add_referral(ctx, desk_user, first, kind=AUTH, number="N-78")
    with pytest.raises(UserError, match="in the future"):
        ref.add_document(ctx, desk_user, rid, "approval letter", CLINIC_DAY + timedelta(days=2))
    assert saved_rows(ctx)[0] == before[0] + 1 and saved_rows(ctx)[2] == before[2]


def test_a_rule_for_one_payer_leaves_other_payers_alone_and_walk_ins_are_checked_too(
        ctx, desk_user, admin, clinic_open):
    from coordinator_tui.services import checkin

    first = insured_patients(ctx, 1)[0]
    others = [p for p in insured_patients(ctx, 40) if payer_of(ctx, p) != payer_of(ctx, first)]
    other = others[0]
    ref.set_auth_requirement(ctx, admin, "PROC", payer_of(ctx, first))
    slots = proc_slots(ctx, desk_user, 2)
    with pytest.raises(UserError, match="need a prior authorisation"):
        booking.book(ctx, desk_user, first, 1, "PROC", slots[0].starts_at)
    assert booking.book(ctx, desk_user, other, 1, "PROC", slots[1].starts_at).appointment_id
    ref.set_auth_requirement(ctx, admin, "WALK")
    from coordinator_tui.services.checkin.walk_ins import todays_appointment

    walker = next(p for p in insured_patients(ctx, 60) if todays_appointment(ctx, desk_user, p) is None)
    before = saved_rows(ctx)
    with pytest.raises(UserError, match="WALK visits need a prior authorisation"):
        checkin.walk_in(ctx, desk_user, walker, 1)
    assert saved_rows(ctx) == before


@pytest.mark.parametrize("statement", ["UPDATE referral_events SET to_value = 'approved'",
                                       "DELETE FROM referral_events"])
def test_the_history_is_append_only_for_any_client(ctx, desk_user, statement):
    from sqlalchemy.exc import DatabaseError

    pid = insured_patients(ctx, 1)[0]
    rid = ref.add_referral(ctx, desk_user, pid, kind=AUTH, number="H-1", status="pending")
    ref.update_referral(ctx, desk_user, rid, status="denied")
    with pytest.raises(DatabaseError, match="cannot be"), ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    history = ref.referral_detail(ctx, desk_user, rid).history
    assert [(h.field, h.from_value, h.to_value) for h in history] == [
        ("status", None, "pending"), ("status", "pending", "denied")]

