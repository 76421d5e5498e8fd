"""Reminder and letter templates: built-in text per language, a clinic's own files checked
before use, and filling them in. Pure: the caller reads the files.

A template is text with {placeholders} (Python format fields, no attributes, no indexes, no
conversions). A placeholder the kind does not offer is refused with its name, so a typo in a
clinic's template never sends "Dear {frist_name}". SMS offers only the minimum necessary: no
reason, no appointment type, no provider or specialty.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

# What each template kind may use. Letters go in a sealed envelope to the patient's address and
# may name the provider; SMS and e-mail may be read by anyone holding the phone.
SMS_FIELDS = frozenset({"first_name", "clinic_name", "clinic_phone", "date", "time", "location",
                        "appointment_id"})
EMAIL_FIELDS = SMS_FIELDS
LETTER_FIELDS = SMS_FIELDS | {"family_name", "full_name", "provider", "today"}
RECALL_FIELDS = frozenset({"first_name", "family_name", "full_name", "clinic_name",
                           "clinic_phone", "today"})
FIELDS = {
    "sms": SMS_FIELDS,
    "email_subject": EMAIL_FIELDS,
    "email": EMAIL_FIELDS,
    "reminder": LETTER_FIELDS,
    "no_show": LETTER_FIELDS,
    "cancellation": LETTER_FIELDS,
    "recall": RECALL_FIELDS,
}
KINDS = tuple(FIELDS)
FALLBACK = "en"

BUILT_IN: dict[str, dict[str, str]] = {
    "en": {
        "sms": ("{clinic_name}: {first_name}, reminder of your appointment on {date} at {time}, "
                "{location}. Reply C to confirm, R to reschedule, STOP to opt out. {clinic_phone}"),
        "email_subject": "Your appointment on {date} at {time}",
        "email": ("Dear {first_name},\n\nThis is a reminder of your appointment at {clinic_name} "
                  "on {date} at {time}, {location}.\n\nTo change it, please call {clinic_phone}."),
        "reminder": ("Dear {full_name},\n\nThis is a reminder of your appointment with {provider} "
                     "on {date} at {time}, {location}.\n\nIf you cannot come, please call us on "
                     "{clinic_phone} so we can offer the time to another patient."),
        "no_show": ("Dear {full_name},\n\nWe missed you at your appointment with {provider} on "
                    "{date} at {time}. Your health matters to us: please call {clinic_phone} to "
                    "book a new appointment."),
        "cancellation": ("Dear {full_name},\n\nWe are sorry: we had to cancel your appointment "
                         "with {provider} on {date} at {time}. Please call {clinic_phone} and "
                         "we will find you a new time."),
        "recall": ("Dear {full_name},\n\nIt is time for your next visit at {clinic_name}. We tried "
                   "to reach you by phone. Please call {clinic_phone} to book an appointment."),
    },
    "es": {
        "sms": ("{clinic_name}: {first_name}, le recordamos su cita el {date} a las {time}, "
                "{location}. Responda C para confirmar, R para cambiarla, STOP para no recibir "
                "mensajes. {clinic_phone}"),
        "email_subject": "Su cita el {date} a las {time}",
        "email": ("Estimado/a {first_name}:\n\nLe recordamos su cita en {clinic_name} el {date} "
                  "a las {time}, {location}.\n\nPara cambiarla, llame al {clinic_phone}."),
        "reminder": ("Estimado/a {full_name}:\n\nLe recordamos su cita con {provider} el {date} a "
                     "las {time}, {location}.\n\nSi no puede venir, llámenos al {clinic_phone}."),
        "no_show": ("Estimado/a {full_name}:\n\nNo pudimos verle en su cita con {provider} el "
                    "{date} a las {time}. Llame al {clinic_phone} para una nueva cita."),
        "cancellation": ("Estimado/a {full_name}:\n\nLo sentimos: tuvimos que cancelar su cita con "
                         "{provider} el {date} a las {time}. Llame al {clinic_phone} y le daremos "
                         "una nueva hora."),
        "recall": ("Estimado/a {full_name}:\n\nEs hora de su próxima visita en {clinic_name}. "
                   "Intentamos llamarle. Llame al {clinic_phone} para pedir una cita."),
    },
}


class TemplateInvalid(ValueError):
    """Says which placeholder is wrong; never repeats patient data."""


@dataclass(frozen=True)
class Template:
    kind: str
    language: str
    text: str
    source: str  # "built-in" or the file it came from


def placeholders(text: str) -> list[str]:
    """The {fields} of `text`; TemplateInvalid for a malformed one ({ unclosed, {0}, {a.b})."""
    found = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateInvalid(f"is not a valid template ({exc})") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise TemplateInvalid(f"has a placeholder {{{field}}} that is not a plain name")
        found.append(field)
    return found


def check(kind: str, text: str) -> None:
    unknown = sorted(set(placeholders(text)) - FIELDS[kind])
    if unknown:
        raise TemplateInvalid(f"has an unknown placeholder {{{unknown[0]}}} (a {kind} template "
                              f"may use {', '.join(sorted(FIELDS[kind]))})")


def built_in(kind: str, language: str) -> Template:
    texts = BUILT_IN.get(language) or BUILT_IN[FALLBACK]
    if kind not in texts:
        texts = BUILT_IN[FALLBACK]
    return Template(kind, language if kind in BUILT_IN.get(language, {}) else FALLBACK,
                    texts[kind], "built-in")


def file_name(kind: str, language: str) -> str:
    """A clinic's own template file in the templates folder: sms-es.txt, recall-en.txt..."""
    return f"{kind}-{language}.txt"


def fill(template: Template, values: dict[str, str]) -> str:
    check(template.kind, template.text)
    return template.text.format_map({k: values.get(k, "") for k in FIELDS[template.kind]})


# The subject line of a letter, in the letter's language (English when there is none).
SUBJECTS = {
    "en": {"reminder": "Appointment reminder", "no_show": "Missed appointment",
           "cancellation": "Appointment cancelled", "recall": "Time for a visit"},
    "es": {"reminder": "Recordatorio de cita", "no_show": "Cita perdida",
           "cancellation": "Cita cancelada", "recall": "Es hora de su visita"},
}


def subject(kind: str, language: str) -> str:
    return SUBJECTS.get(language, SUBJECTS[FALLBACK]).get(kind) or SUBJECTS[FALLBACK][kind]
