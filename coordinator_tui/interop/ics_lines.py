"""iCalendar (RFC 5545) content lines, shared by the day sheet's .ics and the reminder
invitations."""

from __future__ import annotations


def fold(line: str) -> str:
    """One content line, CRLF-ended: longer than 75 octets, it continues on the next line after a
    space, never splitting a UTF-8 character."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > 75:
            out.append(current)
            current = b" "
        current += encoded
    out.append(current)
    return "\r\n".join(part.decode("utf-8") for part in out) + "\r\n"
