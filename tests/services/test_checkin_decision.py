"""Check-in decides inside its write lock from a checklist without the screen's words
(services/checkin/checklists.py `decide_checklist`): the same items done or not as the checklist
the desk is shown, decided from what is saved when the desk presses check-in (another desk's
payment, void, form, ledger row after the view count), and the same refusals in the same order."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.ledger import EntryKind
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import checkin as svc
from coordinator_tui.services.accounts.ledger import post_row
from coordinator_tui.services.checkin.checklists import decide_checklist, load_appointment
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import fresh_rows, make_ready
from tests.helpers.engines import raw_connect


def _decided(checklist) -> list[tuple]:
    """What check-in reads from a checklist: each item's key, done, label and words."""
    return [(i.key, i.done, i.label.split(" (")[0], i.word) for i in checklist.items]


def _status_events(ctx, appointment_id: int) -> int:
    conn = raw_connect(ctx.db.url)
    try:
        return conn.execute("SELECT count(*) FROM appointment_status_events WHERE appointment_id = "
                            + str(int(appointment_id))).fetchone()[0]
    finally:
        conn.close()


def test_the_decision_has_the_items_the_desk_is_shown(ctx, desk_user):
    # Today's visits as seeded (a third express-ready, insured and self-pay, some with balances),
    # one made ready and one paid then voided: every item's done and words agree.
    fresh = fresh_rows(ctx, desk_user, copay_cents=2500)
    make_ready(ctx, desk_user, fresh[0].id)
    receipt = svc.take_payment(ctx, desk_user, fresh[1].id, "25.00", "cash")
    svc.void_payment(ctx, actor_for(ctx, "super"), receipt.payment_id, "wrong visit")
    visits = day_appointments(ctx, desk_user, CLINIC_DAY)
    assert len(visits) > 10
    with ctx.db.read() as session:
        for visit in visits:
            appointment = load_appointment(session, visit.id)
            shown, decided = svc.build_checklist(ctx, session, appointment), decide_checklist(ctx, session, appointment)
            assert _decided(decided) == _decided(shown), visit.id
            assert (decided.is_today, decided.day, decided.version, decided.copay_due_cents) == \
                (shown.is_today, shown.day, shown.version, shown.copay_due_cents)
    assert {i.done for v in visits for i in svc.checklist(ctx, desk_user, v.id).items} == {True, False}


def test_another_desks_void_after_the_view_is_caught(ctx, desk_user):
    appt = fresh_rows(ctx, desk_user, copay_cents=2500)[-1]
    ready = make_ready(ctx, desk_user, appt.id)
    assert ready.outstanding == []
    payment = raw_connect(ctx.db.url)
    try:
        payment_id = payment.execute("SELECT max(id) FROM payments WHERE appointment_id = "
                                     + str(int(appt.id))).fetchone()[0]
    finally:
        payment.close()
    svc.void_payment(ctx, actor_for(ctx, "super"), payment_id, "card declined")  # another desk
    events = _status_events(ctx, appt.id)
    with pytest.raises(UserError, match="still outstanding: copay"):
        svc.check_in(ctx, desk_user, appt.id, ready.version)
    assert _status_events(ctx, appt.id) == events  # nothing saved


def test_another_desks_payment_and_forms_after_the_view_count(ctx, desk_user):
    appt = fresh_rows(ctx, desk_user, copay_cents=2500)[-1]
    svc.confirm_demographics(ctx, desk_user, appt.id)
    svc.mark_eligibility(ctx, desk_user, appt.id, verified=True)
    shown = svc.mark_seen(ctx, desk_user, appt.id)
    assert {i.key for i in shown.outstanding} >= {"copay"}
    other = actor_for(ctx, "super")  # at another desk, after this desk's view
    svc.take_payment(ctx, other, appt.id, "25.00", "card")
    if not shown.item("forms").done:
        svc.record_forms_signed(ctx, other, appt.id)
    change = svc.check_in(ctx, desk_user, appt.id, shown.version)  # nothing outstanding now
    assert change.to_status is S.ARRIVED
    conn = raw_connect(ctx.db.url)
    try:
        assert conn.execute("SELECT checkin_exception_reason FROM appointments WHERE id = "
                            + str(int(appt.id))).fetchone() == (None,)
    finally:
        conn.close()


def test_another_desks_ledger_row_after_the_view_is_caught(ctx, desk_user):
    appt = fresh_rows(ctx, desk_user, copay_cents=2500)[-1]
    ready = make_ready(ctx, desk_user, appt.id)
    assert ready.outstanding == []
    with ctx.db.write() as session:  # another desk charges an older visit's balance
        post_row(session, desk_user, appt.patient_id, EntryKind.CHARGE, 4000, at=ctx.now(),
                 service_date=CLINIC_DAY.replace(day=1), reason="missed visit fee")
    with pytest.raises(UserError, match="still outstanding: prior balance"):
        svc.check_in(ctx, desk_user, appt.id, ready.version)


def test_with_a_reason_the_refusals_come_in_the_same_order(ctx, desk_user):
    appt = fresh_rows(ctx, desk_user, copay_cents=2500)[-1]
    shown = svc.checklist(ctx, desk_user, appt.id)
    assert shown.outstanding  # the reason is what lets it through
    change = svc.check_in(ctx, desk_user, appt.id, shown.version, exception_reason="card at home")
    events = _status_events(ctx, appt.id)
    with pytest.raises(ConflictError, match="changed by"):  # the view is older than the check-in
        svc.check_in(ctx, desk_user, appt.id, shown.version, exception_reason="again")
    with pytest.raises(UserError, match="[Aa]rrived"):  # the current version, already arrived
        svc.check_in(ctx, desk_user, appt.id, change.version, exception_reason="again")
    assert _status_events(ctx, appt.id) == events
    later = next(r for r in day_appointments(ctx, desk_user, CLINIC_DAY.replace(day=CLINIC_DAY.day + 1))
                 if r.status in (S.SCHEDULED, S.CONFIRMED))
    with pytest.raises(UserError, match="not today"):  # the day first, even with a stale version
        svc.check_in(ctx, desk_user, later.id, 999, exception_reason="early")


def test_another_desks_271_after_the_view_is_caught(ctx, desk_user):
    from coordinator_tui.store.models import Coverage, EligibilityBenefit

    appt = fresh_rows(ctx, desk_user, copay_cents=2500)[-1]
    ready = make_ready(ctx, desk_user, appt.id)
    assert ready.outstanding == []
    with ctx.db.write() as session:  # the payer's 271 arrives at another desk: authorisation needed
        coverage = session.query(Coverage).filter_by(patient_id=appt.patient_id, rank="primary",
                                                     active=True).one()
        session.add(EligibilityBenefit(coverage_id=coverage.id, patient_id=appt.patient_id, status="active",
                                       auth_required=True, source_digest="d" * 64,
                                       interchange_control="000000917", imported_at=ctx.now(),
                                       imported_by_id=desk_user.id))
    with pytest.raises(UserError, match="still outstanding: referral"):
        svc.check_in(ctx, desk_user, appt.id, ready.version)
