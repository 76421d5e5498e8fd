"""Phone numbers: parsed and formatted by Google's libphonenumber port, stored as E.164."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from coordinator_tui.errors import UserError


class PhoneInvalid(UserError):
    pass


@lru_cache(maxsize=1024)  # every save of a patient form parses its phones; a failure is not cached
def normalise(text: str, region: str = "US") -> str:
    """'(617) 555-0123' -> '+16175550123'; raises PhoneInvalid with a clear message."""
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip()
    if not cleaned:
        raise PhoneInvalid("phone number is empty")
    if len(cleaned) > 40:
        raise PhoneInvalid("phone number is too long")
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid(f"{cleaned!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneInvalid(f"{cleaned!r} has the wrong number of digits for a phone number")
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid(f"{cleaned!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=1024)
def reversed_digits(e164: str | None) -> str | None:
    """National digits reversed: the last four digits become an indexed prefix."""
    if not e164:
        return None
    number = phonenumbers.parse(e164, None)
    return str(number.national_number)[::-1]


@lru_cache(maxsize=1024)  # parsing costs ~1 ms on a desk PC; every checklist shows one
def display(e164: str | None, region: str = "US") -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if phonenumbers.region_code_for_number(number) == region
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def masked(e164: str | None) -> str:
    """Enough to confirm with the patient, not enough to read off the screen: '•••-•••-0123'."""
    if not e164:
        return ""
    return "•••-" + reversed_digits(e164)[:4][::-1]
