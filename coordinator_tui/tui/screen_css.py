"""A desk's screen made on first use is styled as it mounts, without restyling the whole app.

Textual marks a new mode's screen as behind the stylesheet (its CSS counter starts at -1), so
the first visit to each desk, and the first screen at start, re-parsed every stylesheet of the
app from scratch (the parse cache goes with the old stylesheet) and re-applied it to every
widget. A screen made now mounts under the stylesheet as it is now, so it is marked current;
a later theme change still restyles it, as Textual counts those on the app.
"""

from __future__ import annotations

from textual._context import active_app
from textual.screen import Screen


def styled_as_made(screen: Screen) -> Screen:
    try:
        screen._css_update_count = active_app.get()._css_update_count
    except LookupError:  # made outside a running app: Textual's own rule applies
        pass
    return screen
