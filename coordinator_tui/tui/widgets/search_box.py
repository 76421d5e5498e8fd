"""A one-line search box whose keystrokes cost no layout pass.

Textual's Input sets its virtual size to the text's width on every change, and a virtual size is
a layout reactive: every key typed re-arranged the whole screen and re-rendered every widget on
it (header, table, footer), about half of the time from a key to its results on screen at 1M
patients (issue 23). A search box has a fixed size (one line, the row's width) and no scroll
bars, so nothing around it can move when its text changes: the virtual size is stored quietly
and only the box itself is repainted. Scrolling to the cursor reads the stored size as before.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


class SearchBox(Input):
    # Set by a screen that draws each letter together with its results (tui/frame_hold.py):
    # held from the change itself, before the box repaints (its Changed message reaches the
    # screen only after the box and its container have handled it: a frame could fall between).
    frame_hold = None

    def _watch_value(self, value: str) -> None:
        if self.frame_hold is not None:
            self.frame_hold.start()
        # Store the new virtual size first: Input's own watcher then finds it unchanged and
        # requests no layout. Any other size rule (auto width) keeps Textual's behaviour.
        if not self.styles.auto_dimensions:
            self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
            self.refresh()
        super()._watch_value(value)
