"""The one table of desks: every place that lists them (the modes, the F-key and Alt+digit
bindings, Esc+digit, the command palette, F1's first lines) reads it from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Desk:
    mode: str  # the app's mode name
    title: str  # as the palette and F1 say it: "Check-in" -> "Check-in desk"
    fkey: str  # "f2"
    digit: str  # Alt+digit, and Esc then digit: "1"
    # What most terminals' Alt+digit (Esc + digit) reaches Textual as: the character macOS types
    # for Option+digit (Textual maps Esc 1 to "¡").
    alt_char: str
    screen: str  # "module:Class" under coordinator_tui.tui.screens, imported on first use

    @property
    def name(self) -> str:
        return f"{self.title} desk"

    @property
    def module(self) -> str:
        return f"coordinator_tui.tui.screens.{self.screen.partition(':')[0]}"

    @property
    def screen_class(self) -> str:
        return self.screen.partition(":")[2]

    @property
    def keys(self) -> str:
        """The binding's keys: "f2,alt+1"."""
        return f"{self.fkey},alt+{self.digit}"

    @property
    def key_help(self) -> str:
        """How F1 writes the keys: "F2 / Alt+1"."""
        return f"{self.fkey.upper()} / Alt+{self.digit}"


DESKS: tuple[Desk, ...] = (
    Desk("checkin", "Check-in", "f2", "1", "inverted_exclamation_mark", "checkin.board:CheckinScreen"),
    Desk("schedule", "Schedule", "f3", "2", "trade_mark_sign", "schedule.schedule:ScheduleScreen"),
    Desk("patients", "Patients", "f4", "3", "pound_sign", "patients.desk:PatientsScreen"),
    Desk("callbacks", "Callbacks", "f5", "4", "cent_sign", "callbacks.desk:CallbacksScreen"),
    # F9: F6-F8 are the Check-in desk's cash-up and walk-in and the app's new callback.
    Desk("reports", "Reports", "f9", "5", "infinity", "reports.desk:ReportsScreen"),
)
FIRST_DESK = DESKS[0]
BY_MODE = {desk.mode: desk for desk in DESKS}
ALT_CHAR_DESK = {desk.alt_char: desk.mode for desk in DESKS}
DIGIT_DESK = {desk.digit: desk.mode for desk in DESKS}


def _fkeys_shown(desks: tuple[Desk, ...]) -> str:
    """The footer's one hint for all desk keys, short (a busy desk's footer has no column to
    spare at 80): runs of neighbouring keys joined, "F2-5,9"."""
    numbers = [int(desk.fkey[1:]) for desk in desks]
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "F" + ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


FKEYS_SHOWN = _fkeys_shown(DESKS)
