"""Pure rules and writers: templates, who can take a text, address blocks, reply words, the
CSV and .ics files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from coordinator_tui.domain.reminder_templates import (
    Template,
    TemplateInvalid,
    built_in,
    check,
    fill,
)
from coordinator_tui.domain.reminders import (
    ContactInvalid,
    Reply,
    language_code,
    mailing_lines,
    reply_from_text,
    sms_number,
)
from coordinator_tui.interop.paper import LetterPage, letters_pdf
from coordinator_tui.interop.reminder_files import Outgoing, invitation_ics, sms_csv
from tests.helpers.reminders import pdf_text


@pytest.mark.parametrize("text, why", [
    ("Hi {first_name}, your {reason} visit", "unknown placeholder {reason}"),
    ("Hi {frist_name}", "unknown placeholder {frist_name}"),
    ("Hi {first_name", "not a valid template"),
    ("Hi {0}", "not a plain name"),
    ("Hi {first_name.upper}", "not a plain name"),
    ("Hi {first_name!r}", "not a plain name"),
])
def test_a_template_with_a_wrong_placeholder_is_refused_by_name(text, why):
    with pytest.raises(TemplateInvalid, match=why.replace("{", r"\{").replace("}", r"\}")):
        check("sms", text)


def test_sms_templates_may_not_name_the_provider_but_letters_may():
    with pytest.raises(TemplateInvalid):
        check("sms", "with {provider}")
    check("reminder", "with {provider}")


def test_language_fallback_and_filling():
    assert language_code("Spanish") == "es" and language_code(" español ") == "es"
    assert language_code("Vietnamese") == "en" and language_code(None) == "en"
    assert built_in("sms", "vi").language == "en"
    assert "recordamos" in built_in("sms", "es").text
    text = fill(Template("sms", "en", "{first_name} {date}", "x"), {"first_name": "Ana", "date": "1"})
    assert text == "Ana 1"


def test_who_can_take_a_text_message():
    assert sms_number("+16175550142") == "+16175550142"  # US: fixed line or mobile
    assert sms_number("+447911123456") == "+447911123456"  # a UK mobile
    for bad, why in ((None, "no mobile"), ("+442079460018", "not a mobile"), ("+1617555", "not a valid")):
        with pytest.raises(ContactInvalid, match=why):
            sms_number(bad)


def test_an_address_a_letter_can_reach():
    assert mailing_lines("Ana Ruiz", "1 Main St", None, "Boston", "MA", "02118", "US") == (
        "Ana Ruiz", "1 Main St", "Boston, MA 02118")
    assert mailing_lines("Ana", "Rua 1", "apto 2", "Porto", "", "4000-001", "PT")[-1] == "PT"
    for args, why in ((("", "Boston", "MA", "02118"), "no street"),
                      (("1 Main", "Boston", "MA", ""), "no postal code"),
                      (("1 Main", "Boston", "MA", "ABCDE"), "ZIP"),
                      (("1 Main", "", "MA", "02118"), "no city")):
        line1, city, region, postal = args
        with pytest.raises(ContactInvalid, match=why):
            mailing_lines("Ana", line1, None, city, region, postal, "US")


@pytest.mark.parametrize("text, reply", [("C", Reply.CONFIRM), (" c ", Reply.CONFIRM),
                                         ("r", Reply.RESCHEDULE), ("STOP", Reply.STOP),
                                         ("Unsubscribe", Reply.STOP), ("maybe", None), ("", None)])
def test_reply_words(text, reply):
    assert reply_from_text(text) is reply


def outgoing(**changes) -> Outgoing:
    values = dict(appointment_id=7, first_name="Ana", clinic_name="Clinic", clinic_phone="(617) 555-0100",
                  date="11/25/2026", time="9:00 AM", location="Main clinic", language="en",
                  message="Hello", starts_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
                  ends_at=datetime(2026, 11, 25, 14, 20, tzinfo=UTC), phone="+16175550142")
    values.update(changes)
    return Outgoing(**values)


def test_sms_csv_quotes_commas_quotes_and_line_breaks_and_defuses_formulas():
    names = ['Smith, Jr.', 'Anne "Nan"', "Line\nbreak", "=HYPERLINK(1)", "Nguyễn"]
    text = sms_csv([outgoing(appointment_id=i, first_name=n) for i, n in enumerate(names)])
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["first_name"] for r in rows] == names[:3] + ["'=HYPERLINK(1)", "Nguyễn"]
    assert [r["appointment_id"] for r in rows] == ["0", "1", "2", "3", "4"]


def test_an_invitation_is_valid_icalendar_folded_at_75_octets():
    item = outgoing(message="Dear Ana, " + "ñ" * 80, location="Main clinic; 2nd floor, room 3")
    text = invitation_ics(item, datetime(2026, 11, 23, tzinfo=UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert "DTSTART:20261125T140000Z" in text and "UID:appointment-7@coordinator" in text
    assert "LOCATION:Main clinic\\; 2nd floor\\, room 3" in text


def test_letters_pdf_has_a_page_per_patient_and_keeps_any_script(tmp_path):
    pages = [LetterPage("Clinic", "(617) 555-0100", "11/23/2026", (name, "1 Main St", "Boston, MA 02118"),
                        "Missed appointment", f"Dear {name},\n\nWe missed you.") for name in
             ("Ana Ruiz", "Zoë Brontë")]
    text = pdf_text(letters_pdf(pages), tmp_path)
    assert text.count("\f") == 2 and "Zoë Brontë" in text and "We missed you." in text
