"""Reading a billing system's patient-responsibility file (CSV): MRN, date of service, amount,
reference per row, columns found by name (case, spaces and punctuation ignored; a few common
aliases) or mapped with --map COLUMN=field. A last row whose MRN cell reads TOTAL (or TRAILER)
is the trailer: its amount is the file's total. Pure parsing: nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from coordinator_tui.domain.money import AmountInvalid, parse_amount
from coordinator_tui.errors import UserError
from coordinator_tui.interop.utf8_file import read_utf8_csv

ALIASES = {
    "mrn": ("mrn", "medicalrecordnumber", "patientmrn", "chartnumber", "accountnumber"),
    "service_date": ("servicedate", "dateofservice", "dos", "date", "visitdate"),
    "amount": ("amount", "patientresponsibility", "patientbalance", "balance", "patientamount"),
    "reference": ("reference", "ref", "claim", "claimid", "claimnumber", "invoice", "referencenumber"),
}
FIELDS = tuple(ALIASES)
TRAILER_WORDS = ("total", "trailer")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class BillingRow:
    line: int
    mrn: str
    service_date: date
    cents: int
    reference: str


@dataclass(frozen=True)
class BillingFile:
    rows: tuple[BillingRow, ...]
    bad: tuple[tuple[int, str], ...]
    trailer_cents: int | None


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or target.strip() not in FIELDS:
            raise UserError(f"--map wants column=field with field one of {', '.join(FIELDS)} "
                            f"(got {item[:40]!r})")
        out[_fold(column)] = target.strip()
    return out


def _columns(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    folded = [_fold(h) for h in header]
    found: dict[str, int] = {}
    for index, name in enumerate(folded):
        if name in mapping:
            found[mapping[name]] = index
    for field, names in ALIASES.items():
        if field not in found:
            hits = [i for i, name in enumerate(folded) if name in names]
            if len(hits) > 1:
                raise UserError(f"line 1: more than one column could be the {field.replace('_', ' ')}; "
                                f"say which with --map; nothing was posted")
            if hits:
                found[field] = hits[0]
    missing = [f.replace("_", " ") for f in FIELDS if f not in found]
    if missing:
        raise UserError(f"line 1: no column for {', '.join(missing)} (map one with --map "
                        f"COLUMN=field); nothing was posted")
    return found


def parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"date of service {text[:20]!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def read_billing_file(path: Path, mapping: dict[str, str] | None = None) -> BillingFile:
    """Every row checked; problems by line. UTF-8 (with or without a BOM) only."""
    text = read_utf8_csv(path, then="; nothing was posted")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{Path(path).name} is empty; nothing was posted") from None
    except csv.Error as exc:
        raise UserError(f"line 1 is not readable as CSV ({exc}); nothing was posted") from None
    cols = _columns(header, mapping or {})
    rows: list[BillingRow] = []
    bad: list[tuple[int, str]] = []
    trailer = None
    seen: dict[str, int] = {}
    try:
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise UserError(f"line {reader.line_num} is not readable as CSV ({exc}); nothing was posted") from None
    if len(records) > MAX_ROWS:
        raise UserError(f"{Path(path).name} has {len(records):,} rows; at most {MAX_ROWS:,} per file")
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        if trailer is not None:
            bad.append((line, "a row after the TOTAL trailer"))
            continue

        def cell(field: str, values=values) -> str:
            index = cols[field]
            return values[index].strip() if index < len(values) else ""

        if cell("mrn").casefold() in TRAILER_WORDS:
            try:
                trailer = parse_amount(cell("amount"))
            except AmountInvalid as exc:
                bad.append((line, f"trailer total: {exc}"))
                trailer = -1
            continue
        try:
            mrn, reference = cell("mrn"), cell("reference")
            if not mrn:
                raise ValueError("no MRN")
            if not reference or len(reference) > 60:
                raise ValueError("a reference (up to 60 characters) is required")
            if reference in seen:
                raise ValueError(f"reference {reference[:30]!r} is already on line {seen[reference]}")
            try:
                cents = parse_amount(cell("amount"))
            except AmountInvalid as exc:
                raise ValueError(f"amount: {exc}") from None
            service_date = parse_date(cell("service_date"))
        except ValueError as exc:
            bad.append((line, str(exc)))
            continue
        seen[reference] = line
        rows.append(BillingRow(line, mrn, service_date, cents, reference))
    return BillingFile(tuple(rows), tuple(bad), trailer)
