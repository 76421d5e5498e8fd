"""Referrals where the work is, by keys at 80x24: the work list on the Callbacks desk feeds the
queue once, the pre-procedure list is one key away, the checklist resolves a missing
authorisation in place, and the record shows what is left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coordinator_tui.domain.referrals import ReferralKind
from coordinator_tui.services import referrals as ref
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, AppointmentType, ReferralChase
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.screens.referrals.work_list import ReferralsWorkScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import waiting_rows
from tests.helpers.referrals import insured_patients, mrn
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def test_work_list_on_the_callbacks_desk_feeds_the_queue_once(ctx, desk_user):
    pid, other = insured_patients(ctx, 2)
    ends = CLINIC_DAY + timedelta(days=10)
    ref.add_referral(ctx, desk_user, other, kind=ReferralKind.PRIOR_AUTH, number="E-1", visits=9,
                     status="approved", valid_to=ends)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")  # the desk fills the queue as it opens (chases included)
        await settle(app, pilot)
        ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.INCOMING, specialty="Cardiology",
                         received_on=CLINIC_DAY - timedelta(days=10))  # came in meanwhile
        await pilot.press("w")
        await settle(app, pilot)
        assert isinstance(app.screen, ReferralsWorkScreen)
        text = screen_text(app)
        came = CLINIC_DAY - timedelta(days=10)
        line = next(x for x in text.splitlines() if mrn(ctx, pid) in x)
        assert f"unbooked since {came.isoformat()}" in line and "(1 not on the queue yet)" in text
        line = next(x for x in text.splitlines() if mrn(ctx, other) in x)
        assert "auth E-1" in line and f"ends {ends.isoformat()}" in line
        await pilot.press("f")
        await settle(app, pilot)
        assert "(0 not on the queue yet)" in screen_text(app)
        await pilot.press("f")
        await settle(app, pilot)
        assert [r.fed for r in ref.work_list(ctx, desk_user)] == [True, True]
        with ctx.db.read() as session:  # E-1 (fed as the desk opened) and the referral, once each
            assert session.scalar(select(func.count()).select_from(ReferralChase)) == 2
        await pilot.press("p")
        await settle(app, pilot)
        assert "Next 3 clinic days" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReferralsWorkScreen)


async def test_checklist_resolves_a_missing_authorisation_in_place(ctx, desk_user):
    row = waiting_rows(ctx, desk_user)[-1]
    with ctx.db.read() as session:
        code = session.get(AppointmentType, session.get(Appointment, row.id).appointment_type_id).code
    ref.set_auth_requirement(ctx, actor_for(ctx, "admin"), code)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(ChecklistScreen(row.id))
        await settle(app, pilot)
        text = screen_text(app)
        words = " ".join(text.split())  # a long detail wraps under itself
        assert "a ✗ Referral / authorisation" in text and "need a prior" in words
        assert "authorisation (" in words and "none is on file" in words  # whole, not cut at 70
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press(*"PH-9", "enter", "3", "enter", *"T+30", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
        text = screen_text(app)
        assert "✓ Referral / authorisation" in text and "PH-9: 3 approved | 2 left" in text


async def test_booking_shows_the_problem_and_a_supervisor_books_over_it_with_a_reason(ctx):
    from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
    from coordinator_tui.tui.screens.schedule.book_patient import BookForPatientScreen

    supervisor = actor_for(ctx, "super")
    pid = insured_patients(ctx, 1)[0]
    ref.set_auth_requirement(ctx, actor_for(ctx, "admin"), "PROC")
    app = CoordinatorApp(ctx, supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, BookForPatientScreen)
        for value in ("PROC", "", "T+20", "any", ""):
            await pilot.press("ctrl+u", *value, "enter")
            await settle(app, pilot)
        assert app.screen.slots
        assert "! PROC visits need a prior authorisation" in screen_text(app)
        await pilot.press("enter")  # refused with the reason, nothing booked
        await settle(app, pilot)
        assert isinstance(app.screen, BookForPatientScreen) and "supervisor can book it" in screen_text(app)
        await pilot.press("o", *"payer phoned: approved", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    with ctx.db.read() as session:
        from coordinator_tui.store.models import ReferralVisit

        assert session.scalars(select(ReferralVisit.override_reason)).all() == ["payer phoned: approved"]


async def test_the_record_lists_authorisations_with_what_is_left(ctx, desk_user):
    pid = insured_patients(ctx, 1)[0]
    ref.add_referral(ctx, desk_user, pid, kind=ReferralKind.PRIOR_AUTH, number="REC-4", visits=4,
                     status="approved", valid_to=CLINIC_DAY + timedelta(days=30))
    end = CLINIC_DAY + timedelta(days=30)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 80)) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        assert f"Approved  REC-4          4 approved | 4 left, ends {end.day} {end:%b}" in screen_text(app)


async def test_an_authorisation_is_added_from_the_record_and_bad_input_is_said_on_the_form(ctx, desk_user):
    from coordinator_tui.tui.widgets.prompt import PromptModal

    pid = insured_patients(ctx, 1)[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 60)) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptModal)
        # kind, number, types, visits, last day, status: a bad visit count first
        for value in ("auth", "UI-5", "PROC", "-3", "T+40", "approved"):
            await pilot.press("ctrl+u", *value, "enter")
            await settle(app, pilot)
        assert isinstance(app.screen, PromptModal) and "whole number" in screen_text(app)
        await pilot.press("ctrl+u", *"5", "enter", "enter", "enter")
        await settle(app, pilot)
        end = CLINIC_DAY + timedelta(days=40)
        assert f"UI-5           5 approved | 5 left, ends {end.day} {end:%b}" in screen_text(app)


async def test_the_pre_procedure_list_shows_each_visit_with_its_whole_time_and_what_is_missing(ctx, desk_user):
    ref.set_type_documents(ctx, actor_for(ctx, "admin"), "PROC", ["referral"])
    rows = ref.pre_procedure(ctx, desk_user)
    assert rows  # the seeded schedule has PROC visits on the next clinic days, none with a referral
    first = rows[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("w", "p")
        await settle(app, pilot)
        line = next(x for x in screen_text(app).splitlines() if first.mrn in x)
        # "Tue 24 10:40": the minute is not cut off, and what is missing is named.
        assert f"{first.starts_at.astimezone(ctx.settings.tz):%a %d %H:%M}" in line
        assert "PROC" in line and "referral" in line
