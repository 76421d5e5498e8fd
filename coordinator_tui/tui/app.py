"""The Textual app: five desks as modes, switched by F2-F5 and F9 (or Alt+1-5, or the command palette
where function keys don't arrive), F1 for every key.

The app is handed its context (database, settings, clock) and the acting user, so tests can give
it a temporary database and a frozen clock.
"""

from __future__ import annotations

import gc
import importlib
import os
import time
from pathlib import Path

from textual import events
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App
from textual.binding import Binding
from textual.widgets import Input

from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.database import warm_page_cache
from coordinator_tui.tui.commands import DeskCommands
from coordinator_tui.tui.desks import ALT_CHAR_DESK, DIGIT_DESK, FIRST_DESK, FKEYS_SHOWN, Desk
from coordinator_tui.tui.desks import DESKS as DESK_TABLE
from coordinator_tui.tui.frame_diff import DiffUpdate, FrameDiff
from coordinator_tui.tui.hangup import exit_on_hangup
from coordinator_tui.tui.key_gate import KeyGate
from coordinator_tui.tui.screen_css import styled_as_made
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.signin import SignInScreen
from coordinator_tui.tui.stack_report import report_stacks_on_signal


def _desk(desk: Desk):
    """A desk screen made on first use. The desks import the services and with them the ORM and
    every model; importing them lazily lets the sign-in screen draw first (see
    store/startup_probe.py), while `preload_desks` loads them in the background."""
    def make():
        return styled_as_made(getattr(importlib.import_module(desk.module), desk.screen_class)())
    make.module = desk.module
    return make


DESKS = {desk.mode: _desk(desk) for desk in DESK_TABLE}
IDLE_CHECK_SECONDS = 15


def preload_desks(*, freeze: bool = False) -> None:
    """Import the desks (and the services, ORM and models behind them) ahead of the sign-in.

    With `freeze`, everything alive then (modules, classes, mappers, stylesheets: some 80,000
    objects that live as long as the process) is moved out of the garbage collector's sight, so
    that a full collection walks only what the desks create later. Without it such a collection
    stalls a keystroke for up to ~60 ms (bench_lookup: keystroke-to-drawn p99 74 -> 40 ms).
    Frozen garbage is never freed, so this runs once, before any desk or patient exists."""
    for make in DESKS.values():
        importlib.import_module(make.module)
    if freeze:
        gc.collect()
        gc.freeze()


# Alt+1-4 as most terminals send it, Esc + digit, reaches the app as the character macOS types for
# Option+digit (Textual maps Esc 1 to "¡"), which a focused search box would take as text before
# any binding saw it: on_event turns these keys into the desks first.
ALT_DIGIT_DESK = ALT_CHAR_DESK
# Esc, then 1-4 at a human pace, where neither function keys nor Alt arrive: an Esc with nothing
# to back out of (on a desk, no dialog, an empty search box) makes the next key, if it is a digit
# 1-4 typed within ESC_DIGIT_SECONDS, switch desks. Any Esc that backs out of something does not.
ESC_DIGIT_DESK = DIGIT_DESK
ESC_DIGIT_SECONDS = 1.5


class CoordinatorApp(App[int]):
    TITLE = "coordinator"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    # One stylesheet per desk after the shared one (all shipped as package data).
    CSS_PATH = [Path(__file__).parent / "styles" / f"{name}.tcss"
                for name in ("app", "checkin", "schedule", "patients", "callbacks", "reports")]
    MODES = {**DESKS, "signin": lambda: styled_as_made(SignInScreen())}
    DEFAULT_MODE = FIRST_DESK.mode
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        Binding("f1", "show_keys", "Keys", priority=True),
        # The footer shows one "F2-F5 Desks" hint; F1 lists each desk key. Alt+digit is the
        # fallback where function keys don't arrive (vt100 has no F5); most terminals send it as
        # Esc + digit, which on_event handles (see ALT_DIGIT).
        # (tui/desks.py: the first desk's binding carries the footer's hint; the rest are in F1.)
        *(Binding(desk.keys, f"switch_mode('{desk.mode}')", "Desks", key_display=FKEYS_SHOWN,
                  priority=True, tooltip=f"{desk.fkey.upper()} {desk.title}")
          if desk is FIRST_DESK else
          Binding(desk.keys, f"switch_mode('{desk.mode}')", desk.name, priority=True, show=False)
          for desk in DESK_TABLE),
        # Lock at once (a patient walks up to the desk): F12, or Ctrl+L where F12 doesn't arrive.
        Binding("f12,ctrl+l", "lock", "Lock", key_display="F12", priority=True),
        Binding("ctrl+q", "quit", "Quit", key_display="^q", priority=True),
        # A callback by hand from any desk or record (F1 lists it; the palette has it too).
        Binding("f8", "new_callback", "New callback", key_display="F8", priority=True, show=False),
    ]

    def __init__(self, ctx: AppContext, actor: Actor | None = None, *,
                 prefill_username: str = "", clinic_name: str | None = None,
                 demo: bool | None = None, place=None) -> None:
        """`actor` given: already signed in (tests); None: the sign-in screen comes first,
        with `prefill_username` typed in the username box."""
        if actor is None:
            self.DEFAULT_MODE = "signin"
        super().__init__()
        # The terminal's own 16-colour palette: readable on TERM=linux and old terminals. Set
        # before mounting, so the stylesheet is built once, not rebuilt for a theme change.
        self.theme = "ansi-dark"
        if self.no_color:
            from coordinator_tui.tui.no_color import use_readable_greys

            use_readable_greys(self._filters, self.ansi_theme)
        # No animations, whatever TEXTUAL_ANIMATIONS says: each frame costs bytes over SSH.
        self.animation_level = "none"
        self.ctx = ctx
        self.actor = actor
        self.locked = actor is None
        self.prefill_username = prefill_username
        if clinic_name is None:
            from coordinator_tui.services.clinic import clinic_name as stored_clinic_name

            clinic_name = stored_clinic_name(ctx)
        self.clinic_name = clinic_name
        if demo is None:
            from coordinator_tui.services.clinic import is_demo

            demo = is_demo(ctx)
        self.demo = demo  # a `coordinator demo` clinic: the sign-in screen names its logins
        # The location the Check-in and Schedule desks show (services/locations.py); Ctrl+O moves it.
        self.place = place  # from desk_location, resolved before the app starts (app_commands)
        self.last_activity = ctx.now()
        self._desk_before_lock = FIRST_DESK.mode
        # Every key goes through this one queue (tui/key_gate.py); _deliver_key's desk keys are no text.
        self.key_gate = KeyGate(self._deliver_key, focused=lambda: self.focused,
                                screen=self._screen_or_none, app_pump=self,
                                typed_as_text=lambda key: (key.key not in ALT_DIGIT_DESK
                                                           and self._esc_armed_at is None))
        # Only the cells that changed go to the terminal (tui/frame_diff.py).
        self._frame_diff = FrameDiff()

    def _display(self, screen, renderable) -> None:
        """Textual's frame, whole or in part, written as the cells that differ from what the
        terminal already shows (tui/frame_diff.py): a screen push or pop no longer costs a full
        frame, nor a repainted table the rows that stayed the same."""
        if (isinstance(renderable, (LayoutUpdate, ChopsUpdate)) and screen is self._screen_or_none()
                and self._running and not self._closed and not self.is_headless and not self._batch_count
                and self._driver is not None and not self._driver.is_inline):
            if isinstance(renderable, ChopsUpdate):
                renderable = screen._compositor.render_full_update()
            sequences = self._frame_diff.update(renderable.strips, screen.size.width, self.console)
            cursor = screen.outer_size.clamp_offset(self.cursor_position)
            if not sequences and cursor == self._previous_cursor_position:
                return
            renderable = DiffUpdate(sequences)
        elif renderable is not None:
            self._frame_diff.forget()
        super()._display(screen, renderable)

    def _screen_or_none(self):
        try:
            return self.screen
        except Exception:  # the stack is briefly empty while modes swap
            return None

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
            "Set COORDINATOR_DEBUG=1 to see details.")
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        # Back from a suspend (^z, fg), the terminal shows what the shell left: draw it all again.
        self.app_resume_signal.subscribe(self, lambda _app: self._frame_diff.forget(), immediate=True)
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)
        if self.locked:
            # Once the sign-in screen is up, load the desks while the user types their password.
            self.call_after_refresh(lambda: self.run_worker(self._prepare_desks, thread=True,
                                                            group="preload", exit_on_error=False))
        if not self.is_headless:  # a real terminal (tests under Pilot keep the process's handlers)
            exit_on_hangup(self)
            report_stacks_on_signal(self)  # kill -USR1: where the desk is (tui/stack_report.py)

    def _prepare_desks(self) -> None:
        """While the user signs in: load the desks, then read the database file into the page
        cache (services/database.py -> store/page_warmer.py) so the first search is as quick as the rest."""
        # Freeze only in a real terminal: a test process runs hundreds of apps one after
        # another, and freezing would keep every earlier app's garbage.
        preload_desks(freeze=not self.is_headless)
        warm_page_cache(self.ctx.db.path)
        from coordinator_tui.services.patients.lookup import warm_lookup

        warm_lookup(self.ctx)  # the name vocabulary in memory; on PostgreSQL a warm connection

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """No blinking cursor: a blinking Input repaints its line twice a second (about 250 bytes
        a second over SSH while the desk sits idle). The cursor stays shown, steady."""
        widget = event.widget
        if getattr(widget, "cursor_blink", False):
            widget.cursor_blink = False

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """No desk before signing in (or while locked): the desks need a signed-in user."""
        return not (action in ("switch_mode", "lock") and self.locked)

    def switch_desk(self, mode: str) -> None:
        """The command palette's way to a desk: refused while signed out, like the keys."""
        if not self.locked:
            self.switch_mode(mode)

    _esc_armed_at: float | None = None  # when an Esc with nothing to back out of armed 1-4

    def _esc_backs_out_of_nothing(self) -> bool:
        """Esc on a desk itself (no dialog, record or form over it) where it clears nothing: the
        cursor in an empty search box, or on a desk without one (Schedule not moving)."""
        if self.locked or self.current_mode not in DESKS or len(self.screen_stack) != 1:
            return False
        screen = self.screen
        if getattr(screen, "moving", None) is not None:
            return False  # Schedule: Esc stops a move
        if isinstance(screen.focused, Input):
            return not screen.focused.value
        return not screen.query(Input)  # in a desk's list, Esc puts the cursor back in its box

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            if isinstance(event, events.Key):
                self.last_activity = self.ctx.now()
            self.key_gate.take(event)  # delivered in order by _deliver_key
            return
        await super().on_event(event)

    async def _deliver_key(self, event: events.Event) -> None:
        """One key from the gate's queue, handled as Textual would (bindings, then the focus)."""
        if isinstance(event, events.Key):
            desk = ALT_DIGIT_DESK.get(event.key)
            armed, self._esc_armed_at = self._esc_armed_at, None
            if desk is None and armed is not None and time.monotonic() - armed <= ESC_DIGIT_SECONDS:
                desk = ESC_DIGIT_DESK.get(event.key)
                if desk == self.current_mode:
                    desk = None  # already there: the digit is typed as usual
            if event.key == "escape" and self._esc_backs_out_of_nothing():
                self._esc_armed_at = time.monotonic()
            if desk is not None:
                # Esc+digit: a search box would take its character as typed text before any
                # binding saw it, so the desk keys are handled here, first.
                event.stop()
                event.prevent_default()
                self.switch_desk(desk)
                return
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.key_gate.stop()

    # --- locking and signing in -----------------------------------------------------------

    def check_idle_lock(self) -> None:
        """Lock when no key was pressed for idle_lock_minutes (by the injected clock)."""
        idle = (self.ctx.now() - self.last_activity).total_seconds()
        if self.locked or self.actor is None:
            return
        until = self.actor.elevated_until
        if until is not None and self.ctx.now() >= until:
            # Emergency access ran out: lock; unlocking gives the account's own role back.
            from coordinator_tui.services.staff import accounts

            accounts.end_break_glass(self.ctx, self.actor)
            self.lock(idle=False, notice="Emergency access ended. Sign in again.")
        elif idle >= self.ctx.settings.idle_lock_minutes * 60:
            self.lock(idle=True)

    def get_system_commands(self, screen):
        """Textual's palette entries, less the ones that break our rules: Screenshot writes the
        screen, patient names and all, to a file; Theme would undo the 16-colour theme that
        keeps old terminals and NO_COLOR readable. Locked, only Quit is offered."""
        for command in super().get_system_commands(screen):
            if command.title in ("Screenshot", "Theme"):
                continue
            if self.locked and command.title != "Quit":
                continue
            yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.notify("Screenshots are off: they would put patient data in a file.", severity="warning")

    def action_lock(self) -> None:
        if not self.locked:
            self.lock(idle=False)

    def lock(self, *, idle: bool, notice: str = "") -> None:
        """Replace everything with the lock screen: the desks, any modal and any half-typed form
        are discarded (not hidden), so no patient data stays on screen or in memory."""
        self.locked = True
        if self.current_mode in DESKS:
            self._desk_before_lock = self.current_mode
        from coordinator_tui.services.staff import accounts

        accounts.lock(self.ctx, self.actor, idle=idle)
        self._show_signin(locked_user=self.actor.username, notice=notice)

    def _show_signin(self, locked_user: str | None, notice: str = "") -> None:
        self.add_mode("locked", lambda: styled_as_made(SignInScreen(locked_user, notice=notice)))
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
            from coordinator_tui.services.staff import accounts

            accounts.logout(self.ctx, previous)
            self._desk_before_lock = FIRST_DESK.mode
        self.actor = actor
        self.locked = False
        self.last_activity = self.ctx.now()
        self.switch_mode(self._desk_before_lock if self.current_mode != "signin" else FIRST_DESK.mode)
        for mode in ("locked", "signin"):
            if mode in self._modes:
                self.remove_mode(mode)

    async def action_quit(self) -> None:
        if self.actor is not None and not self.locked:
            from coordinator_tui.services.staff import accounts

            accounts.logout(self.ctx, self.actor)
        await super().action_quit()

    def open_patient(self, patient_id: int) -> None:
        """Open a patient's record over the current desk (Esc comes back)."""
        from coordinator_tui.tui.screens.patients.record import PatientRecordScreen

        self.push_screen(PatientRecordScreen(patient_id))

    def register_patient(self, prefill: dict | None = None, *, quick: bool = True, on_done=None) -> None:
        """Open the registration form (quick walk-in fields; Ctrl+F for the full form).

        With `on_done`, the caller gets the registered patient (or None) and carries on with its
        own flow (a walk-in); without it, the new patient's record opens."""
        from coordinator_tui.tui.screens.patients.form import PatientFormScreen

        self.push_screen(PatientFormScreen(prefill=prefill, quick=quick, open_record=on_done is None), on_done)

    def action_new_callback(self) -> None:
        """F8: a callback by hand, for the patient on screen if there is one."""
        from coordinator_tui.tui.screens.callbacks.new_callback import NewCallbackScreen

        if self.locked or self.actor is None or isinstance(self.screen, NewCallbackScreen):
            return
        if self.current_mode not in DESKS:
            return
        on_screen = getattr(self.screen, "patient_on_screen", None)
        patient_id = on_screen() if on_screen is not None else None
        self.push_screen(NewCallbackScreen(patient_id))

    def book_for_patient(self, patient_id: int, on_done=None, *, reason: str | None = None,
                         callback_id: int | None = None, callback_version: int | None = None) -> None:
        """Open the booking screen for one patient (Esc comes back). `on_done` gets the
        BookingResult, or None when nothing was booked. With `callback_id`, that callback
        closes as done in the booking's own transaction (unless changed since `callback_version`)."""
        from coordinator_tui.tui.screens.schedule.book_patient import BookForPatientScreen

        self.push_screen(BookForPatientScreen(patient_id, reason=reason, callback_id=callback_id,
                                              callback_version=callback_version), on_done)

    def action_show_keys(self) -> None:
        """F1: the desk keys, then what this screen does (its HELP_KEYS: Enter, digits, typing),
        then every key of this screen and of the app that the signed-in user can use now. Only
        our own bindings: Textual's (copy, focus next, palette internals) mean nothing at a desk."""
        from coordinator_tui.tui.screens.help import help_lines

        lines: list[tuple[str, str]] = [(desk.key_help, desk.name) for desk in DESK_TABLE]
        lines += help_lines(self, self.screen)
        lines += [("^p", "Command palette: any desk or action by name"),
                  ("Tab ↑ ↓ PgUp PgDn", "Between the box and the list; move in a list")]
        self.push_screen(HelpScreen(lines))
