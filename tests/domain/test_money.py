"""Money as integer cents: parsing what the desk types, and showing it."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.money import (
    MAX_PAYMENT_CENTS,
    AmountInvalid,
    format_cents,
    parse_amount,
    parse_payment,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("$12.50", 1250),
        ("$ 12.50", 1250),
        ("  12.50\n", 1250),
        ("1,234.56", 123456),
        ("$1,234", 123400),
        ("1234.56", 123456),
        ("0.01", 1),
        (".50", 50),
        ("12.", 1200),
        ("007", 700),
        ("0.1", 10),
        ("0.29", 29),  # float(0.29) * 100 is 28.999999999999996
        ("1.15", 115),
        ("100000", 10_000_000),
        ("100,000.00", 10_000_000),
    ],
)
def test_accepted_amounts(text, cents):
    result = parse_amount(text)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "$"])
def test_empty(text):
    # "$" on its own has nothing after the sign: refused like any non-number.
    with pytest.raises(AmountInvalid, match="Enter an amount|not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12a",
        "twelve",
        "1e5",  # Decimal would read this as 100000
        "NaN",
        "Infinity",
        "0x10",
        "12 50",
        "12..5",
        ".",
        "$$12",
        "12$",
        "€12",
        "USD 12",
        "+12",
        "(12.00)",
        "12-",
        "\uff11\uff12",  # fullwidth 12: Decimal would accept it
        "\u0661\u0662",  # Arabic-Indic 12
        "12\x00",
        "1\x1b[2J2",
    ],
)
def test_non_numeric(text):
    with pytest.raises(AmountInvalid, match="not an amount") as info:
        parse_amount(text)
    assert "\x1b" not in str(info.value) and "\x00" not in str(info.value)


@pytest.mark.parametrize("text", ["12,50", "1,23.45", "1234,567", "1,2345", ",5", "1,,234"])
def test_misplaced_commas(text):
    with pytest.raises(AmountInvalid, match="misplaced commas"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["-5", "-12.50", "$-12.50", "-$12.50", "- 3", "$ -3", "-0"])
def test_negative(text):
    with pytest.raises(AmountInvalid, match="negative"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["0", "0.00", "$0", ".0", "0.", "000"])
def test_zero(text):
    with pytest.raises(AmountInvalid, match="zero"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["12.345", "12.500", "0.001", "1,234.567"])
def test_more_than_two_decimals(text):
    with pytest.raises(AmountInvalid, match="more than two digits"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["100000.01", "100,001", "$1,000,000", "99999999999999999999"])
def test_absurdly_large(text):
    with pytest.raises(AmountInvalid, match=r"more than the \$100,000\.00"):
        parse_amount(text)


def test_overlong():
    with pytest.raises(AmountInvalid, match="too long") as info:
        parse_amount("1" * 500)
    assert len(str(info.value)) < 100


def test_message_quotes_the_input():
    with pytest.raises(AmountInvalid, match='^"12.345" '):
        parse_amount("12.345")


def test_wrong_type():
    with pytest.raises(AmountInvalid):
        parse_amount(12.5)  # type: ignore[arg-type]


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        parse_amount("abc")


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1250, "$12.50"),
        (-300, "-$3.00"),
        (0, "$0.00"),
        (1, "$0.01"),
        (-1, "-$0.01"),
        (99, "$0.99"),
        (100, "$1.00"),
        (123456, "$1,234.56"),
        (10_000_000, "$100,000.00"),
        (-123456789, "-$1,234,567.89"),
    ],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


@pytest.mark.parametrize("value", [12.5, "1250", True, None])
def test_format_cents_refuses_non_int(value):
    with pytest.raises(TypeError):
        format_cents(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("cents", [1, 50, 1250, 123456, 999999, 10_000_000])
def test_round_trip(cents):
    assert parse_amount(format_cents(cents)) == cents


@pytest.mark.parametrize(("text", "cents"), [("10000", MAX_PAYMENT_CENTS), ("$10,000.00", 1_000_000),
                                             ("99.99", 9999)])
def test_a_payment_up_to_the_desk_maximum(text, cents):
    assert parse_payment(text) == cents


@pytest.mark.parametrize("text", ["10000.01", "99999", "$100,000.00"])
def test_a_payment_above_the_desk_maximum_is_refused(text):
    with pytest.raises(AmountInvalid, match=r"more than \$10,000\.00, the most one payment"):
        parse_payment(text)


def test_a_payment_is_first_an_amount():
    with pytest.raises(AmountInvalid, match="negative"):
        parse_payment("-5")
