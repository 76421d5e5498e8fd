"""What the desk shows once a payer's 271 is in: the checklist's eligibility line with the
answer and when it came, o for the estimate of what the patient owes, and the record's benefits
summary. 80x24, keys only."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from coordinator_tui.services.eligibility import import_271, request_eligibility
from coordinator_tui.services.schedule import book, find_free_slots
from coordinator_tui.store.models import Appointment, Coverage, VisitEstimate
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.screens.checkin.estimate import EstimateDialog
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.checkin import open_checklist_of, unique_row
from tests.helpers.eligibility import with_eligibility
from tests.helpers.reminders import pdf_text
from tests.helpers.screen import screen_text, settle
from tests.helpers.x12_payer import ACTIVE, answer_270

SIZE = (80, 24)


def answered(ctx, actor):
    """A waiting patient with an unverified primary coverage, asked about and answered active."""
    with_eligibility(ctx)
    row = unique_row(ctx, actor)
    with ctx.db.write() as s:
        coverage = s.scalar(select(Coverage).where(Coverage.patient_id == row.patient_id,
                                                   Coverage.rank == "primary", Coverage.active.is_(True)))
        assert coverage is not None, "the seed's uniquely named patient is self-pay"
        coverage.eligibility_status = "unverified"
    files: list[str] = []
    request_eligibility(ctx, actor, CLINIC_DAY, files.append)
    import_271(ctx, actor, answer_270(files[0], lambda t: ACTIVE))
    return row


async def test_checklist_shows_the_271_and_o_shows_the_estimate(ctx, desk_user):
    row = answered(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        text = screen_text(app)
        assert f"271 {CLINIC_DAY:%m/%d}" in text and "active, copay $25" in text
        assert "o estimate" in text
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, EstimateDialog)
        sheet = screen_text(app)
        assert "ESTIMATE OF WHAT YOU WILL OWE" in sheet and "an estimate, not a bill" in sheet
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(VisitEstimate).where(
            VisitEstimate.appointment_id == row.id)) == 1


async def test_p_prints_the_estimate_sheet(ctx, desk_user, tmp_path):
    row = answered(ctx, desk_user)
    ctx.settings = replace(ctx.settings, print_dir=str(tmp_path / "printouts"), printer="")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("o")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert isinstance(app.screen, EstimateDialog)
        assert "Printed:" in screen_text(app)
    printed = list((tmp_path / "printouts").iterdir())
    assert len(printed) == 1 and (printed[0].stat().st_mode & 0o777) == 0o600
    assert "ESTIMATE OF WHAT YOU WILL OWE" in pdf_text(printed[0])


async def test_record_shows_the_benefits_summary_and_o_estimates_the_next_visit(ctx, desk_user):
    row = answered(ctx, desk_user)
    slot = find_free_slots(ctx, desk_user, provider_id=1, type_code="FU", after=FREE_DAY, limit=1)[0]
    next_visit = book(ctx, desk_user, row.patient_id, slot.provider_id, "FU", slot.starts_at)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(row.patient_id)
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        text = screen_text(app)
        assert "Payer 271 of" in text and "active, copay $25" in text
        assert "GOLD PPO 500 2026-01-01 to 2026-12-31, in network" in text
        assert "deductible $1,000 ($340 left), coinsurance 20%" in text
        await pilot.press("o")  # the estimate of the next visit, before it
        await settle(app, pilot)
        assert isinstance(app.screen, EstimateDialog)
        assert "ESTIMATE OF WHAT YOU WILL OWE" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    with ctx.db.read() as s:
        estimated = s.scalar(select(VisitEstimate.appointment_id))
        soonest = s.scalar(select(Appointment.id).where(
            Appointment.patient_id == row.patient_id, Appointment.starts_at >= ctx.now(),
            Appointment.status.not_in(("cancelled", "no_show"))).order_by(Appointment.starts_at).limit(1))
    assert estimated == soonest and soonest in (row.id, next_visit.appointment_id)
