"""The patient form: every kind of bad input names the field and says what to type."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator_tui.domain.lookup_query import parse_lookup
from coordinator_tui.domain.patient_validation import parse_birth_date, validate_patient

TODAY = date(2026, 11, 23)
GOOD = {"given_name": "José", "family_name": "Núñez-O'Brien", "birth_date": "3/4/1985",
        "sex": "m", "phone_mobile": "(617) 555-0123", "email": "jose@example.com",
        "postal_code": "02118", "preferred_language": "spanish"}


def errors(form, **kw):
    result = validate_patient(form, today=TODAY, **kw)
    return {e.field: e.message for e in result.errors}


def test_a_good_form_is_cleaned():
    result = validate_patient(GOOD, today=TODAY)
    assert result.ok, result.errors
    v = result.values
    assert v["given_name"] == "José" and v["family_name"] == "Núñez-O'Brien"
    assert v["birth_date"] == date(1985, 3, 4) and v["sex"] == "M"
    assert v["phone_mobile"] == "+16175550123" and v["preferred_language"] == "Spanish"
    assert v["country"] == "US" and v["phone_home"] is None


@pytest.mark.parametrize("field", ["given_name", "family_name", "birth_date", "sex"])
@pytest.mark.parametrize("empty", ["", "   ", None])
def test_required_fields(field, empty):
    form = {**GOOD, field: empty}
    found = errors(form)
    assert "required" in found[field]


@pytest.mark.parametrize("field,value,words", [
    ("given_name", "x" * 101, "too long"),
    ("family_name", "Smith\x00", "control characters"),
    ("family_name", "Sm\u200bith", "control characters"),
    ("given_name", "J0hn", "digits"),
    ("given_name", "---", "letter"),
    ("given_name", "J@ne", '"@"'),  # QA: a slip of the finger was saved as the name
    ("family_name", "Smith#", '"#"'),
    ("family_name", "Anne_Marie", '"_"'),
    ("given_name", "Zoë😀", '"😀"'),
    ("birth_date", "2/30/1985", "does not exist"),
    ("birth_date", "13/13/1985", "does not exist"),
    ("birth_date", "12/5/2026", "future"),
    ("birth_date", "3-4-198", "type a date"),
    ("birth_date", "1/1/2027", "future"),
    ("birth_date", "T+1", "future"),
    ("birth_date", "1/1/1890", "130 years"),
    ("birth_date", "yesterday-ish", "type a date"),
    ("birth_date", "３/４/１９８５", "type a date"),
    ("sex", "q", "F, M, X"),
    ("phone_mobile", "99", "not a valid phone"),
    ("phone_mobile", "(617) 555-012a", "not a valid phone"),
    ("phone_home", "123-456-7890", "not a valid phone"),
    ("phone_mobile", "6" * 60, "not a valid phone"),
    ("email", "jose@", "email"),
    ("email", "jose example.com", "email"),
    ("email", "a@b..com", "email"),
    ("postal_code", "9876", "5 digits"),
    ("preferred_language", "Span1sh", "language"),
    ("country", "USA", "2-letter"),
])
def test_bad_values_name_the_field_and_say_what_to_type(field, value, words):
    found = errors({**GOOD, field: value})
    assert list(found) == [field]
    assert words in found[field]
    assert value.strip() not in found[field]  # never repeats what was typed


def test_wrong_types_are_refused_not_crashed():
    found = errors({**GOOD, "given_name": 12345, "birth_date": 1985, "sex": None})
    assert {"given_name", "birth_date", "sex"} <= set(found)


def test_a_date_object_is_accepted():
    assert validate_patient({**GOOD, "birth_date": date(1985, 3, 4)}, today=TODAY).ok


def test_birth_date_forms():
    assert parse_birth_date("1985-03-04", TODAY) == date(1985, 3, 4)
    assert parse_birth_date("3/4/1985", TODAY) == date(1985, 3, 4)
    assert parse_birth_date("4 Mar 1985", TODAY) == date(1985, 3, 4)
    assert parse_birth_date("T", TODAY) == TODAY  # a newborn
    assert parse_birth_date("11/24/1896", TODAY) == date(1896, 11, 24)  # 129 years old


@pytest.mark.parametrize("text,day_first,expected", [
    ("3/4/85", False, date(1985, 3, 4)),  # issue 13: the lookup box took this, the form did not
    ("3/4/85", True, date(1985, 4, 3)),
    ("3/4/1985", True, date(1985, 4, 3)),
    ("13/1/1985", False, date(1985, 1, 13)),  # no month 13: the other order, as the lookup does
    ("March 4th, 1985", False, date(1985, 3, 4)),
    ("3.4.85", False, date(1985, 3, 4)),
    ("19850304", False, date(1985, 3, 4)),
    ("11/22/26", False, date(2026, 11, 22)),  # yesterday: a newborn, not 1926
    ("12/5/26", False, date(1926, 12, 5)),  # 2026-12-05 is ahead: never a future birth
])
def test_birth_date_reads_as_the_lookup_box_does(text, day_first, expected):
    checked = validate_patient({**GOOD, "birth_date": text}, today=TODAY, day_first=day_first)
    assert checked.ok, checked.errors
    assert checked.values["birth_date"] == expected
    found = parse_lookup(f"smith {text}", today=TODAY, day_first=day_first).birth_date
    assert found == expected


def test_a_birth_date_the_lookup_refuses_the_form_refuses():
    for text in ("2/30/1985", "12/24/2026", "13/13/85"):
        assert parse_lookup(text, today=TODAY).birth_date is None
        assert "birth_date" in errors({**GOOD, "birth_date": text})


def test_partial_checks_only_the_fields_given():
    assert validate_patient({"phone_mobile": "617 555 0199"}, today=TODAY, partial=True).ok
    assert "required" in errors({"given_name": ""}, partial=True)["given_name"]


def test_international_phone_and_non_ascii_names():
    result = validate_patient({**GOOD, "given_name": "Иван", "family_name": "王",
                               "phone_mobile": "+44 20 7946 0958"}, today=TODAY)
    assert result.ok, result.errors
    assert result.values["phone_mobile"] == "+442079460958"


@pytest.mark.parametrize("name", ["O'Neil", "O’Neil", "Smith-Jones", "St. John", "José (Pepe)", "李小龍",
                                  "de la Cruz", "Nguyễn"])
def test_names_keep_their_apostrophes_hyphens_periods_and_scripts(name):
    assert "given_name" not in errors({**GOOD, "given_name": name})
