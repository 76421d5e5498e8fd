"""Command palette (ctrl+p): every desk by name, for terminals whose function keys don't
arrive (vt100, some SSH clients)."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

from coordinator_tui.tui.desks import DESKS


class DeskCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for desk in DESKS:
            mode, title = desk.mode, desk.name
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.switch_desk, mode),
                          help=f"Go to the {title}")
        score = matcher.match("New callback (F8)")
        if score > 0:
            yield Hit(score, matcher.highlight("New callback (F8)"), self.app.action_new_callback,
                      help="Put a patient on the callback queue")
        score = matcher.match("Keys (help)")
        if score > 0:
            yield Hit(score, matcher.highlight("Keys (help)"), self.app.action_show_keys)
