"""Files a reminder batch hands to other systems: a CSV for the clinic's SMS gateway, a CSV for
a mail merge, one .ics invitation per appointment.

CSV through the csv module (a comma, a quote or a line break in a name stays inside its cell;
OpenEMR's hand-joined reminder rows break on "Smith, Jr."), cells that a spreadsheet would run
as a formula made inert. The SMS file holds the minimum necessary: no reason, no appointment
type, no provider or specialty.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from coordinator_tui.interop.ics_lines import fold

SMS_COLUMNS = ["phone", "first_name", "clinic_name", "clinic_phone", "date", "time", "location",
               "appointment_id", "language", "message"]
EMAIL_COLUMNS = ["email", "first_name", "clinic_name", "clinic_phone", "date", "time",
                 "location", "appointment_id", "language", "subject", "body"]


@dataclass(frozen=True)
class Outgoing:
    """One reminder, filled in: what every writer needs and nothing more."""

    appointment_id: int
    first_name: str
    clinic_name: str
    clinic_phone: str
    date: str
    time: str
    location: str
    language: str
    message: str
    starts_at: datetime
    ends_at: datetime
    phone: str = ""     # E.164
    email: str = ""
    subject: str = ""


FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def inert(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab or CR) as a formula: quote it."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _csv(columns: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def sms_csv(items: list[Outgoing]) -> str:
    # The phone stays as E.164 (+16175550123): the gateway reads it, nobody types it in a sheet.
    return _csv(SMS_COLUMNS, [[i.phone, inert(i.first_name), inert(i.clinic_name), i.clinic_phone,
                               i.date, i.time, inert(i.location), str(i.appointment_id),
                               i.language, inert(i.message)] for i in items])


def email_csv(items: list[Outgoing]) -> str:
    return _csv(EMAIL_COLUMNS, [[i.email, inert(i.first_name), inert(i.clinic_name),
                                 i.clinic_phone, i.date, i.time, inert(i.location),
                                 str(i.appointment_id), i.language, inert(i.subject),
                                 inert(i.message)] for i in items])


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", ""))


def _ics_time(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")



def invitation_ics(item: Outgoing, now: datetime) -> str:
    """One appointment as an iCalendar invitation the patient's calendar can add."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//coordinator//reminders//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
             f"UID:appointment-{item.appointment_id}@coordinator", f"DTSTAMP:{_ics_time(now)}",
             f"DTSTART:{_ics_time(item.starts_at)}", f"DTEND:{_ics_time(item.ends_at)}",
             f"SUMMARY:{_ics_text(item.subject or f'Appointment at {item.clinic_name}')}",
             f"LOCATION:{_ics_text(item.location)}",
             f"DESCRIPTION:{_ics_text(item.message)}", "STATUS:CONFIRMED",
             "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT2H",
             f"DESCRIPTION:{_ics_text(item.subject or 'Appointment')}", "END:VALARM",
             "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) for line in lines)


def invitation_name(item: Outgoing) -> str:
    return f"appointment-{item.appointment_id}.ics"
