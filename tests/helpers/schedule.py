"""Driving the day schedule by keys: open a day with every slot free, book its first slot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.store.models import Appointment, Patient
from coordinator_tui.tui.screens.schedule.schedule import ScheduleScreen
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.conftest import CLINIC_DAY, FREE_DAY
from tests.helpers.screen import settle

FUTURE = FREE_DAY  # beyond the demo's bookings, a weekday: every slot free
AHEAD = (FUTURE - CLINIC_DAY).days


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def open_future_day(app, pilot):
    await press(app, pilot, "f3")
    assert isinstance(app.screen, ScheduleScreen)
    await press(app, pilot, "g")
    assert isinstance(app.screen, PromptModal)
    await press(app, pilot, *f"T+{AHEAD}", "enter")
    assert isinstance(app.screen, ScheduleScreen) and app.screen.day == FUTURE


def mrn_of(ctx, patient_id):
    with ctx.db.read() as session:
        return session.get(Patient, patient_id).mrn


def appointments_of(ctx, patient_id):
    with ctx.db.read() as session:
        return session.scalars(select(Appointment).where(Appointment.patient_id == patient_id,
                                                         Appointment.starts_at >= day_bounds_utc(
                                                             FUTURE, ctx.settings.tz)[0])
                               .order_by(Appointment.id)).all()


async def book_first_slot(app, pilot, ctx, patient_id):
    screen = app.screen
    first_provider = screen.schedule.providers[0]
    await press(app, pilot, "b")
    assert isinstance(app.screen, PromptModal)
    await press(app, pilot, *mrn_of(ctx, patient_id), "enter", "enter", *f"T+{AHEAD - 1}", "enter")
    assert isinstance(app.screen, ScheduleScreen)
    [appt] = appointments_of(ctx, patient_id)
    assert appt.provider_id == first_provider.id
    assert appt.starts_at == screen.schedule.times[0] and appt.desired_date == FUTURE - timedelta(days=1)
    return appt
