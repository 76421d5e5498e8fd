"""The words of reminders and paper: contact channels, what a batch can write, the answers a
gateway sends back, and the letters a desk sends. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class ContactChannel(StrEnum):
    """A way the patient agreed (or not) to be contacted."""

    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"
    LETTER = "letter"

    @property
    def label(self) -> str:
        return {"sms": "SMS", "voice": "Voice", "email": "E-mail", "letter": "Letter"}[self.value]


class BatchChannel(StrEnum):
    """What a reminder batch writes; each needs the patient's consent to one contact channel
    (an .ics invitation is sent by e-mail)."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    ICS = "ics"

    @property
    def consent(self) -> ContactChannel:
        return {"sms": ContactChannel.SMS, "email": ContactChannel.EMAIL,
                "letter": ContactChannel.LETTER, "ics": ContactChannel.EMAIL}[self.value]


class Delivery(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class Reply(StrEnum):
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    STOP = "stop"


# What a patient texts back: C confirms, R asks to reschedule, STOP (and the carriers' usual
# synonyms) withdraws SMS consent. Compared case-folded and trimmed.
REPLY_WORDS = {
    "c": Reply.CONFIRM, "confirm": Reply.CONFIRM, "yes": Reply.CONFIRM, "y": Reply.CONFIRM,
    "r": Reply.RESCHEDULE, "reschedule": Reply.RESCHEDULE,
    "stop": Reply.STOP, "stopall": Reply.STOP, "unsubscribe": Reply.STOP, "cancel": Reply.STOP,
    "end": Reply.STOP, "quit": Reply.STOP,
}


def reply_from_text(text: str) -> Reply | None:
    return REPLY_WORDS.get(" ".join(text.split()).casefold())


class LetterKind(StrEnum):
    REMINDER = "reminder"
    NO_SHOW = "no_show"
    CANCELLATION = "cancellation"  # cancelled by the clinic
    RECALL = "recall"

    @property
    def label(self) -> str:
        return {"reminder": "Appointment reminder", "no_show": "Missed appointment",
                "cancellation": "Appointment cancelled", "recall": "Time for a visit"}[self.value]


class ConsentSource(StrEnum):
    DESK = "desk"
    CHECKIN = "checkin"
    COMMAND = "command"
    REPLY = "reply"  # STOP texted back


# Languages with built-in templates, by the names patients.preferred_language holds.
LANGUAGE_CODES = {"english": "en", "spanish": "es", "español": "es", "espanol": "es",
                  "portuguese": "pt", "português": "pt"}


def language_code(preferred_language: str | None) -> str:
    """'Spanish' -> 'es'; unknown or empty -> 'en' (the fallback)."""
    return LANGUAGE_CODES.get((preferred_language or "").strip().casefold(), "en")


class ContactInvalid(ValueError):
    """Why a patient cannot be reached this way; never repeats the number or address."""


def sms_number(e164: str | None) -> str:
    """The patient's mobile as E.164 when libphonenumber says it can take a text message (a
    mobile, or a US/CA number that may be either); ContactInvalid otherwise."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    if not e164:
        raise ContactInvalid("no mobile number on file")
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        raise ContactInvalid("the mobile number is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ContactInvalid("the mobile number is not a valid phone number")
    kind = phonenumbers.number_type(number)
    if kind not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ContactInvalid("the mobile number is not a mobile number (cannot take SMS)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_address(text: str | None) -> str:
    import re

    value = (text or "").strip()
    if not value:
        raise ContactInvalid("no e-mail address on file")
    if not re.fullmatch(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+", value) or ".." in value:
        raise ContactInvalid("the e-mail address is not valid")
    return value


def mailing_lines(name: str, line1: str | None, line2: str | None, city: str | None,
                  region: str | None, postal_code: str | None, country: str | None) -> tuple[str, ...]:
    """The address block of a letter; ContactInvalid when the post could not deliver it."""
    import re

    if not (line1 or "").strip():
        raise ContactInvalid("no street address")
    if not (city or "").strip():
        raise ContactInvalid("the address has no city")
    postal = (postal_code or "").strip()
    if not postal:
        raise ContactInvalid("the address has no postal code")
    country = (country or "US").upper()
    if country == "US" and not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", postal):
        raise ContactInvalid("the address has no valid ZIP code")
    last = f"{city.strip()}, {(region or '').strip()} {postal}".replace(",  ", ", ").strip()
    lines = [name, line1.strip()]
    if (line2 or "").strip():
        lines.append(line2.strip())
    lines.append(last)
    if country != "US":
        lines.append(country)
    return tuple(lines)
