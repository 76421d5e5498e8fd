"""Settings that used to be constants (recall interval, failed calls before escalation, status
alert minutes) change what the services do; callbacks created by hand refuse duplicates and bad
input; a booking made from a callback closes it in the same transaction, or changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coordinator_tui.config import load_settings
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CallbackOutcome, CallbackReason, Priority
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.schedule.schedule_view import day_schedule
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Appointment, Callback
from tests.conftest import CLINIC_DAY
from tests.helpers.engines import raw_connect

LATER = CLINIC_DAY + timedelta(days=10)


def with_settings(ctx, **changes):
    ctx.settings = replace(ctx.settings, **changes)
    return ctx


# --- loading ------------------------------------------------------------------------------------------


def test_new_settings_have_todays_defaults_and_load_from_file_and_environment(tmp_path, monkeypatch):
    settings = load_settings()
    assert (settings.recall_after_days, settings.failed_attempts_before_escalation,
            settings.alert_arrived_minutes, settings.alert_roomed_minutes,
            settings.alert_with_provider_minutes) == (365, 3, 20, 20, 60)
    path = tmp_path / "config.toml"
    path.write_text("recall_after_days = 180\nfailed_attempts_before_escalation = 5\n")
    monkeypatch.setenv("COORDINATOR_CONFIG", str(path))
    monkeypatch.setenv("COORDINATOR_ALERT_ARRIVED_MINUTES", "15")
    settings = load_settings()
    assert (settings.recall_after_days, settings.failed_attempts_before_escalation,
            settings.alert_arrived_minutes) == (180, 5, 15)
    assert settings.callback_retry_minutes == 120
    monkeypatch.setenv("COORDINATOR_CALLBACK_RETRY_MINUTES", "45")
    assert load_settings().callback_retry_minutes == 45


@pytest.mark.parametrize("name, raw, message", [
    ("FAILED_ATTEMPTS_BEFORE_ESCALATION", "0", "between 1 and 50"),
    ("RECALL_AFTER_DAYS", "-5", "between 1 and 3660"),
    ("ALERT_ROOMED_MINUTES", "twenty", "not a valid int"),
    ("ALERT_WITH_PROVIDER_MINUTES", "99999", "between 1 and 1440"),
    ("CALLBACK_RETRY_MINUTES", "0", "between 5 and 1440"),
    ("CALLBACK_RETRY_MINUTES", "2h", "not a valid int"),
])
def test_bad_settings_are_refused_by_name(monkeypatch, name, raw, message):
    monkeypatch.setenv(f"COORDINATOR_{name}", raw)
    with pytest.raises(UserError, match=message):
        load_settings()


# --- used by the services -----------------------------------------------------------------------------


def _fresh_item(ctx, actor, patient_id=20):
    item_id, _ = cb.create_by_hand(ctx, actor, patient_id=patient_id, reason=CallbackReason.OTHER,
                                   due_at=ctx.now() + timedelta(hours=1))
    cb.claim(ctx, actor, item_id)
    return item_id


def test_failed_calls_before_escalation_is_a_setting(ctx, desk_user, clock):
    item = _fresh_item(ctx, desk_user)
    for _ in range(2):
        work = cb.record_attempt(ctx, desk_user, item, CallbackOutcome.BUSY)
        clock.advance(minutes=10)
    assert not work.item.escalated  # the default is 3
    with_settings(ctx, failed_attempts_before_escalation=1)
    other = _fresh_item(ctx, desk_user, patient_id=21)
    work = cb.record_attempt(ctx, desk_user, other, CallbackOutcome.NO_ANSWER)
    assert work.item.escalated and work.item.priority is Priority.HIGH


def test_recall_interval_is_a_setting(ctx, desk_user, seeded_path):
    conn = raw_connect(seeded_path)
    # Patients seen once, 60 days ago, with nothing else booked.
    conn.execute("UPDATE appointments SET starts_at = '2026-09-24 14:00:00.000000', ends_at = "
                 "'2026-09-24 14:20:00.000000' WHERE id IN (SELECT id FROM appointments a WHERE "
                 "status = 'checked_out' AND NOT EXISTS (SELECT 1 FROM appointments b WHERE "
                 "b.patient_id = a.patient_id AND b.id <> a.id) ORDER BY id LIMIT 3)")
    conn.commit()
    lapsed = {r[0] for r in conn.execute("SELECT patient_id FROM appointments WHERE CAST(starts_at AS TEXT) LIKE '2026-09-24%'")}
    conn.close()
    assert lapsed
    cb.generate_recalls(ctx, desk_user)  # default 365 days: these are not due
    recalled = {i.patient_id for i in cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.RECALL))}
    assert not lapsed & recalled
    with_settings(ctx, recall_after_days=30)
    assert cb.generate_recalls(ctx, desk_user) >= 1
    recalls = cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.RECALL))
    assert lapsed <= {i.patient_id for i in recalls}
    assert any(i.note == "Recall due (30 days since last seen)" for i in recalls if i.patient_id in lapsed)


def test_status_alert_minutes_are_settings(ctx, desk_user):
    arrived = next(a for a in day_schedule(ctx, desk_user, CLINIC_DAY).appointments if a.status is S.ARRIVED)
    moment = arrived.status_since + timedelta(minutes=10)
    assert not arrived.held_too_long(moment)  # default 20 minutes
    with_settings(ctx, alert_arrived_minutes=5)
    again = next(a for a in day_schedule(ctx, desk_user, CLINIC_DAY).appointments if a.id == arrived.id)
    assert again.alert_after_minutes == 5 and again.held_too_long(moment)


# --- callbacks by hand ----------------------------------------------------------------------------------


def test_by_hand_refuses_a_duplicate_open_item_naming_it(ctx, desk_user):
    due = cb.due_at_on(ctx, CLINIC_DAY + timedelta(days=1))
    first, created = cb.create_by_hand(ctx, desk_user, patient_id=30, reason=CallbackReason.RESULTS,
                                       due_at=due, refuse_duplicate=True)
    assert created
    with pytest.raises(ConflictError, match=rf"open 'Results to discuss' callback \(#{first}, due"):
        cb.create_by_hand(ctx, desk_user, patient_id=30, reason=CallbackReason.RESULTS, due_at=due,
                          refuse_duplicate=True)
    # Another reason for the same patient is a separate item.
    _other, created = cb.create_by_hand(ctx, desk_user, patient_id=30, reason=CallbackReason.OTHER,
                                        due_at=due, refuse_duplicate=True)
    assert created


@pytest.mark.parametrize("changes, message", [
    ({"reason": "gossip"}, "choose a reason"),
    ({"priority": "whenever"}, "choose a reason and a priority"),
    ({"note": "a\x1b[2Jb"}, "control characters"),
    ({"note": "x" * 481}, "too long"),
    ({"patient_id": "5"}, "does not exist"),
    ({"due_at": "tomorrow"}, "date and time"),
])
def test_by_hand_refuses_bad_input_and_saves_nothing(ctx, desk_user, changes, message):
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(Callback))
    args = {"patient_id": 31, "reason": CallbackReason.OTHER, "due_at": ctx.now(), "priority": Priority.LOW,
            "note": "Ünïcode is fine", **changes}
    with pytest.raises(UserError, match=message):
        cb.create_by_hand(ctx, desk_user, refuse_duplicate=True, **args)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Callback)) == before


def test_due_dates_in_the_past_or_far_ahead_are_refused(ctx):
    with pytest.raises(UserError, match="in the past"):
        cb.due_at_on(ctx, CLINIC_DAY - timedelta(days=1))
    with pytest.raises(UserError, match="more than a year"):
        cb.due_at_on(ctx, CLINIC_DAY + timedelta(days=400))
    assert cb.due_at_on(ctx, CLINIC_DAY).astimezone(ctx.settings.tz).hour == 17


# --- booking from a callback ---------------------------------------------------------------------------


def _slot(ctx, actor):
    return booking.find_free_slots(ctx, actor, provider_id=1, type_code="FU", after=LATER, limit=1)[0]


def _count_appointments(ctx):
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Appointment))


def test_booking_from_a_callback_closes_it_and_keeps_its_own_appointment_link(ctx, desk_user):
    no_show = next(i for i in cb.list_queue(ctx, desk_user) if i.appointment_id is not None)
    cb.claim(ctx, desk_user, no_show.id)
    result = booking.book(ctx, desk_user, no_show.patient_id, 1, "FU", _slot(ctx, desk_user).starts_at,
                          close_callback_id=no_show.id)
    with ctx.db.read() as session:
        item = session.get(Callback, no_show.id)
        assert item.status == "done" and item.close_reason == f"booked appointment #{result.appointment_id}"
        assert item.appointment_id == no_show.appointment_id  # the original link stays


def test_booking_from_a_callback_changes_nothing_when_the_item_is_someone_elses(ctx, desk_user, clock):
    item = _fresh_item(ctx, actor_for(ctx, "super"), patient_id=40)  # claimed by the supervisor's desk
    before = _count_appointments(ctx)
    with pytest.raises(ConflictError, match="being worked by"):
        booking.book(ctx, desk_user, 40, 1, "FU", _slot(ctx, desk_user).starts_at, close_callback_id=item)
    with pytest.raises(UserError, match="for another patient"):
        booking.book(ctx, actor_for(ctx, "super"), 41, 1, "FU", _slot(ctx, desk_user).starts_at,
                     close_callback_id=item)
    assert _count_appointments(ctx) == before
    with ctx.db.read() as session:
        assert session.get(Callback, item).status == "open"
