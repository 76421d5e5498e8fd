"""The Textual app: four desks as modes, switched by F2-F5 (or Alt+1-4, or the command palette
where function keys don't arrive), F1 for every key.

The app is handed its context (database, settings, clock) and the acting user, so tests can give
it a temporary database and a frozen clock.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from coordinator_tui.services import accounts
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.tui.commands import DeskCommands
from coordinator_tui.tui.screens.callbacks import CallbacksScreen
from coordinator_tui.tui.screens.checkin import CheckinScreen
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.patients import PatientsScreen
from coordinator_tui.tui.screens.schedule import ScheduleScreen
from coordinator_tui.tui.screens.signin import SignInScreen

DESKS = {
    "checkin": CheckinScreen,
    "schedule": ScheduleScreen,
    "patients": PatientsScreen,
    "callbacks": CallbacksScreen,
}
IDLE_CHECK_SECONDS = 15
# Alt+1-4 as most terminals send it, Esc + digit, reaches the app as the character macOS types for
# Option+digit (Textual maps Esc 1 to "¡"), which a focused search box would take as text before
# any binding saw it: on_event turns these keys into the desks first.
ALT_DIGIT_DESK = {"inverted_exclamation_mark": "checkin", "trade_mark_sign": "schedule",
                  "pound_sign": "patients", "cent_sign": "callbacks"}


class CoordinatorApp(App[int]):
    TITLE = "coordinator"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    MODES = {**DESKS, "signin": SignInScreen}
    DEFAULT_MODE = "checkin"
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        Binding("f1", "show_keys", "Keys", priority=True),
        # The footer shows one "F2-F5 Desks" hint; F1 lists each desk key. Alt+digit is the
        # fallback where function keys don't arrive (vt100 has no F5); most terminals send it as
        # Esc + digit, which on_event handles (see ALT_DIGIT).
        Binding("f2,alt+1", "switch_mode('checkin')", "Desks", key_display="F2-F5", priority=True,
                tooltip="F2 Check-in"),
        Binding("f3,alt+2", "switch_mode('schedule')", "Schedule desk", priority=True, show=False),
        Binding("f4,alt+3", "switch_mode('patients')", "Patients desk", priority=True, show=False),
        Binding("f5,alt+4", "switch_mode('callbacks')", "Callbacks desk", priority=True, show=False),
        # Lock at once (a patient walks up to the desk): F12, or Ctrl+L where F12 doesn't arrive.
        Binding("f12,ctrl+l", "lock", "Lock", key_display="F12", priority=True),
        Binding("ctrl+q", "quit", "Quit", key_display="^q", priority=True),
    ]

    def __init__(self, ctx: AppContext, actor: Actor | None = None, *,
                 prefill_username: str = "") -> None:
        """`actor` given: already signed in (tests); None: the sign-in screen comes first,
        with `prefill_username` typed in the username box."""
        if actor is None:
            self.DEFAULT_MODE = "signin"
        super().__init__()
        # No animations (scrolling, fading notifications): each frame of one costs bytes over SSH
        # and redraws on slow terminals. Whatever TEXTUAL_ANIMATIONS says.
        self.animation_level = "none"
        self.ctx = ctx
        self.actor = actor
        self.locked = actor is None
        self.prefill_username = prefill_username
        self.clinic_name = clinic_name(ctx)
        self.last_activity = ctx.now()
        self._desk_before_lock = "checkin"

    def _fatal_error(self) -> None:
        """An unexpected error: exit with one short line, never Textual's traceback with local
        variables (they would print patient data to the terminal and its scrollback)."""
        if os.environ.get("COORDINATOR_DEBUG"):
            super()._fatal_error()
            return
        from coordinator_tui.tui.crash_report import write_report

        error = self._exception
        self.bell()
        report = write_report(error)
        where = f" A redacted report: {report}." if report else ""
        self._exit_renderables.append(
            f"coordinator: unexpected error ({type(error).__name__ if error else 'unknown'}); "
            f"the screen was closed and nothing half-written was kept.{where} "
            "Set COORDINATOR_DEBUG=1 to see details."
        )
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        # The terminal's own 16-colour palette: readable on TERM=linux and old terminals.
        self.theme = "ansi-dark"
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """No blinking cursor: a blinking Input repaints its line twice a second (about 250 bytes
        a second over SSH while the desk sits idle). The cursor stays shown, steady."""
        widget = event.widget
        if getattr(widget, "cursor_blink", False):
            widget.cursor_blink = False

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """No desk before signing in (or while locked): the desks need a signed-in user."""
        if action in ("switch_mode", "lock") and self.locked:
            return False
        return True

    def switch_desk(self, mode: str) -> None:
        """The command palette's way to a desk: refused while signed out, like the keys."""
        if not self.locked:
            self.switch_mode(mode)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_activity = self.ctx.now()
            desk = ALT_DIGIT_DESK.get(event.key)
            if desk is not None:
                # Esc+digit: a search box would take its character as typed text before any
                # binding saw it, so the desk keys are handled here, first.
                event.stop()
                event.prevent_default()
                self.switch_desk(desk)
                return
        await super().on_event(event)

    # --- locking and signing in -----------------------------------------------------------

    def check_idle_lock(self) -> None:
        """Lock when no key was pressed for idle_lock_minutes (by the injected clock)."""
        idle = (self.ctx.now() - self.last_activity).total_seconds()
        if not self.locked and idle >= self.ctx.settings.idle_lock_minutes * 60:
            self.lock(idle=True)

    def action_lock(self) -> None:
        if not self.locked:
            self.lock(idle=False)

    def lock(self, *, idle: bool) -> None:
        """Replace everything with the lock screen: the desks, any modal and any half-typed form
        are discarded (not hidden), so no patient data stays on screen or in memory."""
        self.locked = True
        if self.current_mode in DESKS:
            self._desk_before_lock = self.current_mode
        accounts.lock(self.ctx, self.actor, idle=idle)
        self._show_signin(locked_user=self.actor.username)

    def _show_signin(self, locked_user: str | None) -> None:
        self.add_mode("locked", lambda: SignInScreen(locked_user))
        self.switch_mode("locked")
        self._reset_desks()

    def _reset_desks(self) -> None:
        for mode in [m for m in (*DESKS, "signin") if m in self._modes and m != self.current_mode]:
            self.remove_mode(mode)
        for mode, screen in DESKS.items():
            if mode not in self._modes:
                self.add_mode(mode, screen)

    def signed_in(self, actor: Actor) -> None:
        """Called by the sign-in screen. Another user than the locked one starts fresh desks."""
        previous = self.actor
        if previous is not None and previous.id != actor.id:
            accounts.logout(self.ctx, previous)
            self._desk_before_lock = "checkin"
        self.actor = actor
        self.locked = False
        self.last_activity = self.ctx.now()
        self.switch_mode(self._desk_before_lock if self.current_mode != "signin" else "checkin")
        for mode in ("locked", "signin"):
            if mode in self._modes:
                self.remove_mode(mode)

    async def action_quit(self) -> None:
        if self.actor is not None and not self.locked:
            accounts.logout(self.ctx, self.actor)
        await super().action_quit()

    def open_patient(self, patient_id: int) -> None:
        """Open a patient's record over the current desk (Esc comes back)."""
        from coordinator_tui.tui.screens.patient_record import PatientRecordScreen

        self.push_screen(PatientRecordScreen(patient_id))

    def register_patient(self, prefill: dict | None = None, *, quick: bool = True, on_done=None) -> None:
        """Open the registration form (quick walk-in fields; Ctrl+F for the full form).

        With `on_done`, the caller gets the registered patient (or None) and carries on with its
        own flow (a walk-in); without it, the new patient's record opens."""
        from coordinator_tui.tui.screens.patient_form import PatientFormScreen

        self.push_screen(PatientFormScreen(prefill=prefill, quick=quick, open_record=on_done is None), on_done)

    def action_show_keys(self) -> None:
        lines: list[tuple[str, str]] = [
            ("F2 / Alt+1", "Check-in desk"), ("F3 / Alt+2", "Schedule desk"),
            ("F4 / Alt+3", "Patients desk"), ("F5 / Alt+4", "Callbacks desk"),
        ]
        # Every key of an action (F12 / ^l), not just the first: where one key doesn't arrive,
        # the other is the way.
        keys_of: dict[str, list[str]] = {}
        described: dict[str, str] = {}
        for node, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if node is not self and node is not self.screen:
                continue  # widget-level keys (cursor movement...) are summarised below
            if binding.action.startswith("switch_mode") or binding.action == "command_palette":
                continue
            keys = keys_of.setdefault(binding.action, [])
            display = self.get_key_display(binding.with_key(binding.key, key_display=None))
            if display not in keys:
                keys.append(display)
            described.setdefault(binding.action, binding.description or binding.action)
        for action, keys in keys_of.items():
            lines.append((" / ".join(keys), described[action]))
        lines += [("^p", "Command palette: any desk or action by name"),
                  ("Up Down PgUp PgDn", "Move in a list")]
        self.push_screen(HelpScreen(lines))
