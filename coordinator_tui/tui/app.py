"""The Textual app: four desks as modes, switched by F2-F5 (or Alt+1-4, or the command palette
where function keys don't arrive), F1 for every key.

The app is handed its context (database, settings, clock) and the acting user, so tests can give
it a temporary database and a frozen clock.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.tui.commands import DeskCommands
from coordinator_tui.tui.screens.callbacks import CallbacksScreen
from coordinator_tui.tui.screens.checkin import CheckinScreen
from coordinator_tui.tui.screens.help import HelpScreen
from coordinator_tui.tui.screens.patients import PatientsScreen
from coordinator_tui.tui.screens.schedule import ScheduleScreen


class CoordinatorApp(App[int]):
    TITLE = "coordinator"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    MODES = {
        "checkin": CheckinScreen,
        "schedule": ScheduleScreen,
        "patients": PatientsScreen,
        "callbacks": CallbacksScreen,
    }
    DEFAULT_MODE = "checkin"
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        Binding("f1", "show_keys", "Keys", priority=True),
        # The footer shows one "F2-F5 Desks" hint; F1 lists each desk key.
        Binding("f2,alt+1", "switch_mode('checkin')", "Desks", key_display="F2-F5", priority=True,
                tooltip="F2 Check-in"),
        Binding("f3,alt+2", "switch_mode('schedule')", "Schedule desk", priority=True, show=False),
        Binding("f4,alt+3", "switch_mode('patients')", "Patients desk", priority=True, show=False),
        Binding("f5,alt+4", "switch_mode('callbacks')", "Callbacks desk", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", key_display="^q", priority=True),
    ]

    def __init__(self, ctx: AppContext, actor: Actor) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.clinic_name = clinic_name(ctx)

    def _fatal_error(self) -> None:
        """An unexpected error: exit with one short line, never Textual's traceback with local
        variables (they would print patient data to the terminal and its scrollback)."""
        if os.environ.get("COORDINATOR_DEBUG"):
            super()._fatal_error()
            return
        error = self._exception
        self.bell()
        self._exit_renderables.append(
            f"coordinator: unexpected error ({type(error).__name__ if error else 'unknown'}); "
            "the screen was closed and nothing half-written was kept. "
            "Set COORDINATOR_DEBUG=1 to see details."
        )
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        # The terminal's own 16-colour palette: readable on TERM=linux and old terminals.
        self.theme = "ansi-dark"

    def open_patient(self, patient_id: int) -> None:
        """Open a patient's record over the current desk (Esc comes back)."""
        from coordinator_tui.tui.screens.patient_record import PatientRecordScreen

        self.push_screen(PatientRecordScreen(patient_id))

    def register_patient(self, prefill: dict | None = None, *, quick: bool = True) -> None:
        """Open the registration form (quick walk-in fields; Ctrl+F for the full form)."""
        from coordinator_tui.tui.screens.patient_form import PatientFormScreen

        self.push_screen(PatientFormScreen(prefill=prefill, quick=quick))

    def action_show_keys(self) -> None:
        lines: list[tuple[str, str]] = [
            ("F2 / Alt+1", "Check-in desk"), ("F3 / Alt+2", "Schedule desk"),
            ("F4 / Alt+3", "Patients desk"), ("F5 / Alt+4", "Callbacks desk"),
        ]
        shown: set[str] = set()
        for node, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if node is not self and node is not self.screen:
                continue  # widget-level keys (cursor movement...) are summarised below
            if binding.action.startswith("switch_mode") or binding.action in shown | {"command_palette"}:
                continue
            shown.add(binding.action)
            keys = binding.key_display or self.get_key_display(binding)
            lines.append((keys, binding.description or binding.action))
        lines += [("^p", "Command palette: any desk or action by name"),
                  ("Up Down PgUp PgDn", "Move in a list")]
        self.push_screen(HelpScreen(lines))
