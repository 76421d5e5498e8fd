"""A callback by hand with one key (F8) from every desk and the patient record, by keys alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from coordinator_tui.store.models import Callback, Patient
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.new_callback import (
    NewCallbackScreen,
    priority_from,
    reason_from,
)
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def open_items(ctx, patient_id):
    with ctx.db.read() as session:
        return session.scalars(select(Callback).where(Callback.patient_id == patient_id,
                                                      Callback.status == "open").order_by(Callback.id)).all()


def count_all(ctx):
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Callback))


def mrn_of(ctx, patient_id):
    with ctx.db.read() as session:
        return session.get(Patient, patient_id).mrn


def test_reason_and_priority_words():
    assert reason_from("3").value == "insurance" and reason_from("ins").value == "insurance"
    assert reason_from("0") is None and reason_from("42") is None and reason_from("") is None
    assert reason_from("r") is None  # rebook, results, recall: ambiguous
    assert priority_from("h").value == "high" and priority_from("URGENT").value == "urgent"
    assert priority_from("x") is None and priority_from("") is None


async def test_f8_from_the_record_prefills_the_patient_and_refuses_a_duplicate(ctx, desk_user):
    pid = 11
    before = {c.id for c in open_items(ctx, pid)}
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f4", *mrn_of(ctx, pid), "enter")
        assert isinstance(app.screen, PatientRecordScreen)
        await press(app, pilot, "f8")
        screen = app.screen
        assert isinstance(screen, NewCallbackScreen) and screen.patient_id == pid
        assert mrn_of(ctx, pid) in screen_text(app)
        # Reason 3 (insurance), high, due in two days, a note; Enter on the note saves.
        await press(app, pilot, "ctrl+u", "3", "enter", "ctrl+u", "h", "enter", "ctrl+u", *"T+2", "enter",
                    *"card expired", "enter")
        assert isinstance(app.screen, PatientRecordScreen)
        [new] = [c for c in open_items(ctx, pid) if c.id not in before]
        due = datetime.combine(CLINIC_DAY + timedelta(days=2), time(17), tzinfo=ctx.settings.tz)
        assert (new.reason, new.priority, new.note, new.created_by_id) == ("insurance", "high", "card expired",
                                                                            desk_user.id)
        assert new.due_at == due
        total = count_all(ctx)
        await press(app, pilot, "f8", "ctrl+u", *"ins", "ctrl+s")
        assert isinstance(app.screen, NewCallbackScreen)
        assert f"already has an open 'Insurance problem' callback (#{new.id}" in screen_text(app)
        assert count_all(ctx) == total
        await press(app, pilot, "escape")  # "ins" was typed: asked first (tests/tui/test_discard_on_esc.py)
        assert "Discard changes? y/n" in screen_text(app)
        await press(app, pilot, "y")
        assert isinstance(app.screen, PatientRecordScreen)


async def test_f8_on_the_checkin_desk_searches_with_the_lookup_and_checks_each_field(ctx, desk_user):
    pid = 12
    mrn = mrn_of(ctx, pid)
    total = count_all(ctx)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f8")
        screen = app.screen
        assert isinstance(screen, NewCallbackScreen) and screen.patient_id is None
        await press(app, pilot, "ctrl+s")  # no patient yet
        assert "Choose the patient first" in screen_text(app)
        await press(app, pilot, *"zzzqqxx", "enter")
        assert "No patient matches" in screen_text(app)
        await press(app, pilot, *["backspace"] * 7, *mrn, "enter")
        assert screen.patient_id == pid and app.focused.id == "newcb-reason"
        await press(app, pilot, "ctrl+u", *"42", "ctrl+s")
        assert "Reason: a number" in screen_text(app) and app.focused.id == "newcb-reason"
        await press(app, pilot, "ctrl+u", "9", "enter", "ctrl+u", "x", "ctrl+s")
        assert "Priority:" in screen_text(app) and app.focused.id == "newcb-priority"
        await press(app, pilot, "ctrl+u", "n", "enter", "ctrl+u", *"2/30", "ctrl+s")
        assert "not a real date" in screen_text(app)
        await press(app, pilot, "ctrl+u", *"T-1", "ctrl+s")
        assert "in the past" in screen_text(app)
        assert count_all(ctx) == total  # nothing saved by any refusal
        await press(app, pilot, "ctrl+u", "T", "enter", *"ring back", "ctrl+s")
        assert not isinstance(app.screen, NewCallbackScreen)
    [item] = [c for c in open_items(ctx, pid) if c.reason == "other"]
    assert item.note == "ring back" and count_all(ctx) == total + 1


async def test_several_matches_are_numbered_and_picked_by_digit(ctx, desk_user):
    with ctx.db.read() as session:
        family = session.scalar(select(Patient.family_name).group_by(Patient.family_name)
                                .having(func.count() >= 3).limit(1))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f8", *family, "enter")
        screen = app.screen
        assert len(screen.matches) >= 3 and "picks one" in screen_text(app)
        await press(app, pilot, "2")
        assert screen.patient_id == screen.matches[1].id and app.focused.id == "newcb-reason"


async def test_the_same_key_on_every_desk_and_in_f1(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for desk in ("f2", "f3", "f4", "f5"):
            await press(app, pilot, desk, "f8")
            assert isinstance(app.screen, NewCallbackScreen), desk
            await press(app, pilot, "escape")
            assert not isinstance(app.screen, NewCallbackScreen)
        await press(app, pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        # F1 scrolls; the Callbacks desk's own keys come first, then the app's (F8 among them).
        assert ("F8", "New callback") in app.screen.lines
        await press(app, pilot, "escape", "f3")
        # On the schedule the appointment under the cursor's patient is filled in.
        screen = app.screen
        _provider, row = screen.current()
        target = next(r for r in range(len(screen.schedule.times))
                      if screen.schedule.cell(_provider, r).appointment is not None)
        await press(app, pilot, *(["down"] * (target - row) if target > row else ["up"] * (row - target)))
        expected = screen.current_cell()[0].appointment.patient_id
        await press(app, pilot, "f8")
        assert isinstance(app.screen, NewCallbackScreen) and app.screen.patient_id == expected
