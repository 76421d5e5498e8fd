"""tui/frame_diff.py: what it writes, played on a small terminal model, shows each frame exactly
(characters and their colours), whatever was on the screen before; and it writes nothing for a
frame that did not change."""

from __future__ import annotations

import random
import re

from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from coordinator_tui.tui.frame_diff import FrameDiff

WIDTH, HEIGHT = 20, 6
STYLES = [None, Style(bold=True), Style(color="red"), Style(bgcolor="blue"), Style(color="default", bgcolor="default"),
          Style(reverse=True), Style(bold=True, bgcolor="blue")]
TOKEN = re.compile(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[K|(.)", re.S)


def play(screen: list[list[tuple[str, str]]], data: str) -> None:
    """A terminal: cursor moves, SGR (kept as the cell's codes since the last reset), erase to the
    end of the line, text (wide characters take two cells)."""
    x = y = 0
    sgr = ""
    for token in TOKEN.finditer(data):
        move_y, move_x, codes, char = token.groups()
        if move_y:
            y, x = int(move_y) - 1, int(move_x) - 1
        elif char is not None:
            screen[y][x] = (char, sgr)
            x += 1
            if char == "界":
                screen[y][x] = ("", sgr)
                x += 1
        elif codes is not None:
            sgr = codes[2:] if codes.startswith("0;") else "" if codes in ("0", "") else codes
        else:  # erase to the end of the line
            for column in range(x, WIDTH):
                screen[y][column] = (" ", "")


def shown(lines: list[list[tuple[Segment, ...]]], diff: FrameDiff) -> list[list[tuple[str, str]]]:
    """What the frame should look like, in the same terms (a space's look only)."""
    expected = []
    for segments in lines:
        row = []
        for text, style, _ in segments:
            for char in text:
                if char == " ":
                    row.append((" ", diff._blank_sgr(style, ColorSystem.TRUECOLOR)))
                else:
                    row.append((char, diff._sgr(style, ColorSystem.TRUECOLOR)))
                    if char == "界":
                        row.append(("", diff._sgr(style, ColorSystem.TRUECOLOR)))
        expected.append(row)
    return expected


def looks(screen, diff: FrameDiff):
    """The screen with each space reduced to what shows of it."""
    blank = {codes: look for codes, look in diff._blank_of.items()}
    return [[(c, blank.get(s, s) if c == " " else s) for c, s in row] for row in screen]


def random_frame(rng: random.Random) -> list[list[tuple[Segment, ...]]]:
    lines = []
    for _ in range(HEIGHT):
        segments, used = [], 0
        while used < WIDTH:
            length = min(WIDTH - used, rng.choice([1, 2, 3, 5, 8]))
            if rng.random() < 0.1 and length >= 2:
                text = "界" + rng.choice(" ab") * (length - 2)
            else:
                text = "".join(rng.choice("  ab") for _ in range(length))
            segments.append(Segment(text, rng.choice(STYLES)))
            used += length
        lines.append(tuple(segments))
    return lines


def test_played_output_shows_every_frame_exactly():
    console = Console(color_system="truecolor", width=WIDTH, height=HEIGHT, force_terminal=True)
    rng = random.Random(13)
    diff = FrameDiff()
    screen = [[("?", "x")] * WIDTH for _ in range(HEIGHT)]  # whatever the terminal held
    frame = random_frame(rng)
    for _ in range(300):
        if rng.random() < 0.5:  # a few lines change, as on a desk
            frame = [line if rng.random() < 0.7 else random_frame(rng)[0] for line in frame]
        else:
            frame = random_frame(rng)
        play(screen, diff.update([[Strip(list(line))] for line in frame], WIDTH, console))
        assert looks(screen, diff) == shown(frame, diff)


def test_an_unchanged_frame_writes_nothing():
    console = Console(color_system="truecolor", width=WIDTH, height=HEIGHT, force_terminal=True)
    diff = FrameDiff()
    frame = random_frame(random.Random(6))
    assert diff.update([[Strip(list(line))] for line in frame], WIDTH, console)
    assert diff.update([[Strip(list(line))] for line in frame], WIDTH, console) == ""
    diff.forget()
    assert diff.update([[Strip(list(line))] for line in frame], WIDTH, console)
