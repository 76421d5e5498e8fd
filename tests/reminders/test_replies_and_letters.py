"""The gateway's replies and the letters for no-shows, clinic cancellations and recalls."""

from __future__ import annotations

from sqlalchemy import select

from coordinator_tui.domain.reminders import BatchChannel, ContactChannel, LetterKind
from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CallbackOutcome,
    CallbackReason,
    CancelledBy,
)
from coordinator_tui.interop.private_file import write_private
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services.reminders.batches import plan_batch, recorded_batch, render_batch
from coordinator_tui.services.reminders.consent import contact_preferences
from coordinator_tui.services.reminders.letters import plan_letters, recorded_letters
from coordinator_tui.services.reminders.replies import apply_replies
from coordinator_tui.services.schedule import cancel
from coordinator_tui.store.models import Appointment, Callback, PatientLetter, ReminderSent
from tests.helpers.reminders import (
    a_day_with_no_shows,
    agree,
    day_ahead,
    edit_patient,
    pdf_text,
    waiting_on,
)


def sent_sms(ctx, actor, tmp_path, count=4):
    rows = waiting_on(ctx, day_ahead(2))
    pids = list(dict.fromkeys(p for _a, p in rows))[:count]
    agree(ctx, actor, pids, ContactChannel.SMS)
    batch = plan_batch(ctx, actor, BatchChannel.SMS, [day_ahead(2)])
    write_private(tmp_path / "sms.csv", render_batch(batch, ctx.now()),
                  lambda: recorded_batch(ctx, actor, batch))
    return [(i.appointment_id, next(p for a, p in rows if a == i.appointment_id)) for i in batch.items]


def test_replies_confirm_reschedule_stop_and_bad_rows_by_line_idempotent(ctx, desk_user, tmp_path):
    items = sent_sms(ctx, desk_user, tmp_path)
    assert len(items) >= 4
    (a1, _p1), (a2, p2), (a3, p3), (a4, _p4) = items[:4]
    results = tmp_path / "results.csv"
    results.write_text(
        "appointment_id,status,reply,phone\n"
        f"{a1},replied,C,+1\n"
        f"{a2},replied, r ,+1\n"
        f"{a3},replied,STOP,+1\n"
        f"{a4},failed,,+1\n"
        "99999999,delivered,,+1\n"
        "12x,delivered,,+1\n"
        f"{a4},replied,maybe on Tuesday?,+1\n", encoding="utf-8")
    report = apply_replies(ctx, desk_user, results)
    assert (report.confirmed, report.reschedule, report.stopped, report.failed) == (1, 1, 1, 1)
    assert [(p.line, p.reason.split(" ")[0]) for p in report.bad] == [
        (6, "unknown"), (7, "appointment_id"), (8, "the")]
    with ctx.db.read() as session:
        assert session.get(Appointment, a1).status == AppointmentStatus.CONFIRMED.value
        rebook = session.scalar(select(Callback).where(Callback.patient_id == p2,
                                                       Callback.reason == CallbackReason.REBOOK.value,
                                                       Callback.status == "open"))
        assert rebook is not None and rebook.appointment_id == a2
        replies = {r.appointment_id: (r.delivery, r.reply) for r in session.scalars(select(ReminderSent))}
    assert replies[a1] == ("delivered", "confirm") and replies[a4] == ("failed", None)
    assert not contact_preferences(ctx, desk_user, p3).agreed(ContactChannel.SMS)
    # The same file again changes nothing.
    again = apply_replies(ctx, desk_user, results)
    assert (again.confirmed, again.reschedule, again.stopped, again.failed, again.delivered) == (0,) * 5
    assert again.unchanged == 4 and len(again.bad) == 3
    # STOP means no more SMS for that patient.
    later = plan_batch(ctx, desk_user, BatchChannel.SMS, [day_ahead(1)])
    assert p3 not in {p for a, p in waiting_on(ctx, day_ahead(1))
                      if a in {i.appointment_id for i in later.items}}


def test_no_show_letters_recorded_on_the_patient_no_address_listed(ctx, desk_user, tmp_path):
    day = a_day_with_no_shows(ctx)
    with ctx.db.read() as session:
        no_shows = set(session.scalars(select(Appointment.id).where(Appointment.status == "no_show")))
    batch = plan_letters(ctx, desk_user, LetterKind.NO_SHOW, day)
    assert len(batch) > 1 and {k[1] for k in batch.keys} <= no_shows
    edit_patient(ctx, batch.keys[0][0], postal_code="")
    batch = plan_letters(ctx, desk_user, LetterKind.NO_SHOW, day)
    assert any("postal code" in s.reason for s in batch.skipped)
    write_private(tmp_path / "letters.pdf", batch.pdf(), lambda: recorded_letters(ctx, desk_user, batch))
    text = pdf_text(tmp_path / "letters.pdf")
    # A page per patient, each with its letter (English or the patient's language).
    assert text.count("\f") == len(batch) == text.count("Missed appointment") + text.count("Cita perdida")
    assert text.count("We missed you") + text.count("No pudimos verle") == len(batch)
    with ctx.db.read() as session:
        letters = session.scalars(select(PatientLetter)).all()
    assert {(x.kind, x.written_by_id) for x in letters} == {("no_show", desk_user.id)}
    assert len(letters) == len(batch)
    again = plan_letters(ctx, desk_user, LetterKind.NO_SHOW, day)
    assert len(again) == 0 and again.already == len(batch)


def test_cancelled_by_clinic_gets_a_letter_by_patient_not(ctx, desk_user):
    (a1, p1), (a2, _p2), *_ = waiting_on(ctx, day_ahead(3))
    edit_patient(ctx, p1, preferred_language="Portuguese")  # no built-in text: English
    cancel(ctx, desk_user, a1, reason="doctor ill", by=CancelledBy.CLINIC)
    cancel(ctx, desk_user, a2, reason="busy", by=CancelledBy.PATIENT)
    batch = plan_letters(ctx, desk_user, LetterKind.CANCELLATION)
    assert [k[1] for k in batch.keys] == [a1] and batch.keys[0][3] == "en"
    assert "had to cancel" in batch.pages[0].body
    assert f" on {day_ahead(3):%m/%d/%Y} at " in batch.pages[0].body  # dated as English reads it


def test_recall_letters_after_the_failed_calls(ctx, desk_user):
    cb.generate_recalls(ctx, desk_user)
    items = cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.RECALL))
    assert items
    item = items[0]
    assert len(plan_letters(ctx, desk_user, LetterKind.RECALL)) == 0  # not tried yet
    for _ in range(ctx.settings.failed_attempts_before_escalation):
        ctx.clock.advance(seconds=3600)
        cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.NO_ANSWER)
    batch = plan_letters(ctx, desk_user, LetterKind.RECALL)
    assert [k[2] for k in batch.keys] == [item.id]
    assert "We tried to reach you by phone" in batch.pages[0].body


def test_the_same_file_again_undoes_nothing_the_desk_did_since(ctx, desk_user, tmp_path):
    """Gateways hand over cumulative result files: reading one again after the desk worked the
    rebook item and the patient agreed to texts again must neither queue a second rebook nor
    withdraw the consent the patient gave since."""
    from coordinator_tui.services.reminders.consent import set_contact_preferences

    (_a1, _p1), (a2, p2), (a3, p3), *_ = sent_sms(ctx, desk_user, tmp_path)
    results = tmp_path / "results.csv"
    results.write_text(f"appointment_id,status,reply\n{a2},replied,R\n{a3},replied,STOP\n",
                       encoding="utf-8")
    first = apply_replies(ctx, desk_user, results)
    assert (first.reschedule, first.stopped) == (1, 1)
    with ctx.db.read() as session:
        rebook = session.scalar(select(Callback.id).where(Callback.appointment_id == a2,
                                                          Callback.reason == CallbackReason.REBOOK.value))
    ctx.clock.advance(seconds=600)
    cb.close(ctx, desk_user, rebook, done=True, reason="rebooked for next week")
    set_contact_preferences(ctx, desk_user, p3, {ContactChannel.SMS: True})
    again = apply_replies(ctx, desk_user, results)
    assert (again.reschedule, again.stopped, again.unchanged) == (0, 0, 2)
    with ctx.db.read() as session:
        items = session.scalars(select(Callback.status).where(
            Callback.patient_id == p2, Callback.reason == CallbackReason.REBOOK.value)).all()
    assert items == ["done"]
    assert contact_preferences(ctx, desk_user, p3).agreed(ContactChannel.SMS)
