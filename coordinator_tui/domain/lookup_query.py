"""The one search-box grammar, shared by every desk and by `coordinator find`.

A query is free text mixing names, a birth date, a phone number and identifiers, in any order:
"smith, jo 3/4/85", "(617) 555-0123", "M0001234", "garcía 4 mar 1985 0123". Parsing is pure and
never raises on any string, so the desk can parse on every keystroke.

How the text is read, most specific shape first, each match taking its characters out of play:
  1. dates with a month name ("4 Mar 1985", "March 4th, 1985", "04-MAR-85");
  2. numeric dates with separators ("1985-03-04", "3/4/1985", "3.4.85");
  3. phones: "+<country> ..." (checked with phonenumbers), then North American shapes
     ("(617) 555-0123", "617.555.0123", "1 617 555 0123", "6175550123", "555-0123");
  4. numeric dates separated by spaces ("3 4 1985", 4-digit year only);
  5. the remaining words: 8 digits = a date if one reading is a valid birth date, else an
     identifier; exactly 4 digits = last four of a phone; anything else with a digit = an
     identifier (MRN, member id); everything else = name words.

Decisions on ambiguous input (tested in tests/domain/test_lookup_query.py):
  - Every date-shaped text is read by `relative_dates.read_birth_date`, the grammar the
    registration form uses, so the two never disagree. Numeric day/month order follows
    `day_first`; when that reading is no real date and the other is (25/12/1985), the other is
    taken. The same holds for 8 digits, which also accept YYYYMMDD ("19850304") when neither
    MMDDYYYY nor DDMMYYYY is a real date in the clinic's years; no 8-digit string has more than
    one of the three readings valid, apart from MM/DD versus DD/MM.
  - A birth date is valid when it exists, is not after `today` and not before 1880. A 2-digit
    year is 20yy unless that is after `today`, then 19yy.
  - A date-shaped text that is not a valid birth date (2/30/1985, 31 Apr 1990, a future date)
    goes to `ignored`, not to identifiers: a search for an MRN "2301985" would only mislead.
    An 8-digit run that is no valid date stays an identifier (member ids are often digits).
    A leftover word with digits and a slash ("3/4", "3/4/198": a date half typed) is ignored too.
  - Only the first birth date and the first phone are used; later ones go to `ignored`.
  - Bare 7, 10 or 11 (leading 1) digits are a phone only when they have a North American shape
    (area code and exchange start with 2-9), so "0001234" (an MRN without its M) is an identifier.
  - `surname_first` is True only for an explicit comma with name words on both sides
    ("smith, john"); "john smith" and "smith john" are left for the search to try both ways.
  - `raw` is the cleaned text (control characters removed, whitespace collapsed, NFKC, at most
    200 characters), so it is safe to show and to log length-bounded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import phonenumbers

from coordinator_tui.domain.names import fold
from coordinator_tui.domain.relative_dates import (
    DATE_DAY_MONTH,
    DATE_ISO,
    DATE_MONTH_DAY,
    DATE_NUMERIC,
    DATE_SPACED,
    DateNotUnderstood,
    read_birth_date,
)

MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class LookupQuery:
    raw: str
    names: tuple[str, ...] = ()
    surname_first: bool = False
    birth_date: date | None = None
    phone: str | None = None
    phone_last4: str | None = None
    identifiers: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # text that looked like a date/phone but could not be used

    @property
    def is_empty(self) -> bool:
        return not (
            self.names or self.birth_date or self.phone or self.phone_last4 or self.identifiers
        )

    def describe(self) -> str:
        """What the search will look for, in words: "name smi jo, born 1985-03-04"."""
        parts: list[str] = []
        if self.names:
            if self.surname_first and len(self.names) > 1:
                parts.append(f"name {self.names[0]}, {' '.join(self.names[1:])}")
            else:
                parts.append(f"name {' '.join(self.names)}")
        if self.birth_date:
            parts.append(f"born {self.birth_date.isoformat()}")
        if self.phone:
            parts.append(f"phone {self.phone}")
        if self.phone_last4:
            parts.append(f"phone ending {self.phone_last4}")
        if self.identifiers:
            parts.append(
                ("id " if len(self.identifiers) == 1 else "ids ") + ", ".join(self.identifiers)
            )
        if self.ignored:
            parts.append("ignored " + ", ".join(f'"{text}"' for text in self.ignored))
        return ", ".join(parts) if parts else "nothing to search"


# --- cleaning -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Pre-slice so a pasted megabyte costs nothing; NFKC can grow a character ("ﬃ" -> "ffi"),
    # hence the final cut after normalising.
    out: list[str] = []
    for ch in text[: MAX_QUERY_CHARS * 4]:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")  # a tab or newline still separates words
        elif category in ("Cf", "Cs"):
            continue  # invisible format characters, lone surrogates
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))  # any script's digits -> ASCII
        else:
            out.append(ch)
    cleaned = " ".join(unicodedata.normalize("NFKC", "".join(out)).split())
    return cleaned[:MAX_QUERY_CHARS].rstrip()


# --- dates ----------------------------------------------------------------------------------
# The shapes and their reading are the desk's one date grammar (relative_dates), so a birth date
# typed here means what it means on the registration form.


def _birth_or_none(text: str, day_first: bool, today: date) -> date | None:
    try:
        return read_birth_date(text, today=today, day_first=day_first)
    except DateNotUnderstood:
        return None


# --- phones ---------------------------------------------------------------------------------

_PSEP = r"[\s.\-]{0,3}"
_PHONE_INTL = re.compile(r"(?<![\w+])\+\s?[0-9][0-9\s.\-()]*[0-9]")
_PHONE_NANP = re.compile(
    rf"(?<![\w+])(?:1{_PSEP})?(?:\([2-9][0-9]{{2}}\)|[2-9][0-9]{{2}}){_PSEP}[2-9][0-9]{{2}}{_PSEP}[0-9]{{4}}(?!\w)"
)
_PHONE_LOCAL = re.compile(rf"(?<![\w+])[2-9][0-9]{{2}}{_PSEP}[0-9]{{4}}(?!\w)")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


def _nanp_number(text: str) -> str:
    digits = _digits(text)
    return digits[1:] if len(digits) == 11 else digits  # drop the country code 1


def _international_end(text: str) -> tuple[int, str] | None:
    """(length used, national number) of the longest leading part that is a possible number.

    The pattern is greedy ("+44 20 7946 0958 1985" runs into the year), so shorten it one digit
    group at a time until phonenumbers accepts it.
    """
    for group in reversed(list(re.finditer(r"[0-9]+", text))):
        if len(_digits(text[: group.end()])) > 15:
            continue  # E.164 numbers have at most 15 digits
        try:
            number = phonenumbers.parse(text[: group.end()], None)
        except phonenumbers.NumberParseException:
            continue
        national = phonenumbers.national_significant_number(number)
        # "+44 0123" is "possible" to phonenumbers; a phone we search by has 7+ digits.
        if phonenumbers.is_possible_number(number) and len(national) >= 7:
            return group.end(), national
    return None


# --- the parser -----------------------------------------------------------------------------


@dataclass
class _Hit:
    start: int
    kind: str  # "date" or "phone"
    value: object  # None when shaped like the kind but unusable (2/30/1985)
    text: str


def parse_lookup(text: str, *, day_first: bool = False, today: date | None = None) -> LookupQuery:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise TypeError(f"lookup text must be a str, not {type(text).__name__}")
    today = today or date.today()
    raw = _clean(text)
    work = raw
    hits: list[_Hit] = []

    def take(pattern: re.Pattern[str], kind: str, read: Callable[[re.Match[str]], object]) -> None:
        # Blank out each match, so later (less specific) patterns and the word pass skip it.
        nonlocal work
        for match in list(pattern.finditer(work)):
            hits.append(_Hit(match.start(), kind, read(match), match.group().strip()))
            work = work[: match.start()] + " " * len(match.group()) + work[match.end() :]

    def birth(m: re.Match[str]) -> object:
        return _birth_or_none(m.group(), day_first, today)

    take(DATE_DAY_MONTH, "date", birth)
    take(DATE_MONTH_DAY, "date", birth)
    take(DATE_NUMERIC, "date", birth)
    take(DATE_ISO, "date", birth)

    # International numbers: the match is shortened, so blank out only the part used.
    position = 0
    while match := _PHONE_INTL.search(work, position):
        found = _international_end(match.group())
        if found is None:
            position = match.end()
            continue
        length, number = found
        end = match.start() + length
        hits.append(_Hit(match.start(), "phone", number, work[match.start() : end]))
        work = work[: match.start()] + " " * length + work[end:]
        position = end

    take(_PHONE_NANP, "phone", lambda m: _nanp_number(m.group()))
    take(_PHONE_LOCAL, "phone", lambda m: _digits(m.group()))
    take(DATE_SPACED, "date", birth)

    names: list[str] = []
    identifiers: list[str] = []
    last4: str | None = None
    names_before_comma: int | None = None
    for word in re.finditer(r",|[^\s,]+", work):
        token = word.group()
        if token == ",":
            if names_before_comma is None:
                names_before_comma = len(names)
            continue
        if not any("0" <= ch <= "9" for ch in token):
            names.extend(fold(token).split())
            continue
        compact = fold(token).replace(" ", "")  # "XKA-123-456" -> "xka123456"
        if compact.isdigit() and len(compact) == 8:
            found_date = _birth_or_none(compact, day_first, today)
            if found_date:
                hits.append(_Hit(word.start(), "date", found_date, token))
                continue
        if "/" in token:
            # "3/4" or "3/4/198": a date still being typed. Identifiers have no slashes.
            hits.append(_Hit(word.start(), "date", None, token))
            continue
        if compact.isdigit() and len(compact) == 4 and last4 is None:
            last4 = compact
        elif compact:
            identifiers.append(compact.upper())

    birth_date: date | None = None
    phone: str | None = None
    ignored: list[str] = []
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.kind == "date" and hit.value and birth_date is None:
            birth_date = hit.value  # type: ignore[assignment]
        elif hit.kind == "phone" and hit.value and phone is None:
            phone = hit.value  # type: ignore[assignment]
        else:
            ignored.append(hit.text)

    return LookupQuery(
        raw=raw,
        names=tuple(names),
        surname_first=bool(names_before_comma) and len(names) > (names_before_comma or 0),
        birth_date=birth_date,
        phone=phone,
        phone_last4=last4,
        identifiers=tuple(identifiers),
        ignored=tuple(ignored),
    )


def registration_prefill(query: LookupQuery) -> dict[str, str]:
    """What a search carries over to registration (Ctrl+N): the name, family name first when a
    comma said so and last otherwise, and the birth date."""
    prefill: dict[str, str] = {}
    if query.names:
        family, *given = query.names if query.surname_first else (query.names[-1], *query.names[:-1])
        prefill["family_name"] = family.title()
        if given:
            prefill["given_name"] = " ".join(given).title()
    if query.birth_date:
        prefill["birth_date"] = query.birth_date.isoformat()
    return prefill
