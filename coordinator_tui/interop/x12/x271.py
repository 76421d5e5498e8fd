"""The 271 eligibility response (005010X279A1): one `Answer` per person asked about, with what
the payer says (active or inactive, plan, copay, deductible, coinsurance, out of pocket, network,
authorisation required) or why it refused (AAA).

Benefits (EB): EB01 1-5 active, 6-8 inactive, B copay (EB07), C deductible (EB06 23 calendar
year = the total, 29 = remaining), A coinsurance (EB08, a fraction: 0.2 = 20%), G out of pocket
(EB06 29 remaining); EB11 Y authorisation required; EB12 Y in network, N out of network (the
in-network figure is taken when both are given)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from coordinator_tui.interop.x12.envelope import read_interchange
from coordinator_tui.interop.x12.tokenizer import STANDARD, Delimiters, Segment, X12Error, tokenize

ACTIVE_CODES = {"1", "2", "3", "4", "5"}
INACTIVE_CODES = {"6", "7", "8"}

REJECT_WORDS = {
    "04": "authorized quantity exceeded",
    "15": "required application data missing",
    "41": "authorization/access restrictions",
    "42": "payer unable to respond now",
    "43": "invalid provider id",
    "45": "invalid or missing provider specialty",
    "47": "invalid or missing provider state",
    "48": "invalid or missing referring provider id",
    "49": "provider is not the primary care physician",
    "51": "provider not on file",
    "52": "service dates not within provider plan enrollment",
    "56": "inappropriate date",
    "57": "invalid or missing date(s) of service",
    "58": "invalid birth date",
    "60": "date of birth follows date(s) of service",
    "62": "date of death precedes date(s) of service",
    "63": "date of service not within allowable inquiry period",
    "64": "invalid patient id",
    "65": "invalid patient name",
    "66": "invalid or missing patient gender",
    "67": "patient not found",
    "68": "duplicate patient id number",
    "71": "birth date does not match",
    "72": "invalid member id",
    "73": "invalid subscriber name",
    "74": "invalid or missing subscriber gender",
    "75": "subscriber not found",
    "76": "duplicate subscriber id number",
    "78": "subscriber not in group/plan identified",
    "79": "invalid participant identification",
    "80": "no response received - transaction terminated",
    "97": "invalid or missing provider address",
    "T4": "payer name or identifier missing",
}

MAX_AMOUNT_CENTS = 100_000_000_00  # $100 million: more is a broken file, not a benefit
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")


@dataclass
class Answer:
    segment: int                      # the HL segment that opens this person's loop
    trace: str = ""
    member_id: str = ""
    family_name: str = ""
    given_name: str = ""
    birth_date: date | None = None
    status: str = ""                  # active | inactive | rejected
    reject_code: str = ""
    plan_name: str = ""
    plan_from: date | None = None
    plan_to: date | None = None
    copay_cents: int | None = None
    deductible_cents: int | None = None
    deductible_remaining_cents: int | None = None
    coinsurance_bp: int | None = None  # basis points: 2000 = 20%
    oop_remaining_cents: int | None = None
    in_network: bool | None = None
    auth_required: bool = False
    raw: str = ""                     # this loop's segments as text in the standard delimiters
                                      # (what makes two answers the same, however they were sent)
    benefits: list[Segment] = field(default_factory=list)
    rejections: list[Segment] = field(default_factory=list)

    @property
    def reject_reason(self) -> str:
        if not self.reject_code:
            return ""
        return REJECT_WORDS.get(self.reject_code, f"payer rejection code {self.reject_code}")


def money_cents(segment: Segment, position: int) -> int | None:
    value = segment.get(position).strip()
    if not value:
        return None
    if not _NUMBER.match(value):
        raise X12Error(f"{segment.id}{position:02d} {value[:20]!r} is not an amount", segment.number)
    cents = (Decimal(value) * 100).quantize(Decimal(1))
    if cents < 0:
        raise X12Error(f"{segment.id}{position:02d} {value[:20]!r} is a negative amount", segment.number)
    if cents > MAX_AMOUNT_CENTS:
        raise X12Error(f"{segment.id}{position:02d} {value[:20]!r} is not a plausible amount", segment.number)
    return int(cents)


def percent_bp(segment: Segment, position: int) -> int | None:
    value = segment.get(position).strip()
    if not value:
        return None
    try:
        fraction = Decimal(value) if _NUMBER.match(value) else None
    except InvalidOperation:
        fraction = None
    if fraction is None or not 0 <= fraction <= 1:
        raise X12Error(f"{segment.id}{position:02d} {value[:20]!r} is not a percentage (0 to 1)",
                       segment.number)
    return int((fraction * 10000).quantize(Decimal(1)))


def x12_date(segment: Segment, text: str) -> date:
    problem = X12Error(f"{segment.id} date {text[:20]!r} is not a date (CCYYMMDD)", segment.number)
    if len(text) != 8 or not text.isdigit():
        raise problem
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise problem from None


@dataclass(frozen=True)
class Response:
    control: str            # ISA13
    sender: str             # ISA06
    answers: tuple[Answer, ...]


def read_271(text: str) -> Response:
    """Every answer in the file, or X12Error naming the first bad segment. Nothing partial."""
    delimiters, segments = tokenize(text)
    interchange = read_interchange(segments)
    answers: list[Answer] = []
    for transaction in interchange.transactions:
        if transaction.kind != "271":
            raise X12Error(f"ST01 is {transaction.kind[:6]!r}: this is not a 271 eligibility response",
                           transaction.number)
        answers.extend(_answers(transaction.segments, _to_standard(delimiters)))
    if not answers:
        raise X12Error("the file holds no subscriber or dependent answer", 0)
    return Response(interchange.control, interchange.sender, tuple(answers))


def _to_standard(delimiters: Delimiters) -> dict[int, str]:
    """str.translate table: a file's component and repetition separators as the standard's."""
    table = {ord(delimiters.component): STANDARD.component}
    if delimiters.repetition:
        table[ord(delimiters.repetition)] = STANDARD.repetition
    return table


def _answers(segments: tuple[Segment, ...], standard: dict[int, str]) -> list[Answer]:
    source_rejections: list[Segment] = []
    answers: list[Answer] = []
    member_of: dict[str, str] = {}   # HL id -> member id of a subscriber loop
    current: Answer | None = None
    current_hl = ""
    level = ""
    for seg in segments:
        if seg.id == "HL":
            level, current_hl = seg.get(3), seg.get(1)
            current = None
            if level in ("22", "23"):
                current = Answer(segment=seg.number)
                if level == "23":
                    current.member_id = member_of.get(seg.get(2), "")
                answers.append(current)
            elif level not in ("20", "21"):
                raise X12Error(f"HL03 {level[:4]!r} is not a 271 level (20, 21, 22 or 23)", seg.number)
            continue
        if current is None:
            if seg.id == "AAA":
                source_rejections.append(seg)
            continue
        current.raw += STANDARD.element.join((seg.id, *(e.translate(standard) for e in seg.elements))) \
            + STANDARD.segment
        if seg.id == "TRN" and seg.get(1) in ("1", "2"):
            current.trace = current.trace or seg.get(2)
        elif seg.id == "NM1" and seg.get(1) in ("IL", "03"):
            current.family_name, current.given_name = seg.get(3), seg.get(4)
            if seg.get(8) == "MI" and seg.get(9):
                current.member_id = seg.get(9)
                member_of[current_hl] = seg.get(9)
        elif seg.id == "DMG" and seg.get(1) == "D8" and seg.get(2):
            current.birth_date = x12_date(seg, seg.get(2))
        elif seg.id == "AAA":
            current.rejections.append(seg)
        elif seg.id == "EB":
            current.benefits.append(seg)
        elif seg.id == "DTP":
            _plan_dates(current, seg)
    kept = []
    for answer in answers:
        if answer.trace or answer.benefits or answer.rejections:
            _conclude(answer, source_rejections)
            kept.append(answer)
    return kept


def _plan_dates(answer: Answer, seg: Segment) -> None:
    qualifier, form, value = seg.get(1), seg.get(2), seg.get(3)
    if qualifier not in ("291", "346", "347", "356", "357"):
        return
    if form == "RD8":
        first, _, last = value.partition("-")
        answer.plan_from, answer.plan_to = x12_date(seg, first), x12_date(seg, last)
    elif form == "D8":
        day = x12_date(seg, value)
        if qualifier in ("346", "356", "291"):
            answer.plan_from = day
        else:
            answer.plan_to = day
    else:
        raise X12Error(f"DTP02 {form[:6]!r} is not a date format (D8 or RD8)", seg.number)


def _network_ok(seg: Segment) -> bool:
    return seg.get(12) != "N"


def _pick(benefits: list[Segment], code: str, period: str | None = None) -> Segment | None:
    """The in-network (or unstated) benefit of this kind, individual before family; else any."""
    matching = [b for b in benefits if b.get(1) == code and (period is None or b.get(6) == period)]
    for wanted in (lambda b: _network_ok(b) and b.get(2) in ("IND", ""), _network_ok, lambda b: True):
        found = [b for b in matching if wanted(b)]
        if found:
            return found[0]
    return None


def _conclude(answer: Answer, source_rejections: list[Segment]) -> None:
    rejections = answer.rejections or source_rejections
    if rejections:
        answer.status = "rejected"
        answer.reject_code = rejections[0].get(3)
        return
    statuses = [b for b in answer.benefits if b.get(1) in ACTIVE_CODES | INACTIVE_CODES]
    if not statuses:
        raise X12Error("this answer has neither a coverage status (EB01 1 or 6) nor a rejection (AAA)",
                       answer.segment)
    status = statuses[0]
    answer.status = "active" if status.get(1) in ACTIVE_CODES else "inactive"
    answer.plan_name = status.get(5) or next((b.get(5) for b in answer.benefits if b.get(5)), "")
    for seg in answer.benefits:  # every amount is checked, used or not
        money_cents(seg, 7)
        percent_bp(seg, 8)
    if (copay := _pick(answer.benefits, "B")) is not None:
        answer.copay_cents = money_cents(copay, 7)
    if (total := _pick(answer.benefits, "C", "23")) is not None:
        answer.deductible_cents = money_cents(total, 7)
    if (left := _pick(answer.benefits, "C", "29")) is not None:
        answer.deductible_remaining_cents = money_cents(left, 7)
    if (coins := _pick(answer.benefits, "A")) is not None:
        answer.coinsurance_bp = percent_bp(coins, 8)
    if (oop := _pick(answer.benefits, "G", "29") or _pick(answer.benefits, "G")) is not None:
        answer.oop_remaining_cents = money_cents(oop, 7)
    networks = {b.get(12) for b in answer.benefits if b.get(12)}
    answer.in_network = True if "Y" in networks else (False if networks == {"N"} else None)
    answer.auth_required = any(b.get(11) == "Y" and _network_ok(b) for b in answer.benefits)
