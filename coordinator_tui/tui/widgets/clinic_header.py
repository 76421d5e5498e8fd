"""One line: desk, clinic, date and time (to the minute), who is signed in.

Updated once a minute on the minute: a seconds display would repaint (and send bytes over SSH)
every second for nothing.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Static

from coordinator_tui.tui.quiet import update_text


class ClinicHeader(Static):

    class Minute(Message):
        """The clock turned a minute: the screen may refresh what counts minutes (wait times),
        in the same moment as the clock, so an idle desk writes once a minute at most."""

    def __init__(self, desk: str) -> None:
        super().__init__("", id="clinic-header")
        self.desk = desk

    def on_mount(self) -> None:
        self.refresh_text()
        self._schedule_next_tick()

    def _schedule_next_tick(self) -> None:
        now = self.app.ctx.now()
        self.set_timer(60 - now.second - now.microsecond / 1e6 + 0.05, self._tick)

    def _tick(self) -> None:
        self.refresh_text()
        self._schedule_next_tick()
        self.post_message(self.Minute())

    def refresh_text(self) -> None:
        app = self.app
        local = app.ctx.local(app.ctx.now())
        who = app.actor.display_name
        if app.actor.elevated_until is not None:
            who = f"EMERGENCY until {app.ctx.local(app.actor.elevated_until):%H:%M} │ {who}"
        fixed = f"{self.desk} │  │ {local:%a %d %b %Y %H:%M} │ {who}"
        room = max(8, (self.size.width or 80) - 2 - len(fixed))
        place = getattr(app, "place", None)  # a clinic network: the location shown
        name = f"{place.name} · {app.clinic_name}" if place is not None else app.clinic_name
        clinic = name if len(name) <= room else name[: room - 1] + "…"
        update_text(self, f"{self.desk} │ {clinic} │ {local:%a %d %b %Y %H:%M} │ {who}")
