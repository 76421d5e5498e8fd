"""Walk-in (F7 on the Check-in desk) at 80x24 by keys alone: who the patient is and the time
each provider would see them are on screen before a digit books; the box takes the one-box lookup
(name, birth date, phone, MRN) with a numbered pick when several match; Ctrl+N registers a new
patient from the box."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from textual.widgets import Input

from coordinator_tui.services import checkin as svc
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.checkin.walk_in import WalkInScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

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
        # Said on the line under the Find box, where the last check-in is said (it kept saying
        # the check-in before the walk-in, and a toast covered the list instead).
        line = str(app.screen.query_one("#checkin-status").render())
        assert line.startswith(f"Walk-in: {family}, {given}") and f"at {shown_at}, arrived" in line, line
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
        assert "No patient found" in screen_text(app)
        app.set_focus(None)
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, WalkInScreen)
        assert "Find the patient first" in " ".join(n.message for n in app._notifications)
    assert db_rows(seeded_path, "SELECT count(*) FROM appointments") == before


async def test_ctrl_n_in_the_mrn_box_registers_a_new_patient_and_carries_on(ctx, desk_user, seeded_path,
                                                                            clinic_open):
    from coordinator_tui.tui.screens.patients.form import PatientFormScreen

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        assert "^n: register a new patient" in screen_text(app)
        await pilot.press(*"nobody", "enter")
        await settle(app, pilot)
        assert "No patient found" in screen_text(app) and "^n registers a new patient." in screen_text(app)
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


def add_walk_in_patient(ctx, family, given, birth, phone=None):
    from tests.helpers.lookup import add_patient

    return add_patient(ctx, family, given, birth, phone=phone)


async def test_the_box_finds_by_name_birth_date_or_phone_like_every_desk(ctx, desk_user, seeded_path):
    """Issue 13: the walk-in dialog found patients by MRN only."""
    from datetime import date

    who = add_walk_in_patient(ctx, "Quillfeather", "Odessa", date(1961, 2, 3), phone="(617) 555-0177")
    for typed in ("quillfeather", "quillfeather odessa", "odessa quillfeather 2/3/1961", "617-555-0177"):
        app = CoordinatorApp(ctx, desk_user)
        async with app.run_test(size=SIZE) as pilot:
            await open_walk_in(app, pilot)
            await pilot.press(*typed, "enter")
            await settle(app, pilot)
            text = screen_text(app)
            assert "Quillfeather, Odessa" in text and "born 1961-02-03" in text, (typed, text)
            assert "No appointment today" in text and app.screen.patient_id == who
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*"quillfeather", "enter")
        await settle(app, pilot)
        await pilot.press("1")  # the one patient found: the digit books the first provider
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    assert db_rows(seeded_path, "SELECT status FROM appointments WHERE patient_id = ? AND is_walk_in = 1",
                   who) == [("arrived",)]


async def test_several_matches_are_numbered_and_a_digit_picks_one_then_a_provider(ctx, desk_user, seeded_path):
    from datetime import date

    first = add_walk_in_patient(ctx, "Thistlewood", "Ada", date(1950, 1, 1))
    second = add_walk_in_patient(ctx, "Thistlewood", "Bea", date(1990, 6, 7))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*"thistlewood", "enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert "2 patients match: 1-2 picks one" in text, text
        rows = [line for line in text.splitlines() if "Thistlewood, " in line]
        assert rows[0].split()[0] == "1" and rows[1].split()[0] == "2", rows
        pick = 2 if "Thistlewood, Bea" in rows[1] else 1
        await pilot.press("9")  # no ninth patient: nothing happens, nothing is booked
        await settle(app, pilot)
        assert isinstance(app.screen, WalkInScreen) and app.screen.patient_id is None
        await pilot.press(str(pick))
        await settle(app, pilot)
        text = screen_text(app)
        assert "Thistlewood, Bea" in text and "born 1990-06-07" in text and app.screen.patient_id == second
        assert "Provider (one key)" in text  # the providers are back; the next digit books
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    assert db_rows(seeded_path, "SELECT patient_id FROM appointments WHERE is_walk_in = 1 "
                   "AND patient_id IN (?, ?)", first, second) == [(second,)]


async def test_the_typed_name_and_birth_date_carry_over_to_ctrl_n(ctx, desk_user):
    from coordinator_tui.tui.screens.patients.form import PatientFormScreen

    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*"Zyxwvut, Ottilie 4/5/1977", "enter")
        await settle(app, pilot)
        app.screen.query_one("#walkin-mrn", Input).focus()
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        form = app.screen
        assert form.query_one("#f-family_name", Input).value == "Zyxwvut"
        assert form.query_one("#f-given_name", Input).value == "Ottilie"
        assert form.query_one("#f-birth_date", Input).value == "1977-04-05"


async def test_a_single_near_spelling_is_offered_not_taken(ctx, desk_user, seeded_path):
    from datetime import date

    who = add_walk_in_patient(ctx, "Quillfeather", "Odessa", date(1961, 2, 3))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_walk_in(app, pilot)
        await pilot.press(*"quilfeather odessa", "enter")  # a typo
        await settle(app, pilot)
        assert "1 patient is a near match: 1 picks them" in screen_text(app)
        assert app.screen.patient_id is None
        await pilot.press("1")
        await settle(app, pilot)
        assert app.screen.patient_id == who and "born 1961-02-03" in screen_text(app)
