"""Draw only what changed: every repaint is bytes down an SSH link.

A DataTable rebuilt with `clear()` and the same rows repaints the whole table (2-4 KB at 80x24)
although the screen looks the same; the desks refresh their lists on a timer and when another
desk commits, so most rebuilds while a desk sits idle would be exactly that.
"""

from __future__ import annotations

from typing import Any

_NOTHING = object()


def changed(widget: Any, drawn: Any) -> bool:
    """True, and remembered, when `drawn` (what is about to be shown, comparable) differs from
    what was last shown in `widget` this way; False: leave the widget alone."""
    if getattr(widget, "_coordinator_drawn", _NOTHING) == drawn:
        return False
    widget._coordinator_drawn = drawn
    return True


def forget(widget: Any) -> None:
    """The widget was changed some other way: the next `changed` call is True."""
    widget.__dict__.pop("_coordinator_drawn", None)


def update_text(static: Any, text: str) -> None:
    """Static.update, skipped when the text is already shown."""
    if changed(static, text):
        static.update(text)
