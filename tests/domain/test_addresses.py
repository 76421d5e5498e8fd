"""Country and state: codes a mail carrier and a claim form accept, US state names turned into
codes, free text (but not pasted junk) for other countries' regions."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator_tui.domain.addresses import AddressInvalid, normalise_country, normalise_region
from coordinator_tui.domain.patient_validation import validate_patient

TODAY = date(2026, 11, 23)
GOOD = {"given_name": "Ana", "family_name": "García", "birth_date": "3/4/1985", "sex": "f"}


def errors(form, **kw):
    return {e.field: e.message for e in validate_patient(form, today=TODAY, **kw).errors}


@pytest.mark.parametrize(("typed", "code"), [("US", "US"), ("us", "US"), (" mx ", "MX"), ("PR", "PR"),
                                             ("gb", "GB"), ("XK", "XK")])
def test_country_codes(typed, code):
    assert normalise_country(typed) == code


@pytest.mark.parametrize("typed", ["ZZ", "QQ", "XX", "UK", "AQ"])
def test_made_up_country_codes_are_refused(typed):
    with pytest.raises(AddressInvalid, match="not a country code"):
        normalise_country(typed)


@pytest.mark.parametrize("typed", ["USA", "U", "U5", "ÜS", ""])
def test_country_must_be_two_letters(typed):
    with pytest.raises(AddressInvalid, match="2-letter"):
        normalise_country(typed)


@pytest.mark.parametrize(("typed", "code"), [
    ("MA", "MA"), ("ma", "MA"), ("Massachusetts", "MA"), ("NEW  york", "NY"),
    ("District of Columbia", "DC"), ("Washington DC", "DC"), ("Puerto Rico", "PR"), ("AE", "AE"),
])
def test_us_states_become_usps_codes(typed, code):
    assert normalise_region(typed, "US") == code


@pytest.mark.parametrize("typed", ["ZZ", "QQ", "Mass", "M", "Narnia"])
def test_unknown_us_states_are_refused(typed):
    with pytest.raises(AddressInvalid, match="not a US state"):
        normalise_region(typed, "US")


def test_other_countries_take_free_text_up_to_a_limit():
    assert normalise_region("Jalisco", "MX") == "Jalisco"
    assert normalise_region("Île-de-France", "FR") == "Île-de-France"
    with pytest.raises(AddressInvalid, match="too long"):
        normalise_region("x" * 51, "MX")


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"region": "ZZ"}, "region", "not a US state"),
    ({"country": "ZZ"}, "country", "not a country code"),
    ({"region": "QQ", "country": "US"}, "region", "not a US state"),
    ({"region": "Ont\x1b[2Jario", "country": "CA"}, "region", "control characters"),
    ({"region": "On\u200btario", "country": "CA"}, "region", "control characters"),
    ({"region": "x" * 51, "country": "CA"}, "region", "too long"),
])
def test_the_patient_form_refuses_bad_state_and_country(form, field, words):
    found = errors({**GOOD, **form})
    assert list(found) == [field]
    assert words in found[field]
    assert form[field] not in found[field]  # never repeats what was typed


def test_the_patient_form_stores_codes():
    values = validate_patient({**GOOD, "region": "massachusetts", "country": "us"}, today=TODAY).values
    assert (values["region"], values["country"]) == ("MA", "US")
    values = validate_patient({**GOOD, "region": "Ontario", "country": "ca", "postal_code": "K1A 0B1"},
                              today=TODAY).values
    assert (values["region"], values["country"], values["postal_code"]) == ("Ontario", "CA", "K1A 0B1")


def test_an_edit_of_the_state_alone_is_checked_against_the_country_on_file():
    assert "not a US state" in errors({"region": "QQ"}, partial=True, country="US")["region"]
    assert validate_patient({"region": "Ontario"}, today=TODAY, partial=True, country="CA").ok
    # ... and the ZIP too: a Canadian postal code on a Canadian record is not a US ZIP error.
    assert validate_patient({"postal_code": "K1A 0B1"}, today=TODAY, partial=True, country="CA").ok
    assert "5 digits" in errors({"postal_code": "K1A 0B1"}, partial=True, country="US")["postal_code"]
