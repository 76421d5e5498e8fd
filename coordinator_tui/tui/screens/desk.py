"""What every desk screen shares: the header line, the footer of keys, and loading data in a
thread worker so typing never waits on the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ScreenStackError
from textual.screen import Screen

from coordinator_tui.tui.service_call import (
    IGNORE_KEYS,
    TEXT_PASSES,
    WAIT_FOR_ANSWER,
    call_service,
)

# Loads no key depends on: live-refresh polling and the patient count.
BACKGROUND_GROUPS = frozenset({"watch", "count"})
# Reads that run while someone types in a search box: letters go on into the box meanwhile;
# any other key waits for the answer. Everything else (a save, a check-in, a booking) holds
# every key until it answers, so nothing typed ahead goes into a form that is about to close.
TYPING_GROUPS = frozenset({"load", "search", "lookup"})
# Shown until the server answers again (then cleared): services/database.py says the same.
LOST_LINE = "The database server cannot be reached: reconnecting…"
LOST_SECONDS = 3600


class DeskScreen(Screen):
    """A desk. Subclasses call `self.load(fetch, show)`: `fetch` runs in a thread (it may call
    services, never touch widgets), `show` runs on the UI thread with its result."""

    DESK_TITLE = ""
    # Live refresh: another desk's commit shows within POLL_SECONDS while someone is typing here,
    # within IDLE_POLL_SECONDS (+ the reload) once no key was pressed for IDLE_AFTER_SECONDS.
    # Each poll is one `PRAGMA data_version` on the watcher's connection (no table read).
    POLL_SECONDS = 0.5
    IDLE_POLL_SECONDS = 1.5
    IDLE_AFTER_SECONDS = 10

    def watch_for_changes(self, on_change: Callable[[], None]) -> None:
        """Call `on_change` (on the UI thread) soon after another desk's commit, while this
        screen is shown. The database is asked in a thread worker."""
        from coordinator_tui.services.live import open_watcher

        self._watcher = open_watcher(self.app.ctx)
        self._ticks_since_poll = 0
        self._on_change = on_change
        self.set_interval(self.POLL_SECONDS, self._poll_changes)

    def is_idle(self) -> bool:
        """No key for IDLE_AFTER_SECONDS, by the app's (injected) clock."""
        last = getattr(self.app, "last_activity", None)
        if last is None:
            return False
        return (self.app.ctx.now() - last).total_seconds() >= self.IDLE_AFTER_SECONDS

    def _showing(self) -> bool:
        """This desk is the top screen. False while a dialog covers it, and while the app swaps
        modes or shuts down (the screen stack is briefly empty then and a timer may still fire)."""
        try:
            return self.app.screen is self
        except ScreenStackError:
            return False

    def _poll_changes(self) -> None:
        if not self._showing():
            return
        self._ticks_since_poll += 1
        idle_every = max(1, round(self.IDLE_POLL_SECONDS / self.POLL_SECONDS))
        # A pushed watcher (PostgreSQL LISTEN/NOTIFY) costs the database nothing to ask: every tick.
        pushed = getattr(self._watcher, "pushed", False)
        if self.is_idle() and not pushed and self._ticks_since_poll < idle_every:
            return
        self._ticks_since_poll = 0
        watcher = self._watcher
        self._say_link(watcher)
        self.load(watcher.changed, self._changes_seen, group="watch")

    def _say_link(self, watcher) -> None:
        """PostgreSQL: one line when the desk's listening connection lost the server, and one
        when it is back. The listener reconnects by itself (store/pg_listen.py), to whichever
        server of the URL takes writes, and its reconnect reloads the desk, which connects the
        rest again."""
        link = getattr(watcher, "connected", None)
        if link is None:  # SQLite: a file, no server to lose
            return
        up, was = link.is_set(), getattr(self, "_link_up", None)
        if was is None and not up:
            return  # still making its first connection
        self._link_up = up
        if was and not up:
            self.notify(LOST_LINE, severity="warning", timeout=LOST_SECONDS)
        elif was is False and up:
            self.app.clear_notifications()
            self.notify("Reconnected to the database server.", timeout=4)

    def _changes_seen(self, changed: bool) -> None:
        if changed:
            self._on_change()

    def on_unmount(self) -> None:
        watcher = getattr(self, "_watcher", None)
        if watcher is not None:
            watcher.close()

    # --- the location shown (services/locations.py) ----------------------------------------------

    def place_id(self) -> int | None:
        """The location this desk shows (the app's, shared by every desk), None for all."""
        place = getattr(self.app, "place", None)
        return place.id if place is not None else None

    def on_screen_resume(self) -> None:
        # Textual calls this besides a desk's own handler: another desk may have switched the
        # location meanwhile, and the header names it.
        self._name_place()

    def _name_place(self) -> None:
        from coordinator_tui.tui.widgets.clinic_header import ClinicHeader

        for header in self.query(ClinicHeader):
            header.refresh_text()

    def action_other_location(self) -> None:
        """Ctrl+O: the next location's day (every location, then each by name, then every
        location again); every desk follows, and the header names the one shown."""
        from coordinator_tui.services.locations import clinic_locations, next_place, place_words

        ctx = self.app.ctx

        def chosen(places) -> None:
            if len(places) < 2:
                self.notify("This clinic has one location.", timeout=4)
                return
            self.app.place = next_place(places, getattr(self.app, "place", None))
            self._name_place()
            self.notify(f"Showing {place_words(self.app.place)}.", timeout=4)
            reload = getattr(self, "action_reload", None)
            if reload is not None:
                reload()

        self.load(lambda: clinic_locations(ctx), chosen, group="places")

    def load(self, fetch: Callable[[], Any], show: Callable[[Any], None], *, group: str = "load") -> None:
        """`fetch` in a thread, then `show` with its answer; a newer load of the same group
        replaces an older one. Keys typed meanwhile wait for the answer (Enter acts on the rows
        it draws), except text for a search box behind a read, and nothing waits for polling."""
        keys = (IGNORE_KEYS if group in BACKGROUND_GROUPS
                else TEXT_PASSES if group in TYPING_GROUPS else WAIT_FOR_ANSWER)
        call_service(self, fetch, show, group=group, keys=keys)
