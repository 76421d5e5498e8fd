"""What a real terminal was sent, read for colour (tests/terminal): codes the terminal cannot
show, hues where NO_COLOR asks for greys, text drawn in its own background, and what a TERM
sends for a function key."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.helpers.realterm import Tmux, text_drawn_in_its_background

MANY_COLOURS = re.compile(rb"\x1b\[[0-9;]*[34]8;[25];")
GREYS_256 = {0, 7, 8, 15, 16, 231, *range(232, 256)}


def hues(raw: bytes) -> set[bytes]:
    """Colour codes that are not a grey: NO_COLOR makes Textual draw in greys only."""
    found = set()
    for match in re.finditer(rb"\x1b\[([0-9;]*)m", raw):
        params = match.group(1).split(b";")
        i = 0
        while i < len(params):
            p = params[i]
            if p in (b"38", b"48") and i + 2 < len(params) and params[i + 1] == b"5":
                if int(params[i + 2]) not in GREYS_256:
                    found.add(match.group(0))
                i += 3
            elif p in (b"38", b"48") and i + 4 < len(params) and params[i + 1] == b"2":
                if len({params[i + 2], params[i + 3], params[i + 4]}) != 1:
                    found.add(match.group(0))
                i += 5
            else:
                if p.isdigit() and (31 <= int(p) <= 36 or 41 <= int(p) <= 46 or 91 <= int(p) <= 96
                                    or 101 <= int(p) <= 106):
                    found.add(match.group(0))
                i += 1
    return found


def function_key(term: str, number: int) -> bytes | None:
    """What this terminal sends for F<number> (terminfo kf<number>), or None if it has none."""
    if shutil.which("tput") is None:
        pytest.skip("tput is not installed: no terminfo to read")
    out = subprocess.run(["tput", "-T", term, f"kf{number}"], capture_output=True, timeout=10)
    return out.stdout or None


def assert_readable(pane: Tmux) -> None:
    """No text drawn in its own background colour (NO_COLOR once made every screen black on
    black; the text was there for capture-pane, invisible to a person)."""
    unreadable = text_drawn_in_its_background(pane.styled_screen())
    assert not unreadable, "text in its own background colour:\n" + "\n".join(unreadable[:5])
