"""Checking a patient form as a front desk expects. Pure: no I/O.

`validate_patient(form, today=..., partial=False)` takes the form as typed (a dict of field name
to text) and returns `Validated(values, errors)`: `values` are the cleaned values ready to store
(None for an empty optional field), `errors` a list of `FieldError(field, message)`. Every message
names the field and says what to type; none repeats what was typed (it could be patient data).

`day_first` reads a numeric birth date as day/month (the `day_first` setting), as the lookup
box does. `partial=True` checks only the fields present (an edit of a few fields); required fields are
required only when present. State and ZIP are checked against the form's country, or, when the
form has none (an edit of the address only), against `country` (the one on file).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from coordinator_tui.domain import addresses, phones
from coordinator_tui.domain.relative_dates import (
    FUTURE,
    IMPOSSIBLE,
    OUT_OF_RANGE,
    DateNotUnderstood,
    read_birth_date,
)
from coordinator_tui.domain.vocab import Sex

MAX_AGE_YEARS = 130
NAME_MAX = 100

FIELD_LABELS = {
    "given_name": "First name",
    "middle_name": "Middle name",
    "family_name": "Last name",
    "preferred_name": "Preferred name",
    "birth_date": "Birth date",
    "sex": "Sex",
    "phone_mobile": "Mobile phone",
    "phone_home": "Home phone",
    "email": "Email",
    "address_line1": "Address",
    "address_line2": "Address line 2",
    "city": "City",
    "region": "State",
    "postal_code": "ZIP code",
    "country": "Country",
    "preferred_language": "Language",
    "alerts": "Alerts",
}
FIELDS = tuple(FIELD_LABELS)
QUICK_FIELDS = ("family_name", "given_name", "birth_date", "sex", "phone_mobile")
REQUIRED = ("given_name", "family_name", "birth_date", "sex")
_MAX_LENGTH = {
    "given_name": NAME_MAX, "middle_name": NAME_MAX, "family_name": NAME_MAX,
    "preferred_name": NAME_MAX, "email": 254, "address_line1": 200, "address_line2": 200,
    "city": 100, "region": 50, "postal_code": 20, "preferred_language": 40,
    "alerts": 500,
}
_SEX_WORDS = {"f": "F", "female": "F", "woman": "F", "m": "M", "male": "M", "man": "M",
              "x": "X", "other": "X", "o": "X", "u": "U", "unknown": "U"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_US_ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?")
_POSTAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{1,9}")
_LANGUAGE = re.compile(r"[^\W\d_]+(?:[ \-'][^\W\d_]+)*")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{FIELD_LABELS.get(self.field, self.field)}: {self.message}"


@dataclass(frozen=True)
class Validated:
    values: dict = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_for(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


# Characters no name is written with: a slip of the finger on a fast desk ("J@ne", "Smith#") that
# would stay in the record, the lookup's keys and every letter. Apostrophes, hyphens, periods,
# commas, spaces and parentheses stay allowed (O'Neil, Smith-Jones, St. John, nicknames), and so
# do & and ^: an EHR joins a double name with them (HL7 "DOE\T\SMITH^JOHN\S\JANE" reads
# "DOE&SMITH", "JOHN^JANE"), and refusing them would refuse the whole message.
_NOT_IN_NAMES = frozenset('@#$%*=+<>[]{}|\\/~_!?;:"`')
_SYMBOL_CATEGORIES = frozenset({"Sm", "Sc", "So"})  # maths, currency, other symbols (emoji)


def _not_in_names(text: str) -> str:
    """The first character of `text` that no name has, quoted, or "" when there is none."""
    for ch in text:
        if ch in _NOT_IN_NAMES or unicodedata.category(ch) in _SYMBOL_CATEGORIES:
            return f'"{ch}"'
    return ""


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for ch in text)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    return value


def parse_birth_date(text: str, today: date, day_first: bool = False) -> date:
    """The desk's one date grammar read as a birth date (relative_dates.read_birth_date, the
    same reading the lookup box gives): 3/4/1985, 3/4/85, 1985-03-04, 4 Mar 1985, 19850304, T
    (a newborn)...; refuses future dates and dates more than 130 years back. Raises ValueError
    with a message to show (never quoting what was typed)."""
    try:
        value = read_birth_date(text, today=today, day_first=day_first)
    except DateNotUnderstood as exc:
        raise ValueError({
            IMPOSSIBLE: "that day does not exist; type a date like 3/4/1985",
            FUTURE: "cannot be in the future; type the date of birth, like 3/4/1985",
            OUT_OF_RANGE: f"is more than {MAX_AGE_YEARS} years ago; check the year",
        }.get(exc.reason, "type a date like 3/4/1985, 3/4/85 or 1985-03-04")) from None
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value < oldest:
        raise ValueError(f"is more than {MAX_AGE_YEARS} years ago; check the year (4 digits)")
    return value


def _form_country(form: dict, fallback: str | None) -> str:
    typed = _text(form.get("country"))
    try:
        return addresses.normalise_country(typed) if typed and typed.strip() else \
            addresses.normalise_country(fallback or addresses.DEFAULT_COUNTRY)
    except addresses.AddressInvalid:
        return "??"  # the country field reports its own error; State and ZIP are not guessed at


def validate_patient(form: dict, *, today: date, partial: bool = False,
                     country: str | None = None, day_first: bool = False) -> Validated:
    values: dict = {}
    errors: list[FieldError] = []
    country = _form_country(form, country)

    def fail(name: str, message: str) -> None:
        errors.append(FieldError(name, message))

    names = [n for n in FIELDS if n in form] if partial else list(FIELDS)
    for name in names:
        raw = _text(form.get(name))
        text = (raw or "").strip()
        if name != "alerts":
            text = " ".join(text.split()) if not _has_control(text) else text
        if _has_control(text.replace("\n", "") if name == "alerts" else text):
            fail(name, "contains control characters (pasted text?); retype it")
            continue
        if not text:
            if name in REQUIRED:
                fail(name, "is required; " + {
                    "given_name": "type the first name",
                    "family_name": "type the last name",
                    "birth_date": "type the date of birth, like 3/4/1985",
                    "sex": "type F, M, X (other) or U (unknown)",
                }[name])
            else:
                values[name] = "English" if name == "preferred_language" else (
                    "US" if name == "country" else None)
            continue
        limit = _MAX_LENGTH.get(name)
        if limit and len(text) > limit:
            fail(name, f"is too long (at most {limit} characters)")
            continue
        if name in ("given_name", "family_name", "middle_name", "preferred_name"):
            if not any(ch.isalpha() for ch in text):
                fail(name, "needs at least one letter")
                continue
            if any(ch.isdigit() for ch in text):
                fail(name, "should not contain digits; type letters only")
                continue
            odd = _not_in_names(text)
            if odd:
                fail(name, f"should not contain {odd}; type letters (with ' - . if the name has them)")
                continue
            values[name] = text
        elif name == "birth_date":
            try:
                values[name] = parse_birth_date(text, today, day_first)
            except ValueError as exc:
                fail(name, str(exc))
        elif name == "sex":
            code = _SEX_WORDS.get(text.casefold())
            if code is None or code not in {s.value for s in Sex}:
                fail(name, "type F, M, X (other) or U (unknown)")
            else:
                values[name] = code
        elif name in ("phone_mobile", "phone_home"):
            try:
                values[name] = phones.normalise(text)
            except phones.PhoneInvalid:
                fail(name, "is not a valid phone number; type 10 digits like (617) 555-0123, "
                           "or +country code for abroad")
        elif name == "email":
            if not _EMAIL.fullmatch(text) or ".." in text:
                fail(name, "does not look like an email address; type it like name@example.com")
            else:
                values[name] = text
        elif name == "postal_code":
            if country == "US" and not _US_ZIP.fullmatch(text):
                fail(name, "type 5 digits (or ZIP+4 like 02118-1234)")
            elif country != "US" and not _POSTAL.fullmatch(text):
                fail(name, "type letters, digits, spaces or hyphens only")
            else:
                values[name] = text
        elif name in ("country", "region"):
            try:
                values[name] = addresses.normalise_country(text) if name == "country" else \
                    addresses.normalise_region(text, country)
            except addresses.AddressInvalid as exc:
                fail(name, str(exc))
        elif name == "preferred_language":
            if not _LANGUAGE.fullmatch(text):
                fail(name, "type the language name in letters, like Spanish")
            else:
                values[name] = text[:1].upper() + text[1:]
        else:
            values[name] = text
    return Validated(values, errors)
