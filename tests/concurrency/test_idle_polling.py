"""Live refresh that backs off: an idle desk asks the database at most a few tiny questions a
second (one `PRAGMA data_version` each), and another desk's check-in still appears within 2 s.

Idle is decided by the app's injected clock: the test moves the frozen clock past the idle
threshold instead of waiting."""

from __future__ import annotations

import asyncio
import time as wall

from sqlalchemy import event

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.appointment_status import change_status
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.desk import DeskScreen
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.screen import settle

SIZE = (80, 24)
WATCH_SECONDS = 3.0


class Counter:
    """Statements the app's own engine runs (reads and writes through the services)."""

    def __init__(self, engine):
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def run_for(pilot, seconds: float) -> float:
    started = wall.monotonic()
    while wall.monotonic() - started < seconds:
        await asyncio.sleep(0.05)
        await pilot.pause()
    return wall.monotonic() - started


async def test_an_idle_desk_polls_slowly_and_still_sees_another_desks_check_in(ctx, clock, desk_user,
                                                                               seeded_path):
    app = CoordinatorApp(ctx, desk_user)
    other_desk = make_context(seeded_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CheckinScreen)
        clock.advance(seconds=DeskScreen.IDLE_AFTER_SECONDS + 1)  # nobody typed since
        assert screen.is_idle()
        engine_queries = Counter(ctx.db.engine)
        polls_before = screen._watcher.queries
        elapsed = await run_for(pilot, WATCH_SECONDS)
        polls = screen._watcher.queries - polls_before
        engine_queries.close()
        per_second = polls / elapsed
        print(f"idle desk: {polls} data_version polls in {elapsed:.1f} s ({per_second:.2f}/s), "
              f"{engine_queries.count} other statements")
        # At most one poll per IDLE_POLL_SECONDS (+1 for the boundary), and nothing else.
        assert polls <= elapsed / DeskScreen.IDLE_POLL_SECONDS + 1
        assert engine_queries.count == 0

        target = next(r for r in day_appointments(ctx, desk_user, CLINIC_DAY) if r.status is S.CONFIRMED)
        change_status(other_desk, desk_user, target.id, S.ARRIVED)
        started = wall.monotonic()

        def arrived_shown() -> bool:
            return any(r.id == target.id and r.status is S.ARRIVED for r in screen.rows)

        while wall.monotonic() - started < 2.0 and not arrived_shown():
            await asyncio.sleep(0.05)
            await pilot.pause()
        assert arrived_shown(), "another desk's check-in did not appear in 2 s on an idle desk"
    other_desk.db.dispose()


async def test_a_key_makes_the_desk_active_again(ctx, clock, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        clock.advance(seconds=DeskScreen.IDLE_AFTER_SECONDS + 1)
        assert screen.is_idle()
        await pilot.press("a")
        assert not screen.is_idle()
