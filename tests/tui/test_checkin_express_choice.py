"""Which of today's rows express check-in takes (tui/screens/checkin/flow.py::express_choice):
a family name typed in full checks that patient in with Enter, Enter even when the lookup also
brings another of today's patients by a near spelling; two exact matches still go to the list."""

from __future__ import annotations

import sqlite3

from textual import events

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients.editing import update_patient
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.patients.records import get_record
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.widgets.reason import ReasonPrompt
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import make_ready, settle, unique_row
from tests.helpers.screen import screen_text

SIZE = (80, 24)


def status_of(path, appointment_id: int) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT status FROM appointments WHERE id = ?", (appointment_id,)).fetchone()[0]
    finally:
        conn.close()


def rename(ctx, actor, patient_id: int, family: str) -> None:
    record = get_record(ctx, actor, patient_id)
    update_patient(ctx, actor, patient_id, {"family_name": family}, expected_version=record.version)


def another_expected(ctx, actor, row):
    """Another of today's patients still expected (not `row`'s patient)."""
    for other in day_appointments(ctx, actor, CLINIC_DAY):
        if other.patient_id != row.patient_id and other.status in (S.SCHEDULED, S.CONFIRMED):
            return other
    raise AssertionError("no second expected patient today")


def near_spelling(family: str) -> str:
    """The name with its 2nd and 3rd letters swapped: a typo, neither the name nor its start."""
    return family[0] + family[2] + family[1] + family[3:]


async def type_name_enter_enter(app, pilot, family: str) -> None:
    await pilot.press(*family.lower(), "enter", "enter")
    await settle(app, pilot)


async def test_a_near_spelling_of_another_patient_today_does_not_stop_express(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    make_ready(ctx, desk_user, row.id)
    family = row.patient_name.split(",")[0]
    other = another_expected(ctx, desk_user, row)
    rename(ctx, desk_user, other.patient_id, near_spelling(family))
    found = search_patients(ctx, desk_user, family.lower(), limit=30, today_first=True)
    assert {row.patient_id, other.patient_id} <= {hit.id for hit in found}  # both on the list
    assert [hit.exact for hit in found if hit.id in (row.patient_id, other.patient_id)] == [True, False]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_name_enter_enter(app, pilot, family)
        assert isinstance(app.screen, CheckinScreen)
    assert status_of(seeded_path, row.id) == "arrived"
    assert status_of(seeded_path, other.id) == other.status.value


async def test_two_exact_matches_today_still_go_to_the_list(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    make_ready(ctx, desk_user, row.id)
    family = row.patient_name.split(",")[0]
    other = another_expected(ctx, desk_user, row)
    make_ready(ctx, desk_user, other.id)
    rename(ctx, desk_user, other.patient_id, family)  # a namesake expected today
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*family.lower(), "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)  # the list, to pick one: nobody checked in
        assert app.focused is app.screen.query_one("#arrivals")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
    assert {status_of(seeded_path, row.id), status_of(seeded_path, other.id)} == {other.status.value,
                                                                                    row.status.value}


async def test_a_name_typed_after_backing_out_of_a_checklist_replaces_the_one_before(
        ctx, desk_user, seeded_path):
    first = unique_row(ctx, desk_user)
    family = first.patient_name.split(",")[0]
    second = another_expected(ctx, desk_user, first)
    rename(ctx, desk_user, second.patient_id, "Zzquorum")
    make_ready(ctx, desk_user, second.id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*family.lower(), "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen) and app.screen.appointment_id == first.id
        await pilot.press("escape")  # back, not checked in
        await settle(app, pilot)
        await type_name_enter_enter(app, pilot, "zzquorum")
        assert isinstance(app.screen, CheckinScreen)
        assert app.screen.query_one("#checkin-search").value == ""
    assert status_of(seeded_path, second.id) == "arrived"
    assert status_of(seeded_path, first.id) == first.status.value


async def test_keys_typed_ahead_of_a_check_in_with_items_outstanding_do_not_answer_its_reason(
        ctx, desk_user, seeded_path):
    """'name Enter Enter' then the next name at once, for a patient with items outstanding: the
    next name went into the reason box and its Enter checked this patient in, unseen."""
    row = unique_row(ctx, desk_user)  # address, copay, ID... outstanding
    family = row.patient_name.split(",")[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in (*family.lower(), "enter", "enter", *"zzquorum", "enter", "enter"):
            app.key_gate.take(events.Key(key, key if len(key) == 1 else None))  # one burst
        await app.key_gate.wait_until_idle(timeout=20)
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        assert app.screen.query_one("#reason").value == ""
        assert "What was typed after Enter was not used." in screen_text(app)
        assert row.patient_name in screen_text(app)  # whose check-in this is
    assert status_of(seeded_path, row.id) == row.status.value
