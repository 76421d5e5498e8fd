"""The one clean_text: the stricter rules of the two it replaced (check-in's and booking's)."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.text import clean_text, pasted_line
from coordinator_tui.errors import UserError


def test_trimmed_and_inner_space_collapsed():
    assert clean_text("  came  in   late ", "the reason", limit=50) == "came in late"


def test_empty_is_none_or_refused_when_required():
    assert clean_text("   ", "the note", limit=10) is None
    assert clean_text(None, "the note", limit=10) is None
    with pytest.raises(UserError, match="enter the reason"):
        clean_text(" ", "the reason", limit=10, required=True)


@pytest.mark.parametrize("bad", ["a\x07b", "a\x1b[2Jb", "trailing newline\n", "\ttab first",
                                 "zero\u200bwidth", "line\u2028separator"])
def test_control_and_format_characters_refused_anywhere(bad):
    with pytest.raises(UserError, match="control characters"):
        clean_text(bad, "the reason", limit=100)


def test_too_long_and_not_text():
    assert clean_text("x" * 10, "the reference", limit=10) == "x" * 10
    with pytest.raises(UserError, match="longer than 10"):
        clean_text("x" * 11, "the reference", limit=10)
    with pytest.raises(UserError, match="must be text"):
        clean_text(12, "the reference", limit=10)


def test_non_ascii_text_is_ordinary():
    assert clean_text("Łukasik  ñandú", "the name", limit=40) == "Łukasik ñandú"


@pytest.mark.parametrize(("pasted", "box_gets"), [
    ("Lima\tAna\x1b[31m\r\n\x07", "Lima Ana"),  # a spreadsheet row, coloured, with a bell
    ("Smith\r\nJohn\n", "Smith John"),  # cells copied down: no line break acts as Enter
    ("\x1b]0;a title\x07Mü\u200bller\ufeff", "Müller"),  # a terminal title, invisible marks
    ("\x9b1mbold\x1b[0m  text ", "bold text"),
    ("617\x1bOP555", "617555"),  # F1 as a terminal sends it
    ("^[[31mLima^[[0m Ana", "Lima Ana"),  # tmux's paste-buffer shows ESC as ^[
    ("\t\r\n\x1b[2J", ""),  # nothing left: the paste is dropped
])
def test_a_paste_keeps_the_text_as_seen_and_drops_control_characters(pasted, box_gets):
    assert pasted_line(pasted) == box_gets
