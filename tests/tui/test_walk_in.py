"""Walk-in (F7 on the Check-in desk) at 80x24 by keys alone: who the patient is and the time
each provider would see them are on screen before a digit books; Ctrl+N registers a new patient
from the MRN box."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from textual.widgets import Input

from coordinator_tui.services import checkin as svc
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin import CheckinScreen
from coordinator_tui.tui.screens.walk_in import WalkInScreen
from tests.conftest import CLINIC_DAY
from tests.tui.screen import screen_text, settle

SIZE = (80, 24)


def db_rows(path, sql, *args):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def not_booked_today(ctx, actor, seeded_path):
    today_ids = {r.patient_id for r in day_appointments(ctx, actor, CLINIC_DAY)}
    return next(r for r in db_rows(seeded_path, "SELECT id, mrn, family_name, given_name, birth_date "
                                                "FROM patients ORDER BY id") if r[0] not in today_ids)


async def open_walk_in(app, pilot):
    await settle(app, pilot)
    await pilot.press("f7")
    await settle(app, pilot)
    assert isinstance(app.screen, WalkInScreen)


async def test_name_birth_date_and_each_providers_time_are_shown_before_a_digit_books(
        ctx, desk_user, seeded_path, clinic_open):
    patient_id, mrn, family, given, birth = not_booked_today(ctx, desk_user, seeded_path)
    providers = svc.providers(ctx, desk_user)
    first = svc.walk_in_times(ctx, desk_user, [providers[0].id])[providers[0].id]
    shown_at = first.astimezone(ctx.settings.tz).strftime("%H:%M")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*mrn.lower(), "enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert f"{family}, {given}" in text and f"born {birth}" in text, text
        line = next(line for line in text.splitlines() if f" 1  {providers[0].short_name}" in line)
        assert f"at {shown_at}" in line, line
        assert db_rows(seeded_path, "SELECT count(*) FROM appointments WHERE patient_id = ? AND is_walk_in = 1",
                       patient_id) == [(0,)]  # nothing booked by looking
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    [(status, starts_at)] = db_rows(seeded_path, "SELECT status, starts_at FROM appointments WHERE patient_id = ?"
                                    " AND is_walk_in = 1", patient_id)
    assert status == "arrived"
    assert datetime.fromisoformat(starts_at).replace(tzinfo=first.tzinfo) == first  # the time shown
    assert db_rows(seeded_path, "SELECT count(*) FROM audit_events WHERE action = 'patient.view' "
                   "AND patient_id = ?", patient_id) != [(0,)]


async def test_a_time_taken_meanwhile_is_refused_and_the_new_time_shown(ctx, desk_user, seeded_path,
                                                                        clinic_open):
    patient_id, mrn, *_ = not_booked_today(ctx, desk_user, seeded_path)
    other_id = not_booked_today(ctx, desk_user, seeded_path)[0] + 1
    provider = svc.providers(ctx, desk_user)[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*mrn, "enter")
        await settle(app, pilot)
        svc.walk_in(ctx, desk_user, other_id, provider.id)  # another desk takes that time
        await pilot.press("1")
        await settle(app, pilot)
        shown = " ".join(n.message for n in app._notifications)
        assert isinstance(app.screen, WalkInScreen) and "next free time is now" in shown, shown
        now_at = svc.walk_in_times(ctx, desk_user, [provider.id])[provider.id]
        assert f"at {now_at.astimezone(ctx.settings.tz):%H:%M}" in screen_text(app)
    assert db_rows(seeded_path, "SELECT count(*) FROM appointments WHERE patient_id = ? AND is_walk_in = 1",
                   patient_id) == [(0,)]


async def test_a_digit_after_an_unknown_mrn_books_nobody(ctx, desk_user, seeded_path, clinic_open):
    _pid, mrn, *_ = not_booked_today(ctx, desk_user, seeded_path)
    before = db_rows(seeded_path, "SELECT count(*) FROM appointments")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*mrn, "enter")
        await settle(app, pilot)
        await pilot.press("m", *"nobody", "enter")
        await settle(app, pilot)
        assert "No patient with that MRN" in screen_text(app)
        app.set_focus(None)
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, WalkInScreen)
        assert "Find the patient first" in " ".join(n.message for n in app._notifications)
    assert db_rows(seeded_path, "SELECT count(*) FROM appointments") == before


async def test_ctrl_n_in_the_mrn_box_registers_a_new_patient_and_carries_on(ctx, desk_user, seeded_path,
                                                                            clinic_open):
    from coordinator_tui.tui.screens.patient_form import PatientFormScreen

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        assert "^n: register a new patient" in screen_text(app)
        await pilot.press(*"nobody", "enter")
        await settle(app, pilot)
        assert "No patient with that MRN.  ^n registers a new patient." in screen_text(app)
        app.screen.query_one("#walkin-mrn", Input).focus()  # the box has focus: ^n still works
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        form = app.screen
        values = {"given_name": "Walkin", "family_name": "Zzyzx", "birth_date": "1970-05-06", "sex": "F",
                  "phone_mobile": "617-555-0142"}
        for name, value in values.items():
            if name in form.fields:
                form.query_one(f"#f-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, WalkInScreen)
        assert "Zzyzx, Walkin" in screen_text(app) and "born 1970-05-06" in screen_text(app)
        await pilot.press("2")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    assert db_rows(seeded_path, "SELECT a.status FROM appointments a JOIN patients p ON p.id = a.patient_id "
                   "WHERE p.family_name = 'Zzyzx'") == [("arrived",)]
