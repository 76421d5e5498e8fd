"""Chased until closed: the work list (thresholds are settings) feeds the callback queue once per
referral and reason; check-in shows the authorisation that covers a visit or the problem, which
is resolved in place; the pre-procedure list shows what is missing days ahead."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.domain.referrals import ChaseReason, ReferralKind
from coordinator_tui.errors import UserError
from coordinator_tui.services import checkin
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.referrals.documents import clinic_days_after
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Callback, ReferralChase
from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.referrals import insured_patients, needs_auth, proc_slots

AUTH = ReferralKind.PRIOR_AUTH


@pytest.fixture
def admin(ctx):
    return actor_for(ctx, "admin")


def _reasons(rows, rid):
    return {r.reason for r in rows if r.referral_id == rid}


def test_work_list_finds_each_kind_of_loose_end_by_the_settings(ctx, desk_user):
    a, b, c = insured_patients(ctx, 3)
    ending = ref.add_referral(ctx, desk_user, a, kind=AUTH, number="E1", visits=10, status="approved",
                              valid_to=CLINIC_DAY + timedelta(days=10))
    few = ref.add_referral(ctx, desk_user, a, kind=AUTH, number="F1", visits=2, status="active",
                           valid_to=CLINIC_DAY + timedelta(days=100))
    later = ref.add_referral(ctx, desk_user, b, kind=AUTH, number="L1", visits=9, status="approved",
                             valid_to=CLINIC_DAY + timedelta(days=100))
    sent = ref.add_referral(ctx, desk_user, b, kind=ReferralKind.OUTGOING, specialty="Cardiology",
                            received_on=CLINIC_DAY - timedelta(days=20))
    unbooked = ref.add_referral(ctx, desk_user, c, kind=ReferralKind.INCOMING,
                                received_on=CLINIC_DAY - timedelta(days=5))
    fresh = ref.add_referral(ctx, desk_user, c, kind=ReferralKind.INCOMING, received_on=CLINIC_DAY)
    rows = ref.work_list(ctx, desk_user)
    assert _reasons(rows, ending) == {ChaseReason.EXPIRING}
    assert _reasons(rows, few) == {ChaseReason.FEW_VISITS}
    assert _reasons(rows, sent) == {ChaseReason.NO_REPLY}
    assert _reasons(rows, unbooked) == {ChaseReason.NOT_BOOKED}
    assert _reasons(rows, later) == set() and _reasons(rows, fresh) == set()
    ref.update_referral(ctx, desk_user, sent, replied_on=CLINIC_DAY - timedelta(days=2))
    assert _reasons(ref.work_list(ctx, desk_user), sent) == {ChaseReason.NO_APPOINTMENT}
    # The thresholds are settings.
    wider = replace(ctx, settings=replace(ctx.settings, auth_expiring_days=120, auth_few_visits=0))
    rows = ref.work_list(wider, desk_user)
    assert _reasons(rows, later) == {ChaseReason.EXPIRING} and ChaseReason.FEW_VISITS not in _reasons(rows, few)


def test_feeding_the_queue_twice_adds_each_chase_once(ctx, desk_user):
    a, b = insured_patients(ctx, 2)
    first = ref.add_referral(ctx, desk_user, a, kind=ReferralKind.INCOMING, received_on=CLINIC_DAY - timedelta(days=9))
    second = ref.add_referral(ctx, desk_user, a, kind=AUTH, number="X2", visits=1, status="approved",
                              valid_to=CLINIC_DAY + timedelta(days=3))
    ref.add_referral(ctx, desk_user, b, kind=ReferralKind.INCOMING, received_on=CLINIC_DAY - timedelta(days=9))
    assert ref.feed_callbacks(ctx, desk_user) == 4  # not booked x2, ending soon, few visits
    assert ref.feed_callbacks(ctx, desk_user) == 0
    with ctx.db.read() as session:
        chases = session.execute(select(ReferralChase.referral_id, ReferralChase.reason,
                                        ReferralChase.callback_id)).all()
        items = session.scalars(select(Callback).where(Callback.reason == "referral",
                                                       Callback.status == "open")).all()
    assert len(chases) == 4
    # One open item per patient (the queue's rule); both of patient a's chases point at it.
    mine = {c.id for c in items if c.patient_id == a}
    assert len(mine) == 1 and {cb for rid, _r, cb in chases if rid in (first, second)} == mine
    assert all(row.fed for row in ref.work_list(ctx, desk_user))


def test_checklist_shows_the_covering_authorisation_or_the_problem_and_resolves_it_in_place(
        ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    slot = proc_slots(ctx, desk_user, 1)[0]
    visit = booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at).appointment_id
    assert "referral" not in {i.key for i in checkin.checklist(ctx, desk_user, visit).items}
    needs_auth(ctx, admin)  # the rule came after the booking: the visit has none
    item = checkin.checklist(ctx, desk_user, visit).item("referral")
    assert not item.done and "need a prior authorisation" in item.detail
    with pytest.raises(UserError, match="a supervisor can book it with an override"):
        ref.attach_authorisation(ctx, desk_user, visit)
    line = ref.attach_authorisation(ctx, desk_user, visit, number="PH-1", visits=3,
                                    valid_to=FREE_DAY + timedelta(days=30))
    assert line.startswith("authorisation PH-1: 3 approved | 2 left")
    item = checkin.checklist(ctx, desk_user, visit).item("referral")
    assert item.done and item.detail.startswith("PH-1: 3 approved | 2 left")
    with pytest.raises(UserError, match="already covered"):
        ref.attach_authorisation(ctx, desk_user, visit)


def test_documents_missing_days_ahead_are_on_the_pre_procedure_list(ctx, desk_user, admin):
    pid = insured_patients(ctx, 1)[0]
    ref.set_type_documents(ctx, admin, "PROC", ["photo_id", "consent", "referral"])
    span = clinic_days_after(CLINIC_DAY, 3)
    slot = booking.find_free_slots(ctx, desk_user, provider_id=None, type_code="PROC", after=span[0], limit=1)[0]
    assert slot.starts_at.astimezone(ctx.settings.tz).date() in span
    visit = booking.book(ctx, desk_user, pid, slot.provider_id, "PROC", slot.starts_at).appointment_id
    row = next(r for r in ref.pre_procedure(ctx, desk_user) if r.appointment_id == visit)
    assert "referral" in row.missing and row.type_code == "PROC"
    item = checkin.checklist(ctx, desk_user, visit).item("documents")
    assert not item.done and "referral" in item.detail
    ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.INCOMING, type_codes=["PROC"])
    item = checkin.checklist(ctx, desk_user, visit).item("documents")
    assert "referral" not in item.detail.removeprefix("missing: ").split(", ")
    row = next((r for r in ref.pre_procedure(ctx, desk_user) if r.appointment_id == visit), None)
    assert row is None or "referral" not in row.missing


def test_the_day_schedule_marks_visits_without_a_needed_authorisation(ctx, desk_user, admin):
    from coordinator_tui.tui.screens.schedule.cells import type_word

    pid = insured_patients(ctx, 1)[0]
    slot = proc_slots(ctx, desk_user, 1)[0]
    visit = booking.book(ctx, desk_user, pid, 1, "PROC", slot.starts_at).appointment_id

    def shown():
        return next(a for a in booking.day_schedule(ctx, desk_user, FREE_DAY).appointments if a.id == visit)

    assert not shown().needs_auth and type_word(shown()) == "PROC"
    ref.set_auth_requirement(ctx, admin, "PROC")
    assert shown().needs_auth and type_word(shown()) == "PRO?"
    ref.attach_authorisation(ctx, desk_user, visit, number="DS-1", visits=1)
    assert not shown().needs_auth


def test_the_daily_generation_feeds_referral_chases_too(ctx, desk_user):
    from coordinator_tui.services.callbacks.generate import generate_daily

    pid = insured_patients(ctx, 1)[0]
    ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.INCOMING, received_on=CLINIC_DAY - timedelta(days=9))
    assert generate_daily(ctx, desk_user).referral_chases == 1
    assert generate_daily(ctx, desk_user).referral_chases == 0
