"""The 270 eligibility inquiry (005010X279A1): per payer one transaction set with the
information source (payer, HL 20), the information receiver (the clinic, HL 21), and one
subscriber loop (HL 22) per coverage, with a dependent loop (HL 23) when the patient is not the
subscriber. The TRN trace number goes on the loop of the person asked about; the payer returns
it in the 271."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from coordinator_tui.interop.x12.envelope import Party, write_interchange
from coordinator_tui.interop.x12.tokenizer import STANDARD, Delimiters

HEALTH_BENEFIT_PLAN_COVERAGE = "30"


@dataclass(frozen=True)
class Person:
    family_name: str
    given_name: str
    birth_date: date | None = None
    sex: str = ""  # M / F / U


@dataclass(frozen=True)
class Inquiry:
    trace: str
    payer_name: str
    payer_id: str
    member_id: str
    subscriber: Person
    patient: Person | None  # None: the patient is the subscriber
    service_types: tuple[str, ...]  # "30" and the visit's type
    service_date: date
    group_number: str = ""


@dataclass(frozen=True)
class Submitter:
    id: str            # ISA06/GS02, the id the clearinghouse knows the clinic by
    name: str          # the information receiver's name
    npi: str           # NM109 of the information receiver (XX qualifier)
    receiver_id: str   # ISA08/GS03: the clearinghouse or payer receiving the file


_BAD_CHARS = "*~^:|>\r\n"


def clean(value: str, limit: int = 60) -> str:
    """Text safe inside an element: accents dropped (clearinghouses take the X12 basic and
    extended character sets, ASCII), delimiters and control characters blanked, upper case."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    kept = "".join(" " if c in _BAD_CHARS or ord(c) < 32 else c for c in ascii_only)
    return " ".join(kept.split()).upper()[:limit]


def _name(entity: str, person: Person, member_id: str | None) -> list[str]:
    parts = ["NM1", entity, "1", clean(person.family_name, 60), clean(person.given_name, 35), "", "", ""]
    if member_id:
        parts += ["MI", clean(member_id, 80)]
    return _trim(parts)


def _demographics(person: Person) -> list[list[str]]:
    if person.birth_date is None:
        return []
    sex = person.sex.upper()[:1] if person.sex.upper()[:1] in ("M", "F") else ""
    return [_trim(["DMG", "D8", f"{person.birth_date:%Y%m%d}", sex])]


def _trim(parts: list[str]) -> list[str]:
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def transaction_body(inquiries: list[Inquiry], submitter: Submitter, reference: str,
                     at: datetime) -> list[list[str]]:
    """The segments between ST and SE for inquiries to ONE payer."""
    first = inquiries[0]
    body: list[list[str]] = [
        ["BHT", "0022", "13", clean(reference, 50), f"{at:%Y%m%d}", f"{at:%H%M}"],
        ["HL", "1", "", "20", "1"],
        _trim(["NM1", "PR", "2", clean(first.payer_name), "", "", "", "", "PI", clean(first.payer_id, 80)]),
        ["HL", "2", "1", "21", "1"],
        _trim(["NM1", "1P", "2", clean(submitter.name), "", "", "", "", "XX", clean(submitter.npi, 80)]),
    ]
    hl = 2
    for inquiry in inquiries:
        hl += 1
        subscriber_hl = hl
        dependent = inquiry.patient is not None
        body.append(["HL", str(hl), "2", "22", "1" if dependent else "0"])
        if not dependent:
            body.append(["TRN", "1", clean(inquiry.trace, 50), _originator(submitter.id)])
        body.append(_name("IL", inquiry.subscriber, inquiry.member_id))
        if inquiry.group_number:
            body.append(["REF", "6P", clean(inquiry.group_number, 50)])
        if not dependent:
            body.extend(_demographics(inquiry.subscriber))
            body.extend(_dates_and_types(inquiry))
            continue
        hl += 1
        body.append(["HL", str(hl), str(subscriber_hl), "23", "0"])
        body.append(["TRN", "1", clean(inquiry.trace, 50), _originator(submitter.id)])
        body.append(_name("03", inquiry.patient, None))
        body.extend(_demographics(inquiry.patient))
        body.extend(_dates_and_types(inquiry))
    return body


def _dates_and_types(inquiry: Inquiry) -> list[list[str]]:
    out = [["DTP", "291", "D8", f"{inquiry.service_date:%Y%m%d}"]]
    for code in dict.fromkeys(inquiry.service_types):  # once each, in order
        out.append(["EQ", clean(code, 2)])
    return out


def _originator(submitter_id: str) -> str:
    """TRN03: "1" and a 9-digit id (the clinic's tax id or our submitter id's digits)."""
    digits = "".join(c for c in submitter_id if c.isdigit())[:9].rjust(9, "0")
    return "1" + digits


def write_270(inquiries: list[Inquiry], submitter: Submitter, control_number: int, at: datetime,
              delimiters: Delimiters = STANDARD) -> str:
    """One interchange: one transaction set per payer, in the order the payers first appear."""
    if not inquiries:
        raise ValueError("no inquiries")
    by_payer: dict[tuple[str, str], list[Inquiry]] = {}
    for inquiry in inquiries:
        by_payer.setdefault((inquiry.payer_id, inquiry.payer_name), []).append(inquiry)
    bodies = [transaction_body(group, submitter, f"{control_number}-{n}", at)
              for n, group in enumerate(by_payer.values(), start=1)]
    return write_interchange(bodies, sender=Party("ZZ", submitter.id),
                             receiver=Party("ZZ", submitter.receiver_id), control_number=control_number,
                             at=at, functional_id="HS", delimiters=delimiters)
