"""Consent and reminder batches through the services, on the seeded clinic (real SQLite file)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator_tui.domain.reminders import BatchChannel, ConsentSource, ContactChannel
from coordinator_tui.errors import UserError
from coordinator_tui.interop.private_file import write_private
from coordinator_tui.services.reminders.batches import plan_batch, recorded_batch, render_batch
from coordinator_tui.services.reminders.consent import (
    contact_preferences,
    set_contact_preferences,
)
from coordinator_tui.store.models import ContactConsent, ReminderSent
from tests.conftest import CLINIC_DAY, CLINIC_NOW
from tests.helpers.reminders import agree, day_ahead, edit_patient, lead, waiting_on


def send(ctx, actor, batch, tmp_path, name="out"):
    content = render_batch(batch, ctx.now())
    write_private(tmp_path / name, content if not isinstance(content, dict) else "x",
                  lambda: recorded_batch(ctx, actor, batch))
    return content


def test_consent_is_kept_with_who_and_when_and_history(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    prefs = contact_preferences(ctx, desk_user, pid)
    assert not any(c.agreed for c in prefs.channels)
    assert all(c.recorded_at is None for c in prefs.channels)  # never asked
    prefs = set_contact_preferences(ctx, desk_user, pid, {ContactChannel.SMS: True,
                                                          ContactChannel.LETTER: True},
                                    language="spanish")
    sms = next(c for c in prefs.channels if c.channel is ContactChannel.SMS)
    assert sms.agreed and sms.recorded_at == CLINIC_NOW and sms.recorded_by == desk_user.display_name
    assert prefs.language == "Spanish" and prefs.summary() == "SMS, Letter"
    set_contact_preferences(ctx, desk_user, pid, {ContactChannel.SMS: False},
                            source=ConsentSource.CHECKIN)
    set_contact_preferences(ctx, desk_user, pid, {ContactChannel.SMS: False})  # no change: no row
    with ctx.db.read() as session:
        rows = session.scalars(select(ContactConsent).where(
            ContactConsent.patient_id == pid, ContactConsent.channel == "sms")
            .order_by(ContactConsent.id)).all()
    assert [(r.agreed, r.source) for r in rows] == [(True, "desk"), (False, "checkin")]


def test_a_bad_language_is_refused_and_nothing_changes(ctx, desk_user):
    pid = waiting_on(ctx, day_ahead(2))[0][1]
    with pytest.raises(UserError, match="language"):
        set_contact_preferences(ctx, desk_user, pid, {ContactChannel.SMS: True}, language="Sp4nish!")
    assert not contact_preferences(ctx, desk_user, pid).agreed(ContactChannel.SMS)


def test_sms_batch_only_for_consent_minimum_necessary_and_a_rerun_skips(ctx, desk_user, tmp_path):
    day = day_ahead(2)
    rows = waiting_on(ctx, day)
    assert len(rows) > 6
    agreed = [pid for _aid, pid in rows[:5]]
    agree(ctx, desk_user, agreed, ContactChannel.SMS)
    edit_patient(ctx, agreed[0], given_name="Ana, María", phone_mobile="+16175550142")
    batch = plan_batch(ctx, desk_user, BatchChannel.SMS, [day])
    patients = {pid for aid, pid in rows if aid in {i.appointment_id for i in batch.items}}
    assert patients <= set(agreed)  # no reminder without consent
    assert batch.no_consent == sum(1 for _aid, pid in rows if pid not in agreed)
    text = send(ctx, desk_user, batch, tmp_path)
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(batch) > 0
    assert set(table[0]) == {"phone", "first_name", "clinic_name", "clinic_phone", "date", "time",
                             "location", "appointment_id", "language", "message"}
    ana = next(r for r in table if r["first_name"] == "Ana, María")  # the comma stays in its cell
    assert ana["phone"] == "+16175550142" and ana["date"] == f"{day:%m/%d/%Y}"
    assert all(r["phone"].startswith("+") for r in table)
    with ctx.db.read() as session:
        sent = session.scalars(select(ReminderSent)).all()
    assert {(s.channel, s.lead_days, s.sent_by_id) for s in sent} == {("sms", lead(day), desk_user.id)}
    again = plan_batch(ctx, desk_user, BatchChannel.SMS, [day])
    assert len(again) == 0 and again.already == len(batch)


def test_bad_phone_no_postal_code_and_passed_times_are_listed_with_the_reason(ctx, desk_user):
    day = day_ahead(2)
    (a1, p1), (a2, p2), *_ = waiting_on(ctx, day)
    agree(ctx, desk_user, [p1, p2], ContactChannel.SMS, ContactChannel.LETTER)
    edit_patient(ctx, p1, phone_mobile="+442079460018")  # a London landline: no SMS
    edit_patient(ctx, p2, postal_code=None)
    sms = plan_batch(ctx, desk_user, BatchChannel.SMS, [day])
    assert any(s.appointment_id == a1 and "not a mobile" in s.reason for s in sms.skipped)
    assert a1 not in {i.appointment_id for i in sms.items}
    letters = plan_batch(ctx, desk_user, BatchChannel.LETTER, [day])
    assert any(s.appointment_id == a2 and "postal code" in s.reason for s in letters.skipped)
    assert a2 not in {i.appointment_id for i in letters.items}
    earlier = [(a, p) for a, p in waiting_on(ctx, CLINIC_DAY)]
    agree(ctx, desk_user, [p for _a, p in earlier], ContactChannel.SMS)
    today = plan_batch(ctx, desk_user, BatchChannel.SMS, [CLINIC_DAY])
    passed = [s for s in today.skipped if "passed" in s.reason]
    assert all(i.starts_at > ctx.now() for i in today.items)
    assert len(passed) + len(today) + len([s for s in today.skipped if "passed" not in s.reason]) \
        == len(earlier)


def test_a_day_in_the_past_is_refused(ctx, desk_user):
    with pytest.raises(UserError, match="in the past"):
        plan_batch(ctx, desk_user, BatchChannel.SMS, [CLINIC_DAY - timedelta(days=1)])


def test_default_days_are_the_settings_two_and_one_day_ahead(ctx, desk_user):
    batch = plan_batch(ctx, desk_user, BatchChannel.SMS)
    assert batch.days == (CLINIC_DAY + timedelta(days=1), CLINIC_DAY + timedelta(days=2))
    assert plan_batch(ctx, desk_user, BatchChannel.LETTER).days == (CLINIC_DAY + timedelta(days=7),)


def test_templates_by_language_with_english_fallback_and_a_bad_clinic_template(ctx, desk_user, tmp_path):
    day = day_ahead(2)
    (a1, p1), (a2, p2), (a3, p3), *_ = waiting_on(ctx, day)
    agree(ctx, desk_user, [p1, p2, p3], ContactChannel.SMS)
    edit_patient(ctx, p1, preferred_language="Spanish")
    edit_patient(ctx, p2, preferred_language="Vietnamese")  # no template: English
    edit_patient(ctx, p3, preferred_language="English")
    batch = plan_batch(ctx, desk_user, BatchChannel.SMS, [day])
    by_id = {i.appointment_id: i for i in batch.items}
    assert "le recordamos su cita" in by_id[a1].message and by_id[a1].language == "es"
    assert "reminder of your appointment" in by_id[a2].message and by_id[a2].language == "en"
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "sms-es.txt").write_text("Hola {first_name}, cita {date} {reason}", encoding="utf-8")
    (folder / "sms-en.txt").write_text("{clinic_name}: see you {date} at {time}", encoding="utf-8")
    from dataclasses import replace

    ctx.settings = replace(ctx.settings, templates_dir=str(folder))
    batch = plan_batch(ctx, desk_user, BatchChannel.SMS, [day])
    by_id = {i.appointment_id: i for i in batch.items}
    skipped = {s.appointment_id: s.reason for s in batch.skipped}
    assert a1 not in by_id and "sms-es.txt" in skipped[a1] and "{reason}" in skipped[a1]
    assert by_id[a3].message.endswith(f"see you {day:%m/%d/%Y} at {by_id[a3].time}")


def test_a_language_with_no_template_gets_english_with_the_english_date(ctx, desk_user, tmp_path):
    """Portuguese is a language a clinic may write templates for (sms-pt.txt) but has no built-in
    text: its patients get the English text, dated as English reads it (12/04, not 04/12)."""
    day = day_ahead(2)
    (a1, p1), *_ = waiting_on(ctx, day)
    agree(ctx, desk_user, [p1], ContactChannel.SMS)
    edit_patient(ctx, p1, preferred_language="Portuguese")
    item = plan_batch(ctx, desk_user, BatchChannel.SMS, [day]).items[0]
    assert item.appointment_id == a1 and item.language == "en"
    assert f"reminder of your appointment on {day:%m/%d/%Y} at " in item.message
    assert item.date == f"{day:%m/%d/%Y}" and item.time.endswith(("AM", "PM"))
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "sms-pt.txt").write_text("Lembrete: {date} {time}", encoding="utf-8")
    from dataclasses import replace

    ctx.settings = replace(ctx.settings, templates_dir=str(folder))
    item = plan_batch(ctx, desk_user, BatchChannel.SMS, [day]).items[0]
    assert item.language == "pt" and item.message.startswith(f"Lembrete: {day:%d/%m/%Y} ")


def test_another_desk_sending_meanwhile_records_nothing_twice(ctx, desk_user, tmp_path):
    day = day_ahead(2)
    agree(ctx, desk_user, [p for _a, p in waiting_on(ctx, day)[:3]], ContactChannel.EMAIL)
    first = plan_batch(ctx, desk_user, BatchChannel.EMAIL, [day])
    second = plan_batch(ctx, desk_user, BatchChannel.EMAIL, [day])
    assert len(first) == len(second) > 0
    send(ctx, desk_user, first, tmp_path, "a.csv")
    with pytest.raises(UserError, match="another desk"):
        send(ctx, desk_user, second, tmp_path, "b.csv")
    assert not (tmp_path / "b.csv").exists()  # nothing half-written
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ReminderSent)) == len(first)


def test_no_confirmation_call_for_a_patient_who_said_no_to_calls(ctx, desk_user):
    from coordinator_tui.services import callbacks as cb
    from coordinator_tui.store.models import Appointment, Callback

    day = day_ahead(1)
    with ctx.db.read() as session:
        queued = set(session.scalars(select(Callback.patient_id).where(Callback.status == "open")))
        booked = set(session.scalars(select(Appointment.id).where(Appointment.status == "scheduled")))
    fresh = [p for p in dict.fromkeys(p for a, p in waiting_on(ctx, day) if a in booked)
             if p not in queued]  # booked, not yet confirmed, nothing on the queue yet
    declined, asked_nothing = fresh[:2]
    agree(ctx, desk_user, [declined], ContactChannel.VOICE, agreed=False)
    voice = next(c for c in contact_preferences(ctx, desk_user, declined).channels
                 if c.channel is ContactChannel.VOICE)
    assert not voice.agreed and voice.recorded_at is not None  # a "no" is kept, with when
    cb.generate_confirmations(ctx, desk_user, for_day=day)
    with ctx.db.read() as session:
        called = set(session.scalars(select(Callback.patient_id).where(
            Callback.reason == "confirmation", Callback.status == "open")))
    assert asked_nothing in called and declined not in called
