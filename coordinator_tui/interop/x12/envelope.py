"""The interchange envelope: ISA/GS around ST..SE transaction sets, closed by GE/IEA, with the
counts and control numbers that must agree (IEA01 = number of GS groups, GE01 = number of ST
sets, SE01 = segments from ST to SE inclusive; IEA02 = ISA13, GE02 = GS06, SE02 = ST02)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coordinator_tui.interop.x12.tokenizer import STANDARD, Delimiters, Segment, X12Error

VERSION = "005010X279A1"
MAX_CONTROL = 999_999_999


@dataclass(frozen=True)
class Party:
    qualifier: str  # ISA05/07: "ZZ" mutually defined, "30" tax id ...
    id: str


def _isa_id(value: str) -> str:
    return value[:15].ljust(15)


def write_interchange(transactions: list[list[list[str]]], *, sender: Party, receiver: Party,
                      control_number: int, at: datetime, functional_id: str = "HS",
                      delimiters: Delimiters = STANDARD, production: bool = True) -> str:
    """One interchange with one functional group holding `transactions`. Each transaction is its
    body segments (without ST/SE) as lists of elements, first the segment id. ST control numbers
    are 0001, 0002, ... within the group; the group's control number is the interchange's."""
    if not 1 <= control_number <= MAX_CONTROL:
        raise ValueError("control number out of range")
    e, s = delimiters.element, delimiters.segment

    def line(parts: list[str]) -> str:
        return e.join(parts) + s + "\n"

    control = f"{control_number:09d}"
    out = [line(["ISA", "00", " " * 10, "00", " " * 10, sender.qualifier, _isa_id(sender.id),
                 receiver.qualifier, _isa_id(receiver.id), f"{at:%y%m%d}", f"{at:%H%M}",
                 delimiters.repetition, "00501", control, "0", "P" if production else "T",
                 delimiters.component])]
    out.append(line(["GS", functional_id, sender.id, receiver.id, f"{at:%Y%m%d}", f"{at:%H%M}",
                     str(control_number), "X", VERSION]))
    for number, body in enumerate(transactions, start=1):
        st_control = f"{number:04d}"
        out.append(line(["ST", body_kind(functional_id), st_control, VERSION]))
        out.extend(line(parts) for parts in body)
        out.append(line(["SE", str(len(body) + 2), st_control]))
    out.append(line(["GE", str(len(transactions)), str(control_number)]))
    out.append(line(["IEA", "1", control]))
    return "".join(out)


def body_kind(functional_id: str) -> str:
    return {"HS": "270", "HB": "271"}[functional_id]


@dataclass(frozen=True)
class Transaction:
    kind: str                   # ST01: "270" / "271"
    number: int                 # the ST segment's number in the file
    control: str                # ST02
    segments: tuple[Segment, ...]  # between ST and SE


@dataclass(frozen=True)
class Interchange:
    sender: str
    receiver: str
    control: str
    transactions: tuple[Transaction, ...]


def _count(segment: Segment, position: int, what: str) -> int:
    value = segment.get(position)
    if not value.isdigit():
        raise X12Error(f"{segment.id}{position:02d} {what} {value[:20]!r} is not a number", segment.number)
    return int(value)


def read_interchange(segments: list[Segment]) -> Interchange:
    """Check the envelope whole (every count and control number) and return its transactions.
    One interchange per file; any number of groups and transaction sets."""
    if not segments or segments[0].id != "ISA":
        raise X12Error("the file does not start with an ISA segment", 1)
    isa = segments[0]
    transactions: list[Transaction] = []
    groups = 0
    i = 1
    last = segments[-1]
    while i < len(segments):
        seg = segments[i]
        if seg.id == "IEA":
            break
        if seg.id != "GS":
            raise X12Error(f"expected GS (a functional group) but found {seg.id}", seg.number)
        gs = seg
        groups += 1
        sets = 0
        i += 1
        while True:
            if i >= len(segments):
                raise X12Error(f"the group opened at segment {gs.number} has no GE (a truncated file?)",
                               last.number)
            seg = segments[i]
            if seg.id == "GE":
                break
            if seg.id != "ST":
                raise X12Error(f"expected ST (a transaction set) but found {seg.id}", seg.number)
            st = seg
            body: list[Segment] = []
            i += 1
            while i < len(segments) and segments[i].id not in ("SE", "ST", "GE", "IEA"):
                body.append(segments[i])
                i += 1
            if i >= len(segments) or segments[i].id != "SE":
                where = segments[i].number if i < len(segments) else last.number
                raise X12Error(f"the transaction set opened at segment {st.number} has no SE "
                               "(a truncated file?)", where)
            se = segments[i]
            counted = len(body) + 2
            if _count(se, 1, "segment count") != counted:
                raise X12Error(f"SE01 says {se.get(1)} segments but the transaction set has {counted}",
                               se.number)
            if se.get(2) != st.get(2):
                raise X12Error(f"SE02 {se.get(2)!r} does not match ST02 {st.get(2)!r}", se.number)
            transactions.append(Transaction(st.get(1), st.number, st.get(2), tuple(body)))
            sets += 1
            i += 1
        ge = segments[i]
        if _count(ge, 1, "transaction set count") != sets:
            raise X12Error(f"GE01 says {ge.get(1)} transaction sets but the group has {sets}", ge.number)
        if ge.get(2) != gs.get(6):
            raise X12Error(f"GE02 {ge.get(2)!r} does not match GS06 {gs.get(6)!r}", ge.number)
        i += 1
    if i >= len(segments):
        raise X12Error("no IEA at the end (a truncated file?)", last.number)
    iea = segments[i]
    if _count(iea, 1, "group count") != groups:
        raise X12Error(f"IEA01 says {iea.get(1)} groups but the interchange has {groups}", iea.number)
    if iea.get(2) != isa.get(13):
        raise X12Error(f"IEA02 {iea.get(2)!r} does not match ISA13 {isa.get(13)!r}", iea.number)
    if i + 1 < len(segments):
        raise X12Error("segments after IEA (only one interchange per file)", segments[i + 1].number)
    return Interchange(isa.get(6).strip(), isa.get(8).strip(), isa.get(13), tuple(transactions))
