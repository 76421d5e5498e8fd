"""The desks' keys for reminders and paper at 80x24, keys only: contact preferences on the
record and at check-in, reminders (s) and letters (l) on the Callbacks desk with the rows left
out listed, the day sheet on the schedule, the receipt after a payment, a supervisor's statement
($ on the record). No printer is set, so printouts land as owner-only files in print_dir."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from textual.widgets import Input

from coordinator_tui.domain.reminders import BatchChannel, ContactChannel
from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.services.accounts import ledger
from coordinator_tui.services.reminders.batches import plan_batch
from coordinator_tui.services.reminders.consent import contact_preferences, set_contact_preferences
from coordinator_tui.services.schedule import cancel
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import PatientLetter
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.desk import CallbacksScreen
from coordinator_tui.tui.screens.callbacks.left_out import LeftOutDialog
from coordinator_tui.tui.screens.checkin.dialogs import PaymentDialog
from coordinator_tui.tui.screens.patients.consent import ContactPreferencesDialog
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import open_checklist_of, unique_row
from tests.helpers.reminders import agree, day_ahead, edit_patient, lead, pdf_text, waiting_on
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


def printing_to(ctx, tmp_path):
    ctx.settings = replace(ctx.settings, print_dir=str(tmp_path / "printouts"), printer="")
    return tmp_path / "printouts"


async def test_contact_preferences_from_the_record(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await on_record(app, pilot, pid, "c")
        assert isinstance(app.screen, ContactPreferencesDialog)
        assert "never asked" in screen_text(app)
        record = app.screen_stack[-2].record
        assert f"Contact preferences  {record.display_name[:30]}  {record.mrn}" in screen_text(app)
        await pilot.press("s", "l", "g")
        await settle(app, pilot)
        language = app.screen.query_one("#consent-language", Input)
        assert app.focused is language
        language.value = ""
        await pilot.press(*"Spanish", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Language Spanish" in screen_text(app)
    prefs = contact_preferences(ctx, desk_user, pid)
    assert prefs.summary() == "SMS, Letter" and prefs.language == "Spanish"


async def test_escape_leaves_the_preferences_unsaved(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await on_record(app, pilot, pid, "c", "s", "e")
        assert "(yes, not saved)" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    assert contact_preferences(ctx, desk_user, pid).summary() == "none"


async def test_callbacks_desk_sends_the_reminders_with_one_key(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    ctx.settings = replace(ctx.settings, reminder_sms_days=str(lead(day_ahead(1))))
    agree(ctx, desk_user, [p for _a, p in waiting_on(ctx, day_ahead(1))[:3]], ContactChannel.SMS)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, CallbacksScreen)
        await pilot.press("s")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
    sms = list((folder / "outbox").glob("sms-*.csv"))
    assert len(sms) == 1
    lines = sms[0].read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1 + 3 and lines[0].startswith("phone,first_name")
    assert not list((folder / "outbox").glob("email-*.csv"))  # nobody agreed to e-mail


async def test_schedule_prints_the_day_sheet_with_p(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)
        await pilot.press("p")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
    printed = list(folder.glob("*day-sheet*.pdf"))
    assert len(printed) == 1 and "Day sheet" in pdf_text(printed[0])


async def test_the_receipt_prints_with_p_after_a_payment(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentDialog)
        await pilot.press("1", "0", "enter", "c", "enter", "enter")
        await settle(app, pilot)
        if app.screen.receipt is None:  # more than the copay due: saved on the second Ctrl+S
            await pilot.press("ctrl+s")
            await settle(app, pilot)
        assert app.screen.receipt is not None
        await pilot.press("p")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert "Printed:" in screen_text(app)
    receipts = list(folder.glob("*receipt*.txt"))
    assert len(receipts) == 1 and "$10.00" in receipts[0].read_text(encoding="utf-8")


async def test_contact_preferences_at_check_in(ctx, desk_user):
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        checklist = await open_checklist_of(app, pilot, row)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, ContactPreferencesDialog)
        # The dialog names whose answers these are, as every dialog of one patient does.
        assert f"Contact preferences  {row.patient_name[:30]}  {checklist.checklist.mrn}" \
            in screen_text(app)
        await pilot.press("v", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is checklist
    prefs = contact_preferences(ctx, desk_user, row.patient_id)
    voice = next(c for c in prefs.channels if c.channel is ContactChannel.VOICE)
    assert voice.agreed and voice.source.value == "checkin"


async def test_a_bad_language_is_explained_in_the_dialog_and_nothing_saved(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await on_record(app, pilot, pid, "c", "s", "g")
        app.screen.query_one("#consent-language", Input).value = ""
        await pilot.press(*"Klingon 2", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ContactPreferencesDialog)
        assert "! the language" in screen_text(app)
    assert contact_preferences(ctx, desk_user, pid).summary() == "none"


async def on_record(app, pilot, patient_id, *pressed):
    """The patient's record opened over the desk, then `pressed` there."""
    await settle(app, pilot)
    app.open_patient(patient_id)
    await keys(app, pilot, *pressed)


async def keys(app, pilot, *pressed):
    """Each key, then what it started (a dialog, a print in a worker) until the app is quiet."""
    await settle(app, pilot)
    for key in pressed:
        await pilot.press(key)
        await settle(app, pilot)


async def test_a_supervisor_prints_the_statement_with_dollar_on_the_record(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    sup = actor_for(ctx, "super")
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    edit_patient(ctx, pid, address_line1="1 Main St", city="Salem", region="MA",
                 postal_code="01970", country="US")
    ledger.post_entry(ctx, sup, pid, "charge", "60.00", service_date=CLINIC_DAY - timedelta(days=40))
    for actor, printed in ((desk_user, 0), (sup, 1)):  # the front desk has no statement key
        app = CoordinatorApp(ctx, actor)
        async with app.run_test(size=SIZE) as pilot:
            await on_record(app, pilot, pid, "dollar_sign")
        statements = list(folder.glob("*Statement*.pdf")) if folder.exists() else []
        assert len(statements) == printed
    assert "$60.00" in pdf_text(statements[0]) and (statements[0].stat().st_mode & 0o777) == 0o600


async def test_callbacks_desk_prints_the_letters_with_l(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    (a1, p1), *_ = waiting_on(ctx, day_ahead(3))
    cancel(ctx, desk_user, a1, reason="doctor ill", by=CancelledBy.CLINIC)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await keys(app, pilot, "f5", "l")
    printed = list(folder.glob("*-cancellation-letters-*.pdf"))
    assert len(printed) == 1 and "had to cancel" in pdf_text(printed[0])
    with ctx.db.read() as session:
        letters = session.execute(select(PatientLetter.patient_id, PatientLetter.kind).where(
            PatientLetter.appointment_id == a1)).all()
    assert letters == [(p1, "cancellation")]
    async with CoordinatorApp(ctx, desk_user).run_test(size=SIZE) as pilot:
        await on_record(pilot.app, pilot, p1, "end")  # the letter is on the patient's record
        assert "Letters (1)" in screen_text(pilot.app)
        assert "Appointment cancelled" in screen_text(pilot.app)


async def test_rows_the_desk_left_out_are_listed_with_the_reason(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    ctx.settings = replace(ctx.settings, reminder_sms_days=str(lead(day_ahead(1))))
    rows = waiting_on(ctx, day_ahead(1))
    once = [(a, p) for a, p in rows if [q for _b, q in rows].count(p) == 1]
    (_a1, p1), (a2, p2) = once[:2]  # two patients with one appointment that day each
    agree(ctx, desk_user, [p1, p2], ContactChannel.SMS)
    edit_patient(ctx, p2, phone_mobile="+18005550199")  # toll-free: cannot take a text
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await keys(app, pilot, "f5", "s")
        assert isinstance(app.screen, LeftOutDialog)
        text = screen_text(app)
        mrn = contact_preferences(ctx, desk_user, p2).mrn
        assert f"{mrn} #{a2}: the mobile number is not a mobile" in text
        assert "SMS: 1 sent, 1 left out" in text
        await keys(app, pilot, "escape")
        assert isinstance(app.screen, CallbacksScreen)
    assert len(list((folder / "outbox").glob("sms-*.csv"))) == 1


async def test_a_printer_that_refuses_the_letters_still_lets_the_texts_go(ctx, desk_user, tmp_path):
    folder = printing_to(ctx, tmp_path)
    day = lead(day_ahead(1))
    ctx.settings = replace(ctx.settings, printer="no-such-printer", reminder_sms_days=str(day),
                           reminder_letter_days=str(day))
    pid = waiting_on(ctx, day_ahead(1))[0][1]
    agree(ctx, desk_user, [pid], ContactChannel.SMS, ContactChannel.LETTER)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await keys(app, pilot, "f5", "s")
        assert isinstance(app.screen, LeftOutDialog)
        text = screen_text(app)
        assert "SMS: 1 sent" in text and "Reminder letters: NOT sent: cannot print to" in text
    assert len(list((folder / "outbox").glob("sms-*.csv"))) == 1
    again = plan_batch(ctx, desk_user, BatchChannel.LETTER, [day_ahead(1)])
    assert len(again) == 1 and again.already == 0  # the letter was not recorded as sent


async def test_two_desks_on_the_same_preferences_never_overwrite_each_other(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await on_record(app, pilot, pid, "c")
        assert isinstance(app.screen, ContactPreferencesDialog)
        set_contact_preferences(ctx, desk_user, pid, {ContactChannel.SMS: True})  # another desk
        await keys(app, pilot, "l", "ctrl+s")
        assert isinstance(app.screen, ContactPreferencesDialog)
        text = screen_text(app)
        assert "were changed at another" in text and "reloaded, look again" in text
        assert "s [x] SMS" in text and "l [ ] Letter" in text  # the other desk's answer, reloaded
        await keys(app, pilot, "l", "ctrl+s")  # looked again: now saved
        assert isinstance(app.screen, PatientRecordScreen)
    assert contact_preferences(ctx, desk_user, pid).summary() == "SMS, Letter"


async def test_a_patient_who_says_no_is_recorded_as_a_no_with_who_and_when(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await on_record(app, pilot, pid, "c", "e", "e")  # yes, then no
        assert "E-mail  never asked (no, not saved)" in screen_text(app)
        await keys(app, pilot, "ctrl+s")
        assert isinstance(app.screen, PatientRecordScreen)
    email = next(c for c in contact_preferences(ctx, desk_user, pid).channels
                 if c.channel is ContactChannel.EMAIL)
    assert not email.agreed and email.recorded_at == ctx.now() and email.recorded_by == "Dana Demo"
