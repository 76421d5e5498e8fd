"""Send the terminal only the cells that changed: every byte goes down an SSH link.

Textual writes whole lines: a partial update writes each dirty widget's lines, and a screen push
or pop (the checklist, a dialog, back to the board) writes all 24 lines, 6-9 KB at 80x24 although
most of the screen is often what was there already (the header, the footer, blank lines). Here
the app keeps what it last sent (a shadow of the terminal: each cell's character and SGR codes),
renders every update as the whole frame, and writes only the runs of cells that differ, each run
once, with one SGR code per change of style rather than one per segment.

The shadow is dropped (the next frame is written whole) whenever the terminal may hold something
else: the first frame, a new size, and after the process was suspended and resumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.style import Style
from textual._compositor import CompositorUpdate
from textual.strip import Strip

# A run of unchanged cells shorter than this is rewritten rather than skipped with a cursor move
# ("\x1b[24;80H" is up to 8 bytes).
GAP = 8

# Erase from the cursor to the end of the line, in the default colours (SGR is reset before it):
# 3 bytes for the blank end of a line rather than a space a cell.
ERASE_TO_END = "\x1b[K"

Cell = tuple[str, str]  # the character ("" for the right half of a wide one) and its SGR codes


class DiffUpdate(CompositorUpdate):
    """What changed since the last frame, already turned into terminal sequences."""

    def __init__(self, sequences: str) -> None:
        self.sequences = sequences

    def render_segments(self, console) -> str:
        return self.sequences


class FrameDiff:
    def __init__(self) -> None:
        self.lines: list[list[Cell]] | None = None
        # Each line as Textual would write it (Strip.render is cached per strip): a line whose
        # text is unchanged is not taken apart into cells again.
        self.texts: list[str] = []
        self._codes: dict = {}  # style -> SGR parameters (for this colour system)
        self._blank_codes: dict = {}  # style -> the SGR parameters a space shows
        self._blank_of: dict[str, str] = {"": ""}  # the same, by a style's own SGR parameters

    def forget(self) -> None:
        """The terminal may show something else: write the next frame whole."""
        self.lines = None
        self.texts = []
        self._codes.clear()
        self._blank_codes.clear()
        self._blank_of = {"": ""}

    def _sgr(self, style, color_system) -> str:
        if style is None:
            return ""
        codes = self._codes.get(style)
        if codes is None:
            codes = Strip.render_ansi(style, color_system)
            if style._link:  # never drawn by this app; kept exact rather than dropped
                codes = f"{codes}\x00{style._link_id}\x00{style._link}"
            self._codes[style] = codes
        return codes

    def _blank_sgr(self, style, color_system) -> str:
        """The codes that show on a space: its background and lines through or under it, not
        its foreground, bold or italic ("39;49" and "1;39;49" spaces look the same as "")."""
        if style is None:
            return ""
        codes = self._blank_codes.get(style)
        if codes is None:
            if style.reverse or style._link:
                codes = self._sgr(style, color_system)
            else:
                background = style.bgcolor
                if background is not None and background.is_default:
                    background = None
                codes = self._sgr(Style(bgcolor=background, underline=style.underline,
                                        underline2=style.underline2, strike=style.strike,
                                        overline=style.overline), color_system)
            self._blank_codes[style] = codes
            self._blank_of[self._sgr(style, color_system)] = codes
        return codes

    def cells(self, strips: Iterable[Strip], color_system) -> list[Cell]:
        row: list[Cell] = []
        for strip in strips:
            for text, style, control in strip._segments:
                if control or not text:
                    continue
                sgr = self._sgr(style, color_system)
                if text.isascii():
                    if " " in text:
                        blank = self._blank_sgr(style, color_system)
                        row.extend([(char, blank if char == " " else sgr) for char in text])
                    else:
                        row.extend(zip(text, repeat(sgr)))
                    continue
                for char in text:
                    width = cell_len(char)
                    if width == 0:  # a combining mark: part of the cell before it
                        if row:
                            row[-1] = (row[-1][0] + char, row[-1][1])
                        continue
                    row.append((char, self._blank_sgr(style, color_system) if char == " " else sgr))
                    if width == 2:
                        row.append(("", sgr))
        return row

    def update(self, frame: list[Iterable[Strip]], width: int, console) -> str:
        """Terminal sequences that turn the last frame into `frame` (one list of strips per line,
        top to bottom, each `width` cells)."""
        color_system = console._color_system or ColorSystem.TRUECOLOR  # as Strip.render does
        frame = [list(strips) for strips in frame]
        texts = ["".join([strip.render(console) for strip in strips]) for strips in frame]
        old = self.lines
        if old is None or len(old) != len(frame) or any(len(line) != width for line in old):
            old, self.texts = [[] for _ in frame], ["\x00"] * len(frame)
        new: list[list[Cell]] = []
        out: list[str] = []
        for y, (before, strips) in enumerate(zip(old, frame, strict=True)):
            if texts[y] == self.texts[y]:
                new.append(before)
                continue
            after = self.cells(strips, color_system)
            new.append(after)
            if before == after:
                continue
            tail = _blank_tail(after)
            for x1, x2 in _changed_runs(before, after):
                out.append(f"\x1b[{y + 1};{x1 + 1}H")
                if x2 - max(x1, tail) > len(ERASE_TO_END):
                    # The rest of the line is blank: draw up to it, then erase to the end.
                    out.append(self._draw(after, x1, max(x1, tail)))
                    out.append(ERASE_TO_END)
                    break
                out.append(self._draw(after, x1, x2))
        self.lines, self.texts = new, texts
        return "".join(out)

    def _draw(self, cells: list[Cell], x1: int, x2: int) -> str:
        """Cells x1..x2 as text with one SGR sequence per change of style, reset at the end. A
        space is written in the style before it when it looks the same there (the spaces
        between bold words stay bold rather than costing two SGR sequences each)."""
        out: list[str] = []
        current = ""
        link = False
        blank_of = self._blank_of
        for char, sgr in cells[x1:x2]:
            if sgr != current and not (char == " " and blank_of.get(current) == sgr):
                codes, _, hyperlink = sgr.partition("\x00")
                if link:
                    out.append("\x1b]8;;\x1b\\")
                    link = False
                out.append(f"\x1b[0;{codes}m" if codes else "\x1b[0m")
                if hyperlink:
                    link_id, _, target = hyperlink.partition("\x00")
                    out.append(f"\x1b]8;id={link_id};{target}\x1b\\")
                    link = True
                current = sgr
            out.append(char)
        if link:
            out.append("\x1b]8;;\x1b\\")
        if current:
            out.append("\x1b[0m")
        return "".join(out)


def _blank_tail(cells: list[Cell]) -> int:
    """Where the line's trailing spaces in the default colours begin (its length if none)."""
    x = len(cells)
    while x and cells[x - 1] == (" ", ""):
        x -= 1
    return x


def _changed_runs(before: list[Cell], after: list[Cell]) -> list[tuple[int, int]]:
    """[x1, x2) spans of `after` to write, close ones merged, never splitting a wide character."""
    width = len(after)
    if len(before) != width:
        return [(0, width)]
    runs: list[tuple[int, int]] = []
    x = 0
    while x < width:
        if before[x] == after[x]:
            x += 1
            continue
        start = x
        while x < width and before[x] != after[x]:
            x += 1
        if start and after[start][0] == "":
            start -= 1
        if x < width and after[x][0] == "":
            x += 1
        if runs and start - runs[-1][1] < GAP:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((start, x))
    return runs
