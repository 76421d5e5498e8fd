"""A desk at one location of a clinic network: its Schedule and Check-in show that location's
day and name it in the header; Ctrl+O shows every location, then each, and every desk follows."""

from __future__ import annotations

from coordinator_tui.services.locations import find_location
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from tests.helpers.locations import NORTH, clinic_network
from tests.helpers.schedule import open_future_day, press
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def test_the_schedule_shows_the_desks_location_and_ctrl_o_moves_on(ctx, desk_user):
    net = clinic_network(ctx)
    app = CoordinatorApp(ctx, desk_user, place=find_location(ctx, NORTH))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert NORTH in screen_text(app).splitlines()[0]
        await open_future_day(app, pilot)
        assert [c.short_name for c in app.screen.schedule.providers] == [net.provider]
        await press(app, pilot, "ctrl+o")  # every location
        assert app.place is None
        names = [c.short_name for c in app.screen.schedule.providers]
        assert net.provider in names and len(names) > 1
        assert NORTH not in screen_text(app).splitlines()[0]
        await press(app, pilot, "ctrl+o")  # Main clinic
        assert app.place == net.main
        assert net.north_visit_id not in [a.id for a in app.screen.schedule.appointments]
        # The Check-in desk follows the location chosen here.
        await press(app, pilot, "f2")
        assert isinstance(app.screen, CheckinScreen)
        assert "Main clinic" in screen_text(app).splitlines()[0]


async def test_ctrl_o_in_a_one_location_clinic_says_so_and_changes_nothing(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = screen_text(app)
        await press(app, pilot, "ctrl+o")
        assert app.place is None
        assert "This clinic has one location." in " ".join(n.message for n in app._notifications)
        assert before.splitlines()[0] == screen_text(app).splitlines()[0]


async def test_the_reports_desk_counts_the_location_shown(ctx):
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.tui.screens.reports.desk import ReportsScreen

    clinic_network(ctx)
    app = CoordinatorApp(ctx, actor_for(ctx, "super"), place=find_location(ctx, NORTH))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f9")
        assert isinstance(app.screen, ReportsScreen)
        assert app.screen.report is not None and app.screen.report.title.endswith(f"at {NORTH}")
        await press(app, pilot, "ctrl+o")  # every location
        assert app.place is None and NORTH not in app.screen.report.title
