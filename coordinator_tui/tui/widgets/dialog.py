"""The one dialog look: a box in the middle of a cover as big as the screen.

With the terminal's own palette (ansi-dark) a modal screen's background is transparent, so the
desk behind drew its words beside the box's border at 80x24 ('rd', 'to'); a widget covering the
screen hides them, in any colours. Every dialog is a `Dialog` and composes its box inside
`self.cover()`; the look (border, width, padding) is in styles/app.tcss (`.dialog-cover`,
`.dialog-box`, `.dialog-error`, `.dialog-hint`)."""

from __future__ import annotations

from textual.containers import Container, Vertical
from textual.screen import ModalScreen, ScreenResultType


class Dialog(ModalScreen[ScreenResultType]):
    def cover(self, *, box_classes: str = "", box_id: str | None = None) -> Vertical:
        """`with self.cover(): ...` : the full-screen cover and the dialog box inside it."""
        return _Cover(box_classes, box_id)


class _Cover:
    """A context manager that opens the cover container, then the box."""

    def __init__(self, box_classes: str, box_id: str | None) -> None:
        self._cover = Container(classes="dialog-cover")
        self._box = Vertical(classes=f"dialog-box {box_classes}".strip(), id=box_id)

    def __enter__(self) -> Vertical:
        self._cover.__enter__()
        self._box.__enter__()
        return self._box

    def __exit__(self, *exc) -> None:
        self._box.__exit__(*exc)
        self._cover.__exit__(*exc)
