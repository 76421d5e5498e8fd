"""The Availability screen at 80x24 by keys alone: an admin changes Tuesday's hours and the
schedule follows; a front-desk user is refused; bad input changes nothing; a vacation over days
lists the booked patients before saving and calls each back once; a clinic holiday closes every
provider; an exception is deleted after confirming."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from textual.widgets import DataTable

from coordinator_tui.services import schedule as booking
from coordinator_tui.services.schedule.schedule_view import day_schedule
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import (
    Appointment,
    AuditEvent,
    AvailabilityException,
    AvailabilityTemplate,
    Callback,
)
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.schedule.availability import AvailabilityScreen
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from coordinator_tui.tui.widgets.confirm import ConfirmDialog
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.conftest import CLINIC_DAY, CLINIC_TZ, FREE_DAY, FREE_DAY_TYPED
from tests.helpers.screen import screen_text, wait_for_workers

SIZE = (80, 24)
TZ = ZoneInfo(CLINIC_TZ)
TUESDAY = 1


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).astimezone(UTC)


async def settle(app, pilot):
    await pilot.pause()
    await wait_for_workers(app)
    await pilot.pause()
    await wait_for_workers(app)
    await pilot.pause()


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def type_text(app, pilot, text):
    # Plain text into a field: the pilot hands each key over in turn; one settle after the last
    # (nothing a character starts runs in a worker).
    await pilot.press(*("space" if ch == " " else ch for ch in text))
    await settle(app, pilot)


async def clear_field(app, pilot):
    await press(app, pilot, "home", "ctrl+k")


async def open_availability(app, pilot):
    await settle(app, pilot)
    await press(app, pilot, "f3")
    assert isinstance(app.screen, ScheduleScreen)
    first = app.screen.schedule.providers[0]
    await press(app, pilot, "a")
    assert isinstance(app.screen, AvailabilityScreen) and app.screen.view is not None
    assert app.screen.view.provider_id == first.id
    return first


def templates_snapshot(ctx):
    with ctx.db.read() as session:
        return session.execute(select(AvailabilityTemplate.id, AvailabilityTemplate.weekday,
                                      AvailabilityTemplate.start_minute, AvailabilityTemplate.end_minute,
                                      AvailabilityTemplate.slot_minutes, AvailabilityTemplate.valid_from,
                                      AvailabilityTemplate.valid_to)
                               .order_by(AvailabilityTemplate.id)).all()


async def test_the_screen_fits_80x24(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        provider = await open_availability(app, pilot)
        text = screen_text(app)
        for needed in ("Mon", "Sun", "08:00-12:00,13:00-17:00", "20m", "Main clinic", provider.short_name,
                       "Exceptions", "Esc Back", "x Exception", "x add, d delete"):
            assert needed in text, text
        # Every line of the week fits without being cut.
        assert all(len(line) <= 80 for line in text.splitlines())


async def test_admin_changes_tuesday_and_the_schedule_follows(ctx):
    admin = actor_for(ctx, "admin")
    app = CoordinatorApp(ctx, admin)
    far = CLINIC_DAY + timedelta(days=20)
    tuesday = far + timedelta(days=(TUESDAY - far.weekday()) % 7)
    async with app.run_test(size=SIZE) as pilot:
        provider = await open_availability(app, pilot)
        await press(app, pilot, "down")  # Tuesday
        await press(app, pilot, "e")
        assert isinstance(app.screen, PromptModal)
        await clear_field(app, pilot)
        await type_text(app, pilot, "09:00-11:00,14:00-16:00")
        await press(app, pilot, "enter")
        await clear_field(app, pilot)
        await type_text(app, pilot, "30")
        await press(app, pilot, "enter", "enter")  # types: all
        await clear_field(app, pilot)
        await type_text(app, pilot, f"{tuesday:%m/%d/%Y}")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, AvailabilityScreen), screen_text(app)
        assert app.screen.view.as_of == tuesday
        assert app.screen.view.week[TUESDAY].blocks == ((540, 660), (840, 960))
        assert "09:00-11:00,14:00-16:00" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ScheduleScreen)
    schedule = day_schedule(ctx, admin, tuesday)
    column = next(c for c in schedule.providers if c.id == provider.id)
    free = [t.astimezone(TZ).strftime("%H:%M") for t, c in zip(schedule.times, column.cells, strict=True)
            if c.kind == "free"]
    assert free[0] == "09:00" and "08:00" not in free and "16:00" not in free
    slots = booking.find_free_slots(ctx, admin, provider_id=provider.id, type_code="FU", after=tuesday, limit=4)
    assert [s.starts_at for s in slots] == [at(tuesday, 9), at(tuesday, 9, 30), at(tuesday, 10),
                                            at(tuesday, 10, 30)]
    # The week before the change keeps the old hours (history kept).
    before = booking.find_free_slots(ctx, admin, provider_id=provider.id, type_code="FU",
                                     after=tuesday - timedelta(days=7), limit=1)
    assert before[0].starts_at == at(tuesday - timedelta(days=7), 8)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "availability.hours")) == 1


async def test_front_desk_can_look_but_not_edit(ctx, desk_user):
    """Issue 13: e is not offered to a role that may not change weekly hours (it was shown, then
    refused); x and d (exceptions) are."""
    before = templates_snapshot(ctx)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_availability(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "e Edit" not in footer and "(e edits)" not in screen_text(app)
        assert "x Exception" in footer
        await press(app, pilot, "down", "e")
        assert isinstance(app.screen, AvailabilityScreen)  # no form opened
    assert templates_snapshot(ctx) == before


async def test_bad_hours_show_a_message_and_change_nothing(ctx):
    before = templates_snapshot(ctx)
    app = CoordinatorApp(ctx, actor_for(ctx, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        await open_availability(app, pilot)
        await press(app, pilot, "down", "e")
        cases = [("hours", "12:00-08:00", "end must be after"), ("hours", "08:00-25:00", "not a time of day"),
                 ("hours", "08:00-12:00,11:00-13:00", "overlap"), ("slot", "0", "5 to 240"),
                 ("slot", "300", "5 to 240"), ("slot", "ten", "whole number"), ("types", "FU,ZZ", "ZZ"),
                 ("from", "T-3", "today or later"), ("from", "13/45", "date"),
                 ("hours", "08:00-08:10", "shorter than one slot")]
        fields = ["hours", "slot", "types", "from"]
        for field, value, message in cases:
            form = app.screen
            assert isinstance(form, PromptModal)
            form.query_one(f"#field-{field}").focus()
            await settle(app, pilot)
            await clear_field(app, pilot)
            await type_text(app, pilot, value)
            await press(app, pilot, "ctrl+s")
            assert app.screen is form, f"{value} was accepted"
            assert message in screen_text(app), (value, screen_text(app))
            # Put the good value back for the next case.
            good = {"hours": "08:00-12:00,13:00-17:00", "slot": "20", "types": "all", "from": "T+1"}[field]
            await clear_field(app, pilot)
            await type_text(app, pilot, good)
            assert field in fields
        await press(app, pilot, "escape")
        assert isinstance(app.screen, AvailabilityScreen)
    assert templates_snapshot(ctx) == before


async def test_vacation_lists_booked_patients_then_calls_each_back_once(ctx, desk_user):
    first, last = CLINIC_DAY + timedelta(days=2), CLINIC_DAY + timedelta(days=3)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        provider = await open_availability(app, pilot)
        with ctx.db.read() as session:
            booked = session.execute(select(Appointment.id, Appointment.patient_id).where(
                Appointment.provider_id == provider.id, Appointment.starts_at >= at(first, 0),
                Appointment.starts_at < at(last + timedelta(days=1), 0),
                Appointment.status.in_(["scheduled", "confirmed"]))).all()
            open_before = session.scalar(select(func.count()).select_from(Callback).where(
                Callback.reason == "rebook", Callback.status == "open"))
        assert booked
        await press(app, pilot, "x")
        assert isinstance(app.screen, PromptModal)
        await press(app, pilot, "enter")  # vacation
        await clear_field(app, pilot)
        await type_text(app, pilot, "T+2")
        await press(app, pilot, "enter")
        await type_text(app, pilot, "T+3")
        await press(app, pilot, "enter", "enter")
        await type_text(app, pilot, "Vacation")
        await press(app, pilot, "enter")
        # The confirmation lists what is booked, before anything is saved.
        assert isinstance(app.screen, ConfirmDialog)
        text = screen_text(app)
        assert f"{len(booked)} booked in that time" in text
        from coordinator_tui.store.models import Patient
        with ctx.db.read() as session:
            first_mrn = session.scalar(select(Patient.mrn).join(Appointment, Appointment.patient_id == Patient.id)
                                       .where(Appointment.id.in_([b[0] for b in booked]))
                                       .order_by(Appointment.starts_at, Appointment.id).limit(1))
        assert first_mrn in text
        if len(booked) > 5:
            assert f"... and {len(booked) - 5} more" in text
        with ctx.db.read() as session:
            assert session.scalar(select(func.count()).select_from(AvailabilityException)) == 0
        await press(app, pilot, "y", "enter")
        assert isinstance(app.screen, AvailabilityScreen)
        text = screen_text(app)
        assert f"{len(booked)} appointment(s) to" in text and f"{len({p for _a, p in booked})} callback(s) added" in text
        assert [e.kind for e in app.screen.view.exceptions] == ["vacation"]
    patients = {pid for _id, pid in booked}
    with ctx.db.read() as session:
        per_patient = dict(session.execute(select(Callback.patient_id, func.count()).where(
            Callback.patient_id.in_(patients), Callback.reason == "rebook", Callback.status == "open")
            .group_by(Callback.patient_id)).all())
        open_after = session.scalar(select(func.count()).select_from(Callback).where(
            Callback.reason == "rebook", Callback.status == "open"))
    assert per_patient == dict.fromkeys(patients, 1)
    assert open_after - open_before == len(patients)


async def test_clinic_holiday_closes_every_provider_and_can_be_deleted(ctx, desk_user):
    day = FREE_DAY
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_availability(app, pilot)
        await press(app, pilot, "x")
        await clear_field(app, pilot)
        await type_text(app, pilot, "holiday")
        await press(app, pilot, "enter")
        await clear_field(app, pilot)
        await type_text(app, pilot, FREE_DAY_TYPED)
        await press(app, pilot, "enter", "enter", "enter")
        await type_text(app, pilot, "Closed")
        await press(app, pilot, "enter")
        assert "No booked appointments" in screen_text(app)
        await press(app, pilot, "y", "enter")
        assert isinstance(app.screen, AvailabilityScreen)
        schedule = day_schedule(ctx, desk_user, day)
        assert len(schedule.providers) > 1
        assert all(c.kind == "blocked" for p in schedule.providers for c in p.cells)
        # Another provider's screen lists the same holiday.
        await press(app, pilot, "greater_than_sign")
        assert [(e.kind, e.who) for e in app.screen.view.exceptions] == [("holiday", "ALL")]
        # Delete it: d on the exceptions list, then y.
        await press(app, pilot, "d")
        assert "Tab to the exceptions" in screen_text(app)
        await press(app, pilot, "tab", "d")
        assert isinstance(app.screen, ConfirmDialog) and "Delete holiday" in screen_text(app)
        await press(app, pilot, "n", "enter")
        with ctx.db.read() as session:
            assert session.scalar(select(func.count()).select_from(AvailabilityException)) == 1
        await press(app, pilot, "d", "y", "enter")
        assert isinstance(app.screen, AvailabilityScreen) and app.screen.view.exceptions == ()
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityException)) == 0
    assert any(c.kind == "free" for p in day_schedule(ctx, desk_user, day).providers for c in p.cells)


async def test_bad_exception_input_changes_nothing(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_availability(app, pilot)
        await press(app, pilot, "x")
        form = app.screen
        for field, value, message in [("kind", "party", "kind:"), ("from", "T-1", "in the past"),
                                      ("from", "2/30", "not a real date"), ("to", "T", "before the first")]:
            form.query_one(f"#field-{field}").focus()
            await settle(app, pilot)
            await clear_field(app, pilot)
            await type_text(app, pilot, value)
            form.query_one("#field-reason").focus()
            await press(app, pilot, "enter")
            assert app.screen is form and message in screen_text(app), (value, screen_text(app))
            form.query_one(f"#field-{field}").focus()
            await settle(app, pilot)
            await clear_field(app, pilot)
            await type_text(app, pilot, {"kind": "vacation", "from": "T+1", "to": ""}[field])
        # A half-day with a bad part of the day.
        form.query_one("#field-kind").focus()
        await settle(app, pilot)
        await clear_field(app, pilot)
        await type_text(app, pilot, "half")
        form.query_one("#field-part").focus()
        await settle(app, pilot)
        await clear_field(app, pilot)
        await type_text(app, pilot, "15:00-13:00")
        await press(app, pilot, "enter", "enter")
        assert app.screen is form and "end must be after" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, AvailabilityScreen)
        assert app.screen.query_one("#avail-exceptions", DataTable).row_count == 1  # "(none)"
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityException)) == 0


async def test_cutting_hours_lists_the_booked_patients_and_calls_them_back_after_y(ctx):
    """Taking a day off the weekly hours never strands anyone silently: the patients booked in the
    hours that go away are listed first; n changes nothing; y saves and calls each back once."""
    from coordinator_tui.store.models import Patient

    admin = actor_for(ctx, "admin")
    app = CoordinatorApp(ctx, admin)
    async with app.run_test(size=SIZE) as pilot:
        provider = await open_availability(app, pilot)
        with ctx.db.read() as session:
            upcoming = session.execute(
                select(Appointment.id, Appointment.patient_id, Appointment.starts_at, Patient.mrn)
                .join(Patient, Patient.id == Appointment.patient_id)
                .where(Appointment.provider_id == provider.id,
                       Appointment.starts_at >= at(CLINIC_DAY + timedelta(days=1), 0),
                       Appointment.status.in_(["scheduled", "confirmed"]))
                .order_by(Appointment.starts_at, Appointment.id)).all()
        assert upcoming, "the demo books the first provider on the days after today"
        day = upcoming[0].starts_at.astimezone(TZ).date()
        booked = [row for row in upcoming if row.starts_at.astimezone(TZ).weekday() == day.weekday()]
        before = templates_snapshot(ctx)
        rebooks_before = open_rebook_counts(ctx)

        async def take_the_day_off():
            await press(app, pilot, *["down"] * day.weekday())
            await press(app, pilot, "e")
            assert isinstance(app.screen, PromptModal)
            await clear_field(app, pilot)
            await type_text(app, pilot, "off")
            await press(app, pilot, "enter", "enter", "enter")  # slot and types as they are
            await clear_field(app, pilot)
            await type_text(app, pilot, f"{day:%m/%d/%Y}")
            await press(app, pilot, "ctrl+s")

        await take_the_day_off()
        assert isinstance(app.screen, ConfirmDialog), screen_text(app)
        text = screen_text(app)
        assert f"{len(booked)} booked outside the new hours" in text, text
        assert booked[0].mrn in text
        await press(app, pilot, "n", "enter")
        assert isinstance(app.screen, AvailabilityScreen)
        assert "Nothing changed" in screen_text(app)
        assert templates_snapshot(ctx) == before
        assert open_rebook_counts(ctx) == rebooks_before

        await press(app, pilot, *["up"] * 7)  # back to Monday, as a fresh open of the screen
        await take_the_day_off()
        await press(app, pilot, "y", "enter")
        assert isinstance(app.screen, AvailabilityScreen), screen_text(app)
        text = screen_text(app)
        assert f"{len(booked)} appointment(s) to rebook" in text, text
    patients = {row.patient_id for row in booked}
    after = open_rebook_counts(ctx)
    assert all(after.get(p, 0) == 1 for p in patients)
    assert sum(after.values()) - sum(rebooks_before.values()) == len(patients - set(rebooks_before))


def open_rebook_counts(ctx) -> dict[int, int]:
    with ctx.db.read() as session:
        return dict(session.execute(select(Callback.patient_id, func.count()).where(
            Callback.reason == "rebook", Callback.status == "open").group_by(Callback.patient_id)).all())


async def test_a_location_or_reason_too_long_for_its_column_is_cut_visibly_and_shown_whole(
        ctx, desk_user, seeded_path):
    """QA: location, provider and reason were cut at their column's edge with nothing to say so,
    and nowhere shown whole. Cut cells end in an ellipsis; the line under the lists shows the
    highlighted row in full."""
    import sqlite3

    from coordinator_tui.services.schedule.blocks import block_time

    place = "Riverside East Wing Annex"
    reason = "staff training on the new X-ray unit"
    conn = sqlite3.connect(seeded_path)
    conn.execute("UPDATE locations SET name = ? WHERE id = 1", (place,))
    conn.commit()
    conn.close()
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        provider = await open_availability(app, pilot)
        block_time(ctx, actor_for(ctx, "super"), provider_id=provider.id,
                   starts_at=at(FREE_DAY, 9), ends_at=at(FREE_DAY, 10), reason=reason)
        await press(app, pilot, "escape", "a")  # open it again: the exception is listed
        text = screen_text(app)
        assert "Riverside E…" in text and f"at {place}," in " ".join(text.split())
        await press(app, pilot, "tab")
        text = " ".join(screen_text(app).split())
        assert "staff train…" in text and f": {reason} (d deletes)" in text
