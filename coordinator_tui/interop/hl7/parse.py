"""Reading HL7 v2 messages from bytes: one message, a batch, or an FHS/BHS file.

Tolerant where real senders differ (CR, LF or CRLF between segments, a UTF-8 byte-order mark,
custom delimiters from MSH-1/2, escaped delimiters), strict where a message cannot be trusted:
no MSH first, bad encoding characters, a segment name that is not one, a truncated MSH, a
version that is not 2.x, a type we do not take, non-ASCII bytes without a declared character set.
Parsing is python-hl7's (`hl7.parse`); the checks before it are ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import hl7

BOM = b"\xef\xbb\xbf"
# The messages we apply (issue #19); anything else is refused (AR) with its type named.
# ADT^A01 (admit) registers or updates the patient as A04 does; we keep no inpatient stays.
SUPPORTED = frozenset({
    "ADT^A01", "ADT^A04", "ADT^A08", "ADT^A28", "ADT^A31", "ADT^A40",
    "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15", "SIU^S17", "SIU^S26",
})
BATCH_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")
_SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}")
_VERSION = re.compile(r"2\.[1-9](\.[0-9]+)?")
_CHARSETS = {"": None, "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8",
             "8859/1": "latin-1", "8859/15": "iso8859-15", "UNICODE": "utf-8"}
MAX_MESSAGE_BYTES = 1_000_000


class Unreadable(ValueError):
    """A message we cannot read (ACK AR). `number` is its place in the file (1-based);
    `control_id`/`sender`/`header` are what could be read of its MSH, for the ACK."""

    def __init__(self, number: int, reason: str, *, header: str | None = None):
        self.number = number
        self.reason = reason
        self.header = header
        super().__init__(f"message {number}: {reason}")


@dataclass(frozen=True)
class Hl7Message:
    number: int
    text: str
    parsed: hl7.Message
    sender: str          # "APP^FACILITY" from MSH-3/4
    application: str     # MSH-3.1, what --sender lists
    control_id: str      # MSH-10
    message_type: str    # "ADT^A04"
    version: str

    def get(self, segment: str, field: int, component: int = 1, repetition: int = 1,
            subcomponent: int = 1, occurrence: int = 1) -> str:
        """One value, unescaped, stripped; "" when absent (a missing segment, field or part)."""
        try:
            value = self.parsed.extract_field(segment, occurrence, field, repetition, component,
                                              subcomponent)
        except (KeyError, IndexError, ValueError):
            return ""
        return str(value).strip()

    def repetitions(self, segment: str, field: int) -> int:
        try:
            value = self.parsed.segment(segment)[field]
        except (KeyError, IndexError):
            return 0
        if isinstance(value, hl7.Field) and value and isinstance(value[0], hl7.Repetition):
            return len(value)
        return 1 if str(value) else 0

    def has(self, segment: str) -> bool:
        try:
            self.parsed.segment(segment)
        except KeyError:
            return False
        return True


def split_messages(data: bytes) -> list[tuple[int, bytes]]:
    """The messages in `data` (one, a batch, or an FHS/BHS file), numbered from 1, each with
    segments ending in CR. FHS/BHS/BTS/FTS segments are envelope, not messages. Lines before the
    first MSH that are not envelope make message 1 (which then fails: no MSH first)."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    lines = [line for line in re.split(rb"\r\n|\r|\n", data) if line.strip()]
    messages: list[list[bytes]] = []
    for line in lines:
        line = line.lstrip(b"\x0b").rstrip(b"\x1c")
        if line[:3] in (b"FHS", b"BHS", b"BTS", b"FTS") and (len(line) == 3 or not line[3:4].isalnum()):
            continue
        if line.startswith(b"MSH") or not messages:
            messages.append([])
        messages[-1].append(line)
    return [(n, b"\r".join(segments) + b"\r") for n, segments in enumerate(messages, start=1)]


def _header(raw: bytes) -> list[str]:
    first = raw.split(b"\r", 1)[0]
    if not first.startswith(b"MSH") or len(first) < 4:
        return []
    sep = first[3:4]
    return [part.decode("ascii", "replace") for part in first.split(sep)]


def _decode(number: int, raw: bytes, header: list[str], had_bom: bool) -> str:
    declared = header[17].split("^")[0].strip().upper() if len(header) > 17 else ""
    if declared and declared not in _CHARSETS:
        raise Unreadable(number, f"character set {declared[:20]!r} in MSH-18 is not one we read",
                         header="|".join(header))
    if raw.isascii():
        return raw.decode("ascii")
    codec = _CHARSETS.get(declared) or ("utf-8" if had_bom else None)
    if codec is None or codec == "ascii":
        raise Unreadable(number, "non-ASCII bytes but no character set declared in MSH-18",
                         header="|".join(header))
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise Unreadable(number, f"bytes that are not {codec} though MSH-18 says so",
                         header="|".join(header)) from None


def read_message(number: int, raw: bytes, *, had_bom: bool = False) -> Hl7Message:
    """One message's bytes (segments ending in CR) read and checked, or Unreadable."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Unreadable(number, f"longer than {MAX_MESSAGE_BYTES:,} bytes")
    if raw.startswith(BOM):
        raw, had_bom = raw[len(BOM):], True
    header = _header(raw)
    if not header:
        raise Unreadable(number, "does not start with an MSH segment")
    text = _decode(number, raw, header, had_bom)
    head = "|".join(header)
    sep = text[3]
    encoding = text[4:].split(sep, 1)[0]
    if (len(encoding) not in (4, 5) or len(set(encoding + sep)) != len(encoding) + 1
            or any(ch.isalnum() or ch in "\r\n " for ch in encoding + sep)):
        raise Unreadable(number, "MSH-1/MSH-2 encoding characters are not valid", header=head)
    segments = [s for s in text.split("\r") if s]
    for index, segment in enumerate(segments, start=1):
        name = segment.split(sep, 1)[0]
        if not _SEGMENT_NAME.fullmatch(name):
            raise Unreadable(number, f"segment {index} ({name[:8]!r}) is not a segment name",
                             header=head)
    if len(header) < 12:
        raise Unreadable(number, "MSH is cut short (it needs fields up to MSH-12, the version)",
                         header=head)
    try:
        parsed = hl7.parse("\r".join(segments))
    except Exception as exc:  # python-hl7 raises several kinds on broken input
        raise Unreadable(number, f"cannot be parsed ({type(exc).__name__})", header=head) from None
    message = Hl7Message(number, text, parsed, "", "", "", "", "")
    kind = "^".join(p for p in (message.get("MSH", 9, 1), message.get("MSH", 9, 2)) if p)
    control_id = message.get("MSH", 10)
    version = message.get("MSH", 12)
    application = message.get("MSH", 3)
    sender = f"{application}^{message.get('MSH', 4)}"
    if not control_id:
        raise Unreadable(number, "MSH-10 (message control id) is empty", header=head)
    if len(control_id) > 64:
        raise Unreadable(number, "MSH-10 is longer than 64 characters", header=head)
    if not _VERSION.fullmatch(version):
        raise Unreadable(number, f"version {version[:10]!r} in MSH-12 is not HL7 v2.x", header=head)
    if kind not in SUPPORTED:
        raise Unreadable(number, f"message type {kind[:20] or '(none)'} is not one we take",
                         header=head)
    if not message.has("PID"):
        raise Unreadable(number, f"{kind} has no PID segment", header=head)
    return Hl7Message(number, text, parsed, sender[:180], application, control_id, kind, version)


def read_file(data: bytes) -> list[Hl7Message]:
    """Every message in a file, or Unreadable for the first one that cannot be read."""
    had_bom = data.startswith(BOM)
    parts = split_messages(data)
    if not parts:
        raise Unreadable(1, "the file holds no HL7 message")
    return [read_message(number, raw, had_bom=had_bom) for number, raw in parts]


def header_fields(header: str | None) -> dict[str, str]:
    """What an AR acknowledgement can echo from a message we could not read."""
    if not header:
        return {}
    parts = header.split("|") if header.startswith("MSH|") else []
    def part(i: int) -> str:
        return parts[i].split("^")[0] if len(parts) > i else ""
    return {"application": part(2), "facility": part(3), "receiver": part(4),
            "receiver_facility": part(5), "control_id": part(9)[:64]}
