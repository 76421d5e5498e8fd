"""F1: every key that works right now, app-wide and on the current desk.

A screen names its main actions that are not bindings (Enter on a row, digits that pick a row or
an outcome, typing in a box) in HELP_KEYS, a list of (keys, words); they come first. Then every
binding of this app's own screen and app classes that the signed-in user can use now (a key the
role may not use is hidden, as in the footer); Textual's own bindings (copy, focus next, palette
internals) are left out: they mean nothing at a front desk."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, VerticalScroll
from textual.widgets import Static

from coordinator_tui.tui.widgets.dialog import Dialog
from coordinator_tui.tui.widgets.footer import key_label


def own_bindings(node) -> list[Binding]:
    """The bindings the coordinator's own classes declare for `node`, subclass first."""
    found: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("coordinator_tui") and "BINDINGS" in vars(cls):
            found += Binding.make_bindings(vars(cls)["BINDINGS"])
    return found


def keys_named(keys: str) -> set[str]:
    """The single keys a HELP_KEYS entry names: "Enter / ^s" -> {Enter, ^s}; "1-5" -> 1..5."""
    named: set[str] = set()
    for part in re.split(r"\s*[/,]\s*", keys):
        digits = re.fullmatch(r"(\d)-(\d)", part)
        named |= {str(n) for n in range(int(digits[1]), int(digits[2]) + 1)} if digits else {part}
    return named


def help_lines(app, screen) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = list(getattr(screen, "HELP_KEYS", ()))
    taken: set[str] = set()
    for keys, _words in lines:
        taken |= keys_named(keys)
    keys_of: dict[tuple[int, str], list[str]] = {}
    described: dict[tuple[int, str], str] = {}
    for node in (screen, app):
        for binding in own_bindings(node):
            if binding.action.startswith("switch_mode"):
                continue  # the desk keys head the list
            if not app._check_action_state(binding.action, node):
                continue  # not for this role, or not now
            label = key_label(app, binding.with_key(binding.key, key_display=None))
            if label in taken:
                continue  # HELP_KEYS says it, or the screen's binding of the key wins
            taken.add(label)
            action = (id(node), binding.action)
            keys_of.setdefault(action, []).append(label)
            described.setdefault(action, binding.description or binding.action)
    lines += [(" / ".join(keys), described[action]) for action, keys in keys_of.items()]
    return lines


class HelpScreen(Dialog[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]
    # The one dialog look (widgets/dialog.py), scrolling; a long description wraps under itself,
    # not under the keys.

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Container(classes="dialog-cover"), VerticalScroll(classes="dialog-box help-box"):
            yield Static("[b]Keys[/b]  (Esc closes; ↑ ↓ scroll)")
            for key, description in self.lines:
                yield Horizontal(Static(key, classes="help-key", markup=False),
                                 Static(description, classes="help-words", markup=False),
                                 classes="help-line")
