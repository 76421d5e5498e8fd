"""The highlighted row of a list, whole, on the line under the list.

A list cuts a value longer than its column with "…" (a long name, a reason): this line is
where the cut value can be read. The screen says what the row is in words (`show`), when the
cursor moves and when the list is drawn again; an empty list shows nothing.

One line by default, of fixed height: new words move nothing, so no layout pass and only this
line is sent (bytes over SSH). `lines=2` lets a long text take a second line (Availability).
"""

from __future__ import annotations

from textual.widgets import Static

from coordinator_tui.tui.formatting import cut
from coordinator_tui.tui.quiet import changed

WIDTH = 78  # at 80 columns, inside the line's padding


class RowDetail(Static):
    def __init__(self, *, lines: int = 1, id: str | None = None, classes: str = "") -> None:
        super().__init__("", id=id, classes=f"row-detail {classes}".strip(), markup=False)
        self.lines = lines

    def show(self, text: str) -> None:
        text = cut(text, WIDTH * self.lines)
        if changed(self, text):
            self.update(text, layout=self.lines > 1)
