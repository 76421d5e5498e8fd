"""The record and form screens at 80x24, driven by keys."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import DataTable, Input

from coordinator_tui.services.patients.editing import register_patient
from coordinator_tui.services.patients.records import get_record
from coordinator_tui.store.models import Appointment
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.patients.form import PatientFormScreen
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from tests.helpers.screen import drawn_outside, screen_text, settle

SIZE = (80, 24)


def some_patient(ctx) -> int:
    with ctx.db.read() as s:
        return s.scalar(select(Appointment.patient_id).order_by(Appointment.id).limit(1))


async def test_open_record_edit_bad_phone_then_fix(ctx, desk_user):
    pid = some_patient(ctx)
    before = get_record(ctx, desk_user, pid)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        text = screen_text(app)
        assert before.mrn in text and "Coverage" in text
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        phone = app.screen.query_one("#f-phone_mobile", Input)
        phone.value = "555-12"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        assert "not a valid phone number" in screen_text(app)
        assert app.focused is phone
        assert get_record(ctx, desk_user, pid).version == before.version  # nothing saved
        phone.value = "(617) 555-0142"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "(617) 555-0142" in screen_text(app)
        assert get_record(ctx, desk_user, pid).phone_mobile == "+16175550142"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)


async def test_esc_cancels_an_edit_without_saving(ctx, desk_user):
    pid = some_patient(ctx)
    before = get_record(ctx, desk_user, pid)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        app.screen.query_one("#f-given_name", Input).value = "Changed"
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Discard changes? y/n" in screen_text(app)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    assert get_record(ctx, desk_user, pid).given_name == before.given_name


async def test_esc_on_a_changed_form_asks_first_and_n_or_esc_go_back_to_it(ctx, desk_user):
    """Issue 13: Esc threw a half-typed edit away without a word."""
    pid = some_patient(ctx)
    before = get_record(ctx, desk_user, pid)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, PatientFormScreen)
        await pilot.press("end", *"xy")  # typed into the first field
        await settle(app, pilot)
        for back in ("n", "escape"):
            await pilot.press("escape")
            await settle(app, pilot)
            assert "Discard changes? y/n" in screen_text(app)
            assert drawn_outside(app, app.screen.query_one("Static").region) == []
            await pilot.press(back)
            await settle(app, pilot)
            assert app.screen is form, back
            assert "Discard changes?" not in screen_text(app)
            assert form.query_one(f"#f-{form.fields[0]}", Input).value.endswith("xy")
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        # An unchanged form closes at once, nothing asked.
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Discard changes?" not in screen_text(app)
        # Registration: the quick form's typing is kept when it grows into the full form (^f),
        # and Esc there still asks.
        app.register_patient({})
        await settle(app, pilot)
        await pilot.press(*"Newname")
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Discard changes? y/n" in screen_text(app)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    after = get_record(ctx, desk_user, pid)
    assert after.version == before.version and after.given_name == before.given_name


async def test_registration_shows_duplicates_with_reasons(ctx, desk_user):
    existing = register_patient(ctx, desk_user, {"given_name": "Oskar", "family_name": "Grünewald",
                                                 "birth_date": "5/6/1977", "sex": "M"})
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.register_patient({"given_name": "Oscar", "family_name": "Grunewald"})
        await settle(app, pilot)
        assert isinstance(app.screen, PatientFormScreen)
        await pilot.press("tab", "tab", *"5/6/1977", "tab", "m")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        table = app.screen.query_one("#duplicates", DataTable)
        assert table.row_count == 1
        text = screen_text(app)
        assert existing.mrn in text and "similar name" in text and "Possible duplicate" in text
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert app.screen.record.id == existing.patient_id


async def test_register_anyway_creates_a_new_record(ctx, desk_user):
    register_patient(ctx, desk_user, {"given_name": "Oskar", "family_name": "Grünewald",
                                      "birth_date": "5/6/1977", "sex": "M"})
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.register_patient({"given_name": "Oskar", "family_name": "Grunewald",
                              "birth_date": "5/6/1977", "sex": "M"})
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Grunewald" in screen_text(app)


async def test_who_looked_and_merge_hidden_from_front_desk_supervisor_sees_list(ctx, desk_user):
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.tui.screens.patients.access import PatientAccessScreen

    pid = some_patient(ctx)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        # Issue 13: not offered to the front desk at all (it was shown, then refused).
        footer = screen_text(app).splitlines()[-1]
        assert "Who looked" not in footer and "Merge" not in footer
        await pilot.press("f1")
        await settle(app, pilot)
        listed = dict(app.screen.lines)
        assert "w" not in listed and "m" not in listed and "b" in listed
        await pilot.press("escape", "w", "m")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)  # w and m do nothing here
    sup = actor_for(ctx, "super")
    app = CoordinatorApp(ctx, sup)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        assert "w Who looked" in screen_text(app).splitlines()[-1]
        await pilot.press("f1")
        await settle(app, pilot)
        assert dict(app.screen.lines)["m"] == "Merge"
        await pilot.press("escape")
        await settle(app, pilot)
        mrn = app.screen.record.mrn
        await pilot.press("w")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientAccessScreen)
        text = screen_text(app)
        assert f"Who looked at {mrn}" in text
        assert "viewed the record" in text and "demo" in text and "super" in text
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)


async def test_edit_refuses_a_made_up_state_and_country_by_keys(ctx, desk_user):
    from coordinator_tui.domain.patient_validation import FIELDS

    pid = some_patient(ctx)
    before = get_record(ctx, desk_user, pid)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, PatientFormScreen)
        await pilot.press(*["tab"] * FIELDS.index("region"), "ctrl+u", *"QQ",
                          "tab", "tab", "ctrl+u", *"ZZ", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        text = screen_text(app)
        assert "is not a country code" in text and "nothing was saved" in text
        assert app.focused is form.query_one("#f-country", Input)
        await pilot.press("ctrl+u", *"us", "ctrl+s")  # the country fixed: now the state is checked
        await settle(app, pilot)
        assert app.screen is form
        assert "is not a US state" in screen_text(app)
        assert app.focused is form.query_one("#f-region", Input)
        assert get_record(ctx, desk_user, pid).version == before.version  # nothing saved
        await pilot.press("ctrl+u", *"new jersey", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert ", NJ, " in screen_text(app)
    after = get_record(ctx, desk_user, pid)
    assert (after.region, after.country) == ("NJ", "US")


async def test_callback_reasons_and_referral_statuses_are_words(ctx, desk_user, seeded_path):
    """Issue 13: internal codes (`no_show`, `prior_authorisation`) were shown on the record."""
    import re
    import sqlite3

    from coordinator_tui.domain.vocab import CallbackReason
    from coordinator_tui.services import callbacks

    pid = some_patient(ctx)
    callbacks.create_by_hand(ctx, desk_user, patient_id=pid, reason=CallbackReason.PATIENT_REQUEST,
                             due_at=ctx.now())
    conn = sqlite3.connect(seeded_path)
    conn.execute("INSERT INTO referrals (patient_id, kind, to_specialty, received_on, status, "
                 "created_at, version_id) VALUES (?, 'prior_authorisation', 'Cardiology', '2026-11-20', "
                 "'pending', '2026-11-20 10:00:00.000000', 1)", (pid,))
    conn.commit()
    conn.close()
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 80)) as pilot:  # tall: every section on screen
        await settle(app, pilot)
        app.open_patient(pid)
        await settle(app, pilot)
        text = screen_text(app)
        assert "Patient asked" in text and "Pending" in text, text
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
