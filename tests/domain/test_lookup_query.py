"""The search-box grammar: one string in, a structured query out, never an exception."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import pytest

from coordinator_tui.domain.lookup_query import MAX_QUERY_CHARS, LookupQuery, parse_lookup

TODAY = date(2025, 6, 1)
DOB = date(1985, 3, 4)


def parse(text: str, **kwargs: object) -> LookupQuery:
    return parse_lookup(text, today=TODAY, **kwargs)  # type: ignore[arg-type]


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "surname_first"),
    [
        ("smith", ("smith",), False),
        ("Smith, John", ("smith", "john"), True),
        ("smith,john", ("smith", "john"), True),
        ("John Smith", ("john", "smith"), False),
        ("smi jo", ("smi", "jo"), False),
        ("Smith-Jones, Mary", ("smith", "jones", "mary"), True),
        ("de la Cruz, María José", ("de", "la", "cruz", "maria", "jose"), True),
        ("O'Neil, Mary-Kate", ("oneil", "mary", "kate"), True),
        ("MÜLLER", ("muller",), False),
        ("王小明", ("王小明",), False),
        # a comma needs a name on both sides to mean "last, first"
        ("smith,", ("smith",), False),
        (", smith", ("smith",), False),
        ("john smith, 3/4/1985", ("john", "smith"), False),
        ("3/4/1985, smith", ("smith",), False),
    ],
)
def test_names(text: str, names: tuple[str, ...], surname_first: bool) -> None:
    query = parse(text)
    assert query.names == names
    assert query.surname_first is surname_first


def test_name_only_query_has_no_other_parts() -> None:
    query = parse("Smith, John")
    assert (query.birth_date, query.phone, query.phone_last4, query.identifiers) == (
        None,
        None,
        None,
        (),
    )


def test_month_words_alone_are_names_not_dates() -> None:
    # "May", "June", "March" are names too; a date needs a day and a year around them.
    assert parse("may smith").names == ("may", "smith")
    assert parse("June March").birth_date is None
    assert parse("June March").names == ("june", "march")
    assert parse("marsh 4 1985").birth_date is None  # "marsh" is no month


# --- birth dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1985-03-04",
        "1985/3/4",
        "3/4/1985",
        "03/04/1985",
        "3-4-1985",
        "3.4.1985",
        "3/4/85",
        "03041985",
        "19850304",
        "4 Mar 1985",
        "4 March 1985",
        "4-Mar-1985",
        "04-MAR-85",
        "04MAR1985",
        "March 4 1985",
        "March 4, 1985",
        "Mar. 4th, 1985",
        "mar-04-1985",
        "3 4 1985",
    ],
)
def test_birth_date_forms(text: str) -> None:
    query = parse(text)
    assert query.birth_date == DOB
    assert query.names == () and query.identifiers == () and query.phone is None
    assert query.phone_last4 is None and query.ignored == ()


@pytest.mark.parametrize(
    "text",
    [
        "smith 4 mar 1985",
        "smith, john 4 Mar 1985",
        "4 mar 1985 smith",
        "john march 4, 1985 smith",
        "smith 3/4/85",
        "smith 03041985",
        "1985-03-04 smith",
    ],
)
def test_birth_date_inside_names(text: str) -> None:
    query = parse(text)
    assert query.birth_date == DOB
    assert "smith" in query.names
    assert not any(ch.isdigit() for name in query.names for ch in name)
    assert "mar" not in query.names and "march" not in query.names


def test_day_first_swaps_ambiguous_numeric_dates() -> None:
    assert parse("3/4/1985", day_first=True).birth_date == date(1985, 4, 3)
    assert parse("03041985", day_first=True).birth_date == date(1985, 4, 3)
    assert parse("3.4.85", day_first=True).birth_date == date(1985, 4, 3)
    # ISO and month names do not depend on the setting
    assert parse("1985-03-04", day_first=True).birth_date == DOB
    assert parse("4 Mar 1985", day_first=True).birth_date == DOB
    assert parse("March 4 1985", day_first=True).birth_date == DOB


def test_impossible_preferred_order_takes_the_other() -> None:
    assert parse("25/12/1985").birth_date == date(1985, 12, 25)
    assert parse("12/25/1985", day_first=True).birth_date == date(1985, 12, 25)
    assert parse("13041985").birth_date == date(1985, 4, 13)
    assert parse("04131985", day_first=True).birth_date == date(1985, 4, 13)


def test_two_digit_year_is_never_in_the_future() -> None:
    assert parse("3/4/24").birth_date == date(2024, 3, 4)
    assert parse("5/31/25").birth_date == date(2025, 5, 31)
    assert parse("6/1/25").birth_date == date(2025, 6, 1)  # born today
    assert parse("6/2/25").birth_date == date(1925, 6, 2)  # tomorrow -> last century
    assert parse("3/4/26").birth_date == date(1926, 3, 4)
    assert parse("4 mar 99").birth_date == date(1999, 3, 4)
    assert parse("2/29/00").birth_date == date(2000, 2, 29)  # 1900 was no leap year
    assert parse_lookup("3/4/30", today=date(2040, 1, 1)).birth_date == date(2030, 3, 4)


def test_today_defaults_to_the_real_date() -> None:
    assert parse_lookup("3/4/85").birth_date == DOB
    tomorrow = date.today() + timedelta(days=1)
    assert parse_lookup(tomorrow.isoformat()).birth_date is None


@pytest.mark.parametrize(
    "text",
    ["2/30/1985", "31 Apr 1990", "Feb 29 1985", "13/13/1985", "1985-02-30", "3/4/2030", "3/4/1850"],
)
def test_impossible_dates_are_ignored_not_identifiers(text: str) -> None:
    query = parse(f"smith {text}")
    assert query.birth_date is None
    assert query.identifiers == ()
    assert query.phone is None and query.phone_last4 is None
    assert query.ignored == (text,)
    assert query.names == ("smith",)
    assert f'ignored "{text}"' in query.describe()


@pytest.mark.parametrize("text", ["3/4", "3/4/198", "12/", "1985/03"])
def test_half_typed_dates_are_ignored(text: str) -> None:
    query = parse(f"smith {text}")
    assert query.identifiers == () and query.birth_date is None and query.phone_last4 is None
    assert query.ignored == (text,)
    assert query.names == ("smith",)


def test_impossible_eight_digits_are_an_identifier() -> None:
    query = parse("02301985")
    assert query.birth_date is None
    assert query.identifiers == ("02301985",)
    assert parse("99999999").identifiers == ("99999999",)


def test_eight_digit_readings_never_collide() -> None:
    # The parser relies on this: a YYYYMMDD birth date is never also a valid MMDDYYYY or
    # DDMMYYYY birth date, so trying YYYYMMDD last cannot steal a date from the other two.
    day = date(1880, 1, 1)
    while day <= TODAY:
        iso = day.strftime("%Y%m%d")
        assert parse(iso).birth_date == day
        assert parse(iso, day_first=True).birth_date == day
        day += timedelta(days=1)


def test_only_the_first_date_counts() -> None:
    query = parse("4 mar 1985 5/6/1990")
    assert query.birth_date == DOB
    assert query.ignored == ("5/6/1990",)
    # "first" is typed order, even when the later one has the more specific shape
    query = parse("5/6/1990 4 mar 1985")
    assert query.birth_date == date(1990, 5, 6)
    assert query.ignored == ("4 mar 1985",)


def test_an_impossible_date_does_not_block_a_later_valid_one() -> None:
    query = parse("2/30/1985 3/4/1985")
    assert query.birth_date == DOB
    assert query.ignored == ("2/30/1985",)


# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(617) 555-0123",
        "(617)555-0123",
        "617-555-0123",
        "617.555.0123",
        "617 555 0123",
        "617 - 555 - 0123",
        "6175550123",
        "+1 617 555 0123",
        "+1 (617) 555-0123",
        "1-617-555-0123",
        "1 617 555 0123",
        "16175550123",
        "+16175550123",
    ],
)
def test_phone_forms(text: str) -> None:
    query = parse(text)
    assert query.phone == "6175550123"
    assert query.birth_date is None and query.identifiers == () and query.phone_last4 is None
    assert query.names == ()


def test_phone_with_names_and_date() -> None:
    query = parse("smith (617) 555-0123 3/4/1985")
    assert query.phone == "6175550123"
    assert query.birth_date == DOB
    assert query.names == ("smith",)


def test_seven_digit_local_phone() -> None:
    assert parse("555-0123").phone == "5550123"
    assert parse("5550123").phone == "5550123"
    assert parse("jones 555 0123").phone == "5550123"


def test_international_phone_gives_national_number() -> None:
    assert parse("+44 20 7946 0958").phone == "2079460958"
    assert parse("+33 1 23 45 67 89").phone == "123456789"
    # the greedy match is cut back to a possible number; the rest is read on its own
    query = parse("+44 20 7946 0958 1985")
    assert query.phone == "2079460958"
    assert query.phone_last4 == "1985"


def test_invalid_international_number_is_not_a_phone() -> None:
    query = parse("+12")
    assert query.phone is None
    assert query.identifiers == ("12",)
    # phonenumbers calls "+44 0123" possible; a phone needs a 7+ digit national number
    query = parse("+440123")
    assert query.phone is None
    assert query.identifiers == ("440123",)


def test_last_four() -> None:
    assert parse("0123").phone_last4 == "0123"
    query = parse("smith 0123")
    assert query.phone_last4 == "0123" and query.phone is None and query.names == ("smith",)
    # a lone year is also four digits: it is read as last-four, not as a birth date
    assert parse("smith 1985").phone_last4 == "1985"
    assert parse("smith 1985").birth_date is None


def test_digit_runs_that_are_not_phones_are_identifiers() -> None:
    assert parse("0001234").identifiers == ("0001234",)  # an MRN typed without its M
    assert parse("1234567890").identifiers == ("1234567890",)  # area code cannot start with 1
    assert parse("123456789").identifiers == ("123456789",)
    assert parse("26175550123").identifiers == ("26175550123",)
    assert all(parse(text).phone is None for text in ("0001234", "1234567890", "26175550123"))


def test_phone_and_date_with_spaces_are_told_apart() -> None:
    # 3-3-4 digit groups are a phone, 1-2/1-2/4 groups a date, whatever the separator.
    assert parse("617 555 0123").phone == "6175550123"
    assert parse("617 555 0123").birth_date is None
    assert parse("03 04 1985").birth_date == DOB
    assert parse("03 04 1985").phone is None
    assert parse("617-555-0123").birth_date is None
    assert parse("03-04-1985").phone is None
    assert parse("03-04-1985").birth_date == DOB
    assert parse("1-800-555-0123").phone == "8005550123"
    assert parse("1-800-555-0123").birth_date is None


def test_only_the_first_phone_counts() -> None:
    query = parse("617-555-0123 508-555-0199")
    assert query.phone == "6175550123"
    assert query.ignored == ("508-555-0199",)


# --- identifiers ----------------------------------------------------------------------------


def test_mrn_any_case() -> None:
    assert parse("M0001234").identifiers == ("M0001234",)
    assert parse("m0001234").identifiers == ("M0001234",)
    assert parse("m0001234").names == ()


def test_member_ids() -> None:
    assert parse("XKA123456789").identifiers == ("XKA123456789",)
    assert parse("xka-123-456-789").identifiers == ("XKA123456789",)
    assert parse("#M0001234").identifiers == ("M0001234",)


def test_identifiers_keep_typed_order_and_mix_with_names() -> None:
    query = parse("smith XKA123456789 m0001234 john")
    assert query.identifiers == ("XKA123456789", "M0001234")
    assert query.names == ("smith", "john")
    assert query.phone is None and query.birth_date is None


# --- describe, is_empty, cleaning ---------------------------------------------------------


def test_describe() -> None:
    assert parse("smi jo 3/4/1985").describe() == "name smi jo, born 1985-03-04"
    assert parse("smith, john").describe() == "name smith, john"
    assert parse("(617) 555-0123").describe() == "phone 6175550123"
    assert parse("0123").describe() == "phone ending 0123"
    assert parse("m0001234").describe() == "id M0001234"
    assert parse("m0001234 XKA1").describe() == "ids M0001234, XKA1"
    assert parse("").describe() == "nothing to search"


def test_is_empty() -> None:
    for text in ("", "   ", "\x00\x01", ",,, ..", "2/30/1985"):
        assert parse(text).is_empty, text
    for text in ("a", "0123", "3/4/1985", "m0001234", "5550123"):
        assert not parse(text).is_empty, text


def test_query_is_frozen() -> None:
    query = parse("smith")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.names = ("jones",)  # type: ignore[misc]


def test_control_characters_removed_and_separate_words() -> None:
    query = parse("\x00smith\tjohn\n\x1b[31m")
    assert query.names == ("smith", "john")
    assert query.identifiers == ("31M",)  # the rest of an escape sequence: has a digit
    assert all(ch.isprintable() for ch in query.raw)
    assert parse("smi\u202eth").names == ("smith",)  # bidi override dropped


def test_overlong_input_is_truncated() -> None:
    query = parse("smith " + "x" * 10_000 + " 3/4/1985")
    assert len(query.raw) <= MAX_QUERY_CHARS
    assert query.names[0] == "smith"
    assert query.birth_date is None  # it was past the limit
    assert len(parse("ﬃ" * 1000).raw) <= MAX_QUERY_CHARS


def test_fullwidth_and_other_script_digits() -> None:
    assert parse("３/４/１９８５").birth_date == DOB
    assert parse("٠١٢٣").phone_last4 == "0123"


def test_none_is_empty_and_non_strings_are_rejected() -> None:
    assert parse_lookup(None).is_empty  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_lookup(1234)  # type: ignore[arg-type]


NASTY = [
    "",
    " ",
    ",",
    ",,,,",
    "+",
    "++1",
    "+1",
    "+()",
    "+1 (",
    "((((",
    "----",
    "/-/-/",
    "1/",
    "1/2/",
    "/1/2/3",
    "00/00/0000",
    "0/0/00",
    "99/99/99",
    "9999-99-99",
    "0000-00-00",
    "00000000",
    "0 mar 1985",
    "32 mar 1985",
    "mar 0 1985",
    "mar 99 99",
    "1st 2nd 3rd",
    "jan feb mar",
    "'; DROP TABLE patient; --",
    "%_%",
    "\\",
    "\x00" * 50,
    "\ud800\udfff",
    "\u0301\u0301",
    "\ufeffsmith",
    "🙂 smith 🙂",
    "𝟑/𝟒/𝟏𝟗𝟖𝟓",
    "1" * 500,
    "+" + "1" * 300,
    "(617) 555-0123 " * 40,
    "3/4/1985 " * 40,
    "a," * 300,
    "ǅ" * 300,
    "\u3000smith\u3000",
    "Ⅻ ⅻ ½",
    "\n\r\t\v\f",
]


def _check_well_formed(query: LookupQuery) -> None:
    assert isinstance(query.raw, str) and len(query.raw) <= MAX_QUERY_CHARS
    assert all(name and " " not in name for name in query.names)
    assert all(ident and ident == ident.upper() for ident in query.identifiers)
    assert query.phone is None or (query.phone.isdigit() and len(query.phone) >= 7)
    assert query.phone_last4 is None or (
        query.phone_last4.isdigit() and len(query.phone_last4) == 4
    )
    assert query.birth_date is None or date(1880, 1, 1) <= query.birth_date <= TODAY
    assert isinstance(query.describe(), str)
    assert isinstance(query.is_empty, bool)


@pytest.mark.parametrize("text", NASTY)
def test_nasty_inputs_never_raise(text: str) -> None:
    _check_well_formed(parse(text))
    _check_well_formed(parse(text, day_first=True))


def test_random_inputs_never_raise() -> None:
    rng = random.Random(1985_03_04)
    pieces = list("0123456789 /-.,+()#'abcmMxX\t\x00é王") + [
        "mar", "may", "june", "1985", "(617)", "555", "0123", "+44", "\u200b", "\ud800",
    ]  # fmt: skip
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        _check_well_formed(parse(text, day_first=rng.random() < 0.5))
    for _ in range(300):
        text = "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 60)))
        _check_well_formed(parse(text))
