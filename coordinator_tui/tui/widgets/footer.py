"""The footer of keys, with the keys every screen shares first.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, so at 80
columns the app's "f1 Keys" and "F2-F5 Desks" were the ones cut off on a busy desk. Here they come
first; the screen's own keys follow and, where they overflow, F1 lists every one of them. The
command palette's key is not repeated at the right edge: F1 names it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("show_keys", "switch_mode('checkin')")
LAST = ("lock", "quit")


def footer_order(action: str) -> int:
    if action in FIRST:
        return FIRST.index(action)
    if action in LAST:
        return 100 + LAST.index(action)
    return 10


class KeyFooter(Footer):
    def __init__(self, *children, **kwargs) -> None:
        kwargs.setdefault("show_command_palette", False)
        super().__init__(*children, **kwargs)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        first_of: dict[str, tuple] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in first_of:
                first_of[binding.action] = (binding, enabled, tooltip)
        ordered = sorted(first_of, key=footer_order)  # stable: the screen's own order is kept
        self.styles.grid_size_columns = len(ordered)
        for action in ordered:
            binding, enabled, tooltip = first_of[action]
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                            binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)
