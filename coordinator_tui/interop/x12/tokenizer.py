"""Split an X12 interchange into segments, with the delimiters the ISA segment declares.

ISA is fixed width (106 characters): the element separator is the character after "ISA", the
repetition separator is ISA-11, the component separator ISA-16, and the segment terminator is
the character right after ISA-16. Line breaks after a terminator (or used as the terminator)
are allowed, as files from clearinghouses often have them."""

from __future__ import annotations

from dataclasses import dataclass

from coordinator_tui.errors import UserError

ISA_LENGTH = 106
ISA_ELEMENTS = 17  # "ISA" and its 16 elements


class X12Error(UserError):
    """A file that cannot be read as X12; `segment` is the 1-based segment number (0: none)."""

    def __init__(self, message: str, segment: int = 0) -> None:
        self.segment = segment
        super().__init__(f"segment {segment}: {message}" if segment else message)


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"


STANDARD = Delimiters()


@dataclass(frozen=True)
class Segment:
    number: int           # position in the file, 1 = ISA
    id: str               # "ISA", "EB", ...
    elements: tuple[str, ...]  # elements[0] is the first element after the id (ISA01, EB01, ...)

    def get(self, position: int) -> str:
        """Element `position` (1-based, as in EB01), or '' when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""


def read_delimiters(text: str) -> Delimiters:
    if not text.startswith("ISA"):
        raise X12Error("the file does not start with an ISA segment: not an X12 interchange", 1)
    if len(text) < ISA_LENGTH:
        raise X12Error("the ISA segment is cut short (a truncated file?)", 1)
    element = text[3]
    if element.isalnum() or element.isspace():
        raise X12Error(f"the element separator {element!r} after ISA is a letter, digit or space", 1)
    parts = text[:ISA_LENGTH - 1].split(element)
    if len(parts) != ISA_ELEMENTS:
        raise X12Error(f"the ISA segment has {len(parts) - 1} elements with separator {element!r}, "
                       "not 16 (wrong delimiters?)", 1)
    repetition = parts[11]
    component = parts[16]
    terminator = text[ISA_LENGTH - 1]
    if len(component) != 1 or terminator == element or terminator == component or terminator.isalnum():
        raise X12Error("the ISA segment does not end in a component separator and a segment "
                       "terminator (wrong delimiters?)", 1)
    if len(repetition) != 1 or repetition.isalnum():
        repetition = ""  # 4010 files put "U" here; 5010 needs a separator, checked by the reader
    if len({element, component, terminator} | ({repetition} if repetition else set())) != \
            3 + (1 if repetition else 0):
        raise X12Error("the ISA segment uses the same character for two delimiters", 1)
    return Delimiters(element=element, repetition=repetition, component=component, segment=terminator)


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    """The delimiters and the segments, numbered from 1 (ISA). Blank lines between segments are
    ignored; an empty segment or a segment id that is not 2-3 letters/digits is an error."""
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = read_delimiters(text)
    raw_segments = text.split(delimiters.segment)
    segments: list[Segment] = []
    for index, raw in enumerate(raw_segments):
        stripped = raw.strip("\r\n")
        if not stripped.strip():
            continue
        number = len(segments) + 1
        if "\r" in stripped or "\n" in stripped:
            raise X12Error(f"a line break inside a segment: the ISA says segments end with "
                           f"{delimiters.segment!r} (wrong segment terminator?)", number)
        if index == len(raw_segments) - 1:
            raise X12Error("the last segment has no terminator (a truncated file?)", number)
        parts = stripped.split(delimiters.element)
        seg_id = parts[0]
        if not (2 <= len(seg_id) <= 3 and seg_id.isalnum() and seg_id.isupper()):
            raise X12Error(f"{seg_id[:10]!r} is not a segment id (wrong delimiters?)", number)
        segments.append(Segment(number, seg_id, tuple(parts[1:])))
    return delimiters, segments
