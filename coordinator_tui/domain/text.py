"""Typed text: the one rule for a free-text field (a reason, a note, a reference, a name).

Trimmed, inner runs of white space made one space, control and invisible format characters
(including a newline or an escape sequence anywhere, a zero-width space) refused; None when
empty and optional."""

from __future__ import annotations

import re
import unicodedata

from coordinator_tui.errors import UserError

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean_text(value: str | None, what: str, *, limit: int, required: bool = False) -> str | None:
    """`what` names the field in the message ("the reason"). Raises UserError when the text is
    not text, holds a control character, is too long, or is empty and `required`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError(f"{what} must be text")
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value):
        raise UserError(f"{what} contains control characters")
    value = " ".join(value.split())
    if not value:
        if required:
            raise UserError(f"enter {what}: it is empty")
        return None
    if len(value) > limit:
        raise UserError(f"{what} is too long (longer than {limit} characters)")
    return value


# A terminal's escape sequences (colour, cursor moves, a title) as copied with the text around
# them: CSI (ESC [, the one-byte C1 form, or "^[[" as tmux's paste-buffer makes ESC visible) up
# to its final byte, OSC up to BEL or ST, and any other two-character escape.
_ESCAPE_SEQUENCE = re.compile(r"(?:\x1b\[|\x9b|\^\[\[)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                              r"|\x1bO[ -~]|\x1b[@-_]?")


def pasted_line(text: str) -> str:
    """What a paste puts into a one-line box: the text as the user saw it when they copied it.

    Escape sequences are dropped whole (not their printable tail: "\\x1b[31m" is not "[31m");
    tabs and line breaks become spaces, so a spreadsheet row or a few cells copied down read
    "Smith John 03/04/1985" (the lookup takes that); runs of white space become one space and
    the ends are trimmed (the line break a copied cell ends with is gone); any other control or
    invisible format character (a bell, a zero-width space, a byte-order mark) is dropped.
    A paste never submits: the box takes it as text and waits for Enter."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch) not in REFUSED_CATEGORIES)
    return " ".join(kept.split())
