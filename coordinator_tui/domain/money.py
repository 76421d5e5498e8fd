"""Money is an integer number of cents, never a float.

`parse_amount` reads what the desk types for a payment or copay: 12, 12.5, 12.50, $12.50,
1,234.56, .50. Decisions: the amount must be more than zero (refunds are a separate action, not
a negative payment); at most two digits after the point, so "12.500" is refused rather than
silently read; commas only as thousands separators in groups of three, so "12,50" (a European
decimal comma) is refused rather than read as 1250; at most $100,000.00.

`parse_payment` is stricter: one payment taken at the desk is at most `MAX_PAYMENT_CENTS`
($10,000.00). A typo such as 99999 for 99.99 is refused, not recorded and then voided; a larger
sum is billing's work, not the front desk's.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import NoReturn

MAX_CENTS = 100_000_00
MAX_PAYMENT_CENTS = 10_000_00
MAX_LENGTH = 20

# [0-9], never \d: Decimal() would happily accept other scripts' digits and "1e5" or "NaN".
_AMOUNT = re.compile(
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)"  # 1,234 or 1234 or nothing (".50")
    r"(?:\.(?P<frac>[0-9]*))?"
)


class AmountInvalid(ValueError):
    """The typed amount is not one the desk may record; the message is shown to the user."""


def parse_amount(text: str) -> int:
    """Cents for a typed dollar amount; AmountInvalid with a clear message otherwise."""
    if not isinstance(text, str):
        raise AmountInvalid(f"Expected an amount as text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise AmountInvalid("Enter an amount, for example 12.50")
    if len(stripped) > MAX_LENGTH:
        _refuse(stripped, "is too long to be an amount")

    if stripped.startswith(("-", "$-", "$ -")):
        _refuse(stripped, "is negative; refunds are not entered as payments")
    number = stripped.removeprefix("$").strip()

    match = _AMOUNT.fullmatch(number)
    if match is None or not re.search(r"[0-9]", number):
        if re.fullmatch(r"[0-9,]*\.?[0-9,]*", number) and "," in number:
            _refuse(stripped, "has misplaced commas; use them only between thousands (1,234.56)")
        _refuse(stripped, "is not an amount; type dollars and cents, like 12.50")
    if len(match["frac"] or "") > 2:
        _refuse(stripped, "has more than two digits after the point (cents)")

    cents = int(Decimal(number.replace(",", "")) * 100)  # exact: at most two decimals here
    if cents == 0:
        _refuse(stripped, "is zero; enter an amount more than $0.00")
    if cents > MAX_CENTS:
        _refuse(stripped, f"is more than the {format_cents(MAX_CENTS)} the desk may record")
    return cents


def parse_payment(text: str) -> int:
    """Cents for one payment typed at the desk: `parse_amount` and at most MAX_PAYMENT_CENTS."""
    cents = parse_amount(text)
    if cents > MAX_PAYMENT_CENTS:
        _refuse(text.strip(), f"is more than {format_cents(MAX_PAYMENT_CENTS)}, the most one "
                              f"payment at the desk may be")
    return cents


def format_cents(cents: int) -> str:
    """'$12.50', '-$3.00', '$1,234.56'."""
    # bool is an int subclass and a float would mean the "never a float" rule broke upstream.
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError(f"cents must be an int, got {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def _refuse(text: str, reason: str) -> NoReturn:
    shown = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text[:30])
    if len(text) > 30:
        shown += "..."
    raise AmountInvalid(f'"{shown}" {reason}.')
