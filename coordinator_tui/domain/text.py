"""Typed text: the one rule for a free-text field (a reason, a note, a reference, a name).

Trimmed, inner runs of white space made one space, control and invisible format characters
(including a newline or an escape sequence anywhere, a zero-width space) refused; None when
empty and optional."""

from __future__ import annotations

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
