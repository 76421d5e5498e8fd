"""The footer of keys, with the keys every screen shares first.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, so at 80
columns the app's "F1 Keys" and "F2-F5 Desks" were the ones cut off on a busy desk. Here they come
first, the screen's own keys follow and F12 Lock ends the line. Every screen keeps its shown keys
within 80 columns (tests/tui/test_footer_fit.py walks them): a binding the screen says is not
usable now (check_action False or None) is left out rather than shown dimmed, and Quit and the
command palette are not repeated here; F1 lists every key.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from coordinator_tui.tui.desks import FIRST_DESK

FIRST = ("show_keys", f"switch_mode('{FIRST_DESK.mode}')")
LAST = ("lock",)
# In F1 only: nobody quits a front desk by accident from the footer's reminder.
F1_ONLY = ("quit",)

# Key names as a receptionist reads them, the same in the footer and in F1 (Textual's own are
# "esc", "f6", "⏎": lower case, and a symbol some old terminals cannot draw).
KEY_NAMES = {"escape": "Esc", "enter": "Enter", "tab": "Tab", "shift+tab": "Shift+Tab", "down": "↓",
             "up": "↑", "pagedown": "PgDn", "pageup": "PgUp", "home": "Home", "end": "End"}


def key_label(app, binding: Binding) -> str:
    """How one binding's key is written on screen: its key_display, else F1, Esc, Enter, ^r..."""
    if binding.key_display:
        return binding.key_display
    key = binding.key
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if re.fullmatch(r"f\d{1,2}", key):
        return key.upper()
    return app.get_key_display(binding)


def footer_order(action: str) -> int:
    if action in FIRST:
        return FIRST.index(action)
    if action in LAST:
        return 100 + LAST.index(action)
    return 10


class FooterKeyNeverCompact(FooterKey):
    """Textual's FooterKey starts compact and is bound to the footer's `compact` (False here), so
    every key of every footer, recomposed on each screen and focus change, restyled itself twice
    on mount: a fifth of a desk switch's CPU. The desks' footers are never compact."""

    compact = reactive(False)


class KeyFooter(Footer):
    def __init__(self, *children, **kwargs) -> None:
        kwargs.setdefault("show_command_palette", False)
        super().__init__(*children, **kwargs)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        first_of: dict[str, tuple] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and enabled and binding.action not in F1_ONLY and binding.action not in first_of:
                first_of[binding.action] = (binding, tooltip)
        ordered = sorted(first_of, key=footer_order)  # stable: the screen's own order is kept
        self.styles.grid_size_columns = len(ordered)
        for action in ordered:
            binding, tooltip = first_of[action]
            yield FooterKeyNeverCompact(binding.key, key_label(self.app, binding), binding.description,
                                        binding.action, tooltip=tooltip)
