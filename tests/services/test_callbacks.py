"""The callback queue: filters, claims (one caller per item, also across real processes),
attempts and escalation, closing with a reason, automatic sources that never duplicate."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from coordinator_tui.domain.vocab import (
    AppointmentStatus,
    CallbackOutcome,
    CallbackReason,
    Priority,
)
from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY, NOW_HHMM
from tests.helpers.engines import raw_connect


def test_queue_is_sorted_and_filters_work(ctx, desk_user):
    items = cb.list_queue(ctx, desk_user)
    assert items
    assert [(i.priority.rank, i.due_at) for i in items] == sorted((i.priority.rank, i.due_at) for i in items)
    overdue = cb.list_queue(ctx, desk_user, cb.QueueFilter(overdue=True))
    assert overdue and all(i.overdue and i.due_at < ctx.now() for i in overdue)
    no_shows = cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.NO_SHOW))
    assert no_shows and {i.reason for i in no_shows} == {CallbackReason.NO_SHOW}
    assert cb.list_queue(ctx, desk_user, cb.QueueFilter(mine=True)) == []
    assert len(cb.list_queue(ctx, desk_user, cb.QueueFilter(unassigned=True))) == len(items)


def test_one_caller_per_item_and_claims_expire(ctx, desk_user, clock):
    item = cb.list_queue(ctx, desk_user)[0]
    cb.claim(ctx, desk_user, item.id)
    other = actor_for(ctx, "super")
    with pytest.raises(ConflictError, match="being worked by Dana Demo"):
        cb.claim(ctx, other, item.id)
    with pytest.raises(ConflictError):
        cb.record_attempt(ctx, other, item.id, CallbackOutcome.BUSY)
    assert cb.list_queue(ctx, other)[0].being_worked_by == "Dana Demo"
    clock.advance(minutes=6)  # the first desk went quiet
    work = cb.claim(ctx, other, item.id)
    assert work.item.being_worked_by == "Sam Supervisor"


def test_attempts_are_recorded_and_failures_escalate(ctx, desk_user, clock):
    item = next(i for i in cb.list_queue(ctx, desk_user) if i.priority is not Priority.HIGH)
    cb.claim(ctx, desk_user, item.id)
    for outcome in (CallbackOutcome.NO_ANSWER, CallbackOutcome.VOICEMAIL):
        work = cb.record_attempt(ctx, desk_user, item.id, outcome, note="tried\x07 mobile")
        assert not work.item.escalated
        clock.advance(minutes=30)
    work = cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.BUSY)
    assert work.item.escalated and work.item.priority is Priority.HIGH
    assert work.item.assigned_to == "Sam Supervisor"
    assert [a.outcome for a in work.attempts] == [CallbackOutcome.NO_ANSWER, CallbackOutcome.VOICEMAIL,
                                                  CallbackOutcome.BUSY]
    assert work.attempts[0].note == "tried mobile"  # control characters never reach the record


def test_a_second_failed_call_within_minutes_is_refused_and_never_escalates(ctx, desk_user, clock):
    item = next(i for i in cb.list_queue(ctx, desk_user) if i.priority is not Priority.HIGH)
    cb.claim(ctx, desk_user, item.id)
    cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.NO_ANSWER)
    for outcome in (CallbackOutcome.NO_ANSWER, CallbackOutcome.BUSY, CallbackOutcome.VOICEMAIL):
        clock.advance(seconds=30)
        with pytest.raises(UserError, match=f"already recorded 'no answer' at {NOW_HHMM}; wait before calling again"):
            cb.record_attempt(ctx, desk_user, item.id, outcome)
    clock.advance(seconds=29)  # 1 minute 59 seconds after the first call
    with pytest.raises(UserError, match="already recorded"):
        cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.NO_ANSWER)
    work = cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.REACHED)  # reaching them is news
    assert [a.outcome for a in work.attempts] == [CallbackOutcome.NO_ANSWER, CallbackOutcome.REACHED]
    assert not work.item.escalated
    clock.advance(seconds=1)  # the window has passed: a real second call
    work = cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.BUSY)
    assert len(work.attempts) == 3 and not work.item.escalated


def test_the_repeat_window_is_per_caller(ctx, desk_user, clock):
    item = cb.list_queue(ctx, desk_user)[0]
    cb.claim(ctx, desk_user, item.id)
    cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.VOICEMAIL)
    cb.release(ctx, desk_user, item.id)
    other = actor_for(ctx, "super")
    cb.claim(ctx, other, item.id)
    work = cb.record_attempt(ctx, other, item.id, CallbackOutcome.NO_ANSWER)  # someone else's own call
    assert [a.by for a in work.attempts] == ["Dana Demo", "Sam Supervisor"]


def test_closing_needs_a_reason_and_never_deletes(ctx, desk_user):
    item = cb.list_queue(ctx, desk_user)[0]
    with pytest.raises(UserError, match="why"):
        cb.close(ctx, desk_user, item.id, done=True, reason="   ")
    cb.close(ctx, desk_user, item.id, done=False, reason="patient moved away")
    assert item.id not in {i.id for i in cb.list_queue(ctx, desk_user)}
    conn = raw_connect(ctx.db.url)
    assert conn.execute("SELECT status, close_reason FROM callbacks WHERE id = ?", (item.id,)).fetchone() == \
        ("cancelled", "patient moved away")
    conn.close()
    with pytest.raises(UserError, match="already closed"):
        cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.BUSY)


def test_created_by_hand_once_per_patient_and_reason(ctx, desk_user):
    due = ctx.now() + timedelta(hours=2)
    first, created = cb.create_by_hand(ctx, desk_user, patient_id=5, reason=CallbackReason.PATIENT_REQUEST,
                                       due_at=due, note="asks about bill")
    again, created_again = cb.create_by_hand(ctx, desk_user, patient_id=5,
                                             reason=CallbackReason.PATIENT_REQUEST, due_at=due)
    assert created and not created_again and again == first
    with pytest.raises(UserError, match="does not exist"):
        cb.create_by_hand(ctx, desk_user, patient_id=10**8, reason=CallbackReason.OTHER, due_at=due)


def test_recalls_come_due_once(ctx, desk_user, seeded_path):
    conn = raw_connect(seeded_path)
    # Three patients last seen over a year ago, with nothing booked ahead.
    conn.execute("UPDATE appointments SET starts_at = '2025-10-01 14:00:00.000000', ends_at = "
                 "'2025-10-01 14:20:00.000000' WHERE id IN (SELECT id FROM appointments a WHERE "
                 "status = 'checked_out' AND NOT EXISTS (SELECT 1 FROM appointments b WHERE "
                 "b.patient_id = a.patient_id AND b.id <> a.id) ORDER BY id LIMIT 3)")
    conn.commit()
    lapsed = {r[0] for r in conn.execute("SELECT patient_id FROM appointments WHERE CAST(starts_at AS TEXT) LIKE '2025-10-01%'")}
    already = {r[0] for r in conn.execute("SELECT patient_id FROM callbacks WHERE reason = 'recall' AND status = 'open'")}
    conn.close()
    assert len(lapsed) >= 2
    made = cb.generate_recalls(ctx, desk_user)
    assert made == len(lapsed - already) >= 1
    assert cb.generate_recalls(ctx, desk_user) == 0
    recalls = cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.RECALL))
    assert lapsed <= {i.patient_id for i in recalls}


def test_confirmation_calls_for_the_next_clinic_day_and_confirming_by_phone(ctx, desk_user):
    made = cb.generate_confirmations(ctx, desk_user)
    tomorrow = [r for r in day_appointments(ctx, desk_user, CLINIC_DAY + timedelta(days=1))
                if r.status is AppointmentStatus.SCHEDULED]
    # One item per patient (a seeded confirmation item may already stand for one of them).
    assert 0 < made <= len({r.patient_id for r in tomorrow})
    assert cb.generate_confirmations(ctx, desk_user) == 0
    item = next(i for i in cb.list_queue(ctx, desk_user, cb.QueueFilter(reason=CallbackReason.CONFIRMATION))
                if i.appointment_id is not None)
    cb.claim(ctx, desk_user, item.id)
    cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.REACHED)
    cb.confirm_appointment_by_phone(ctx, desk_user, item.id)
    rows = {r.id: r for r in day_appointments(ctx, desk_user, CLINIC_DAY + timedelta(days=1))}
    assert rows[item.appointment_id].status is AppointmentStatus.CONFIRMED
    assert item.id not in {i.id for i in cb.list_queue(ctx, desk_user)}


def test_figures(ctx, desk_user, clock):
    item = cb.list_queue(ctx, desk_user)[0]
    clock.advance(minutes=30)
    cb.claim(ctx, desk_user, item.id)
    cb.record_attempt(ctx, desk_user, item.id, CallbackOutcome.REACHED)
    cb.close(ctx, desk_user, item.id, done=True, reason="booked")
    figures = cb.figures(ctx, desk_user, ctx.today())  # half an hour on: maybe the next day
    assert figures.closed_today == 1
    assert figures.open == len(cb.list_queue(ctx, desk_user))
    assert figures.median_minutes_to_first_attempt is not None and figures.median_minutes_to_first_attempt > 0
    assert sum(figures.open_by_reason.values()) == figures.open


CLAIM_IN_CHILD = """
import sys, time
from coordinator_tui.clock import SystemClock
from coordinator_tui.config import Settings
from coordinator_tui.errors import ConflictError
from coordinator_tui.services.callbacks import claim
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.staff import actor_for
from coordinator_tui.store.engine import Database
url, user, item, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ctx = AppContext(db=Database(url), settings=Settings(db_url=url))
actor = actor_for(ctx, user)
while time.time() < start:
    pass
try:
    claim(ctx, actor, item)
    print("won")
except ConflictError:
    print("lost")
"""


def test_two_desks_claiming_the_same_item_at_once_one_wins(ctx, desk_user):
    import time

    items = cb.list_queue(ctx, desk_user)[:5]
    for item in items:
        start = time.time() + 1.0
        procs = [subprocess.Popen([sys.executable, "-c", CLAIM_IN_CHILD, ctx.db.url, user, str(item.id),
                                   str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for user in ("demo", "super")]
        outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
        assert outcomes == ["lost", "won"], [p.stderr for p in procs]


def test_a_failed_call_puts_the_item_back_so_the_next_comes_first(ctx, desk_user, clock):
    """Issue 13: after `3 No answer` the item stayed first and OVERDUE."""
    before = cb.list_queue(ctx, desk_user)
    first = before[0]  # urgent, due at noon
    cb.claim(ctx, desk_user, first.id)
    work = cb.record_attempt(ctx, desk_user, first.id, CallbackOutcome.NO_ANSWER)
    due_local = work.item.due_at.astimezone(ctx.settings.tz)
    assert (due_local.date(), due_local.hour, due_local.minute) == (CLINIC_DAY, 12, 45)  # 10:45 + 2 h
    assert not work.item.overdue and work.item.retry_pending
    after = cb.list_queue(ctx, desk_user)
    assert after[0].id == before[1].id  # the next item comes first
    assert after[-1].id == first.id  # waiting for its retry: after every item callable now
    assert first.id not in {i.id for i in cb.list_queue(ctx, desk_user, cb.QueueFilter(overdue=True))}

    clock.advance(hours=2, minutes=1)  # the retry is due: back in its place, overdue again
    again = cb.list_queue(ctx, desk_user)
    assert not next(i for i in again if i.id == first.id).retry_pending
    assert again[0].id == first.id

    cb.claim(ctx, desk_user, first.id)
    clock.advance(hours=3)  # 15:46: two more hours would be after calling hours
    work = cb.record_attempt(ctx, desk_user, first.id, CallbackOutcome.BUSY)
    due_local = work.item.due_at.astimezone(ctx.settings.tz)
    assert (due_local.date(), due_local.hour) == (CLINIC_DAY + timedelta(days=1), 9)  # next morning


def test_the_retry_interval_is_a_setting_and_never_pulls_an_item_forward(ctx, desk_user):
    import dataclasses

    quick = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, callback_retry_minutes=30))
    queue = cb.list_queue(ctx, desk_user)
    first, later = next(i for i in queue if i.overdue), queue[-1]
    cb.claim(quick, desk_user, first.id)
    work = cb.record_attempt(quick, desk_user, first.id, CallbackOutcome.VOICEMAIL)
    assert work.item.due_at == ctx.now() + timedelta(minutes=30)
    # An item due later than the retry keeps its due time.
    far = cb.create_by_hand(ctx, desk_user, patient_id=later.patient_id, reason=CallbackReason.REFERRAL,
                            due_at=cb.due_at_on(ctx, CLINIC_DAY + timedelta(days=5)))[0]
    cb.claim(ctx, desk_user, far)
    work = cb.record_attempt(ctx, desk_user, far, CallbackOutcome.NO_ANSWER)
    assert work.item.due_at == cb.due_at_on(ctx, CLINIC_DAY + timedelta(days=5))


def test_the_escalating_call_leaves_the_item_due_for_the_supervisor(ctx, desk_user, clock):
    item = next(i for i in cb.list_queue(ctx, desk_user) if i.priority is not Priority.HIGH and i.overdue)
    cb.claim(ctx, desk_user, item.id)
    for outcome in (CallbackOutcome.NO_ANSWER, CallbackOutcome.VOICEMAIL, CallbackOutcome.BUSY):
        work = cb.record_attempt(ctx, desk_user, item.id, outcome)
        clock.advance(minutes=30)
    assert work.item.escalated and work.item.due_at < ctx.now()  # due now: a supervisor decides
