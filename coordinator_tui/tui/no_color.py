"""NO_COLOR on our 16-colour (ANSI) theme: greys that can be read.

Textual picks its NO_COLOR filter when the app is built, before our ANSI theme is set, and its
`Monochrome` filter turns the terminal's *default* colours into black: every screen came out
black on black. This filter leaves the terminal's default foreground and background alone and
turns every other colour into the grey of the same lightness, so highlights (the cursor row, a
focused box) still stand out, in greys only."""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.filter import LineFilter, Monochrome


def _grey(color: RichColor | None, theme: TerminalTheme) -> RichColor | None:
    if color is None or color.is_default:
        return color
    # The terminal palette's RGB for the 16 ANSI colours (Textual's own conversion has none).
    red, green, blue = color.get_truecolor(theme)
    return Color(red, green, blue).monochrome.rich_color


class GreysKeepingDefaults(LineFilter):
    def __init__(self, theme: TerminalTheme) -> None:
        super().__init__()
        self.theme = theme
        self.grey_style = lru_cache(1024)(self._grey_style)

    def _grey_style(self, style: Style) -> Style:
        return style + Style.from_color(_grey(style.color, self.theme), _grey(style.bgcolor, self.theme))

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        grey_style = self.grey_style
        return [Segment(text, None if style is None else grey_style(style), control)
                for text, style, control in segments]


def use_readable_greys(filters: list[LineFilter], theme: TerminalTheme) -> None:
    """Swap Textual's NO_COLOR filter for ours, in place (a no-op without NO_COLOR)."""
    for index, line_filter in enumerate(filters):
        if isinstance(line_filter, Monochrome):
            filters[index] = GreysKeepingDefaults(theme)
