"""Reading a patients CSV: which column is which field, and each row as a patient form. No DB.

Headers are recognised case- and punctuation-insensitively (Synthea's FIRST/LAST/BIRTHDATE/
GENDER/ADDRESS/CITY/STATE/ZIP/DEATHDATE/Id, first_name/surname/dob, given/family, ...);
`--map column=field` overrides or adds a mapping. Synthea appends digits to names to make them
unique ("Ignacio928"): those digits are removed when the file is recognised as Synthea's.
Full US state names ("Massachusetts") become USPS codes in the patient validation, as typed ones do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coordinator_tui.domain.patient_validation import FIELDS, Validated, validate_patient
from coordinator_tui.errors import UserError
from coordinator_tui.interop.utf8_file import read_utf8_csv

# field -> header spellings (compared after folding: lower case, letters and digits only)
ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "externalid", "patientid", "uuid", "sourceid"),
    "given_name": ("first", "firstname", "given", "givenname", "forename", "fname"),
    "middle_name": ("middle", "middlename", "mname"),
    "family_name": ("last", "lastname", "family", "familyname", "surname", "lname"),
    "preferred_name": ("preferredname", "nickname"),
    "birth_date": ("birthdate", "dob", "dateofbirth", "birthday", "born"),
    "deceased_date": ("deathdate", "deceaseddate", "dod", "dateofdeath", "deceased"),
    "sex": ("gender", "sex"),
    "phone_mobile": ("phone", "mobile", "cell", "phonemobile", "mobilephone", "cellphone",
                     "telephone"),
    "phone_home": ("homephone", "phonehome"),
    "email": ("email", "emailaddress", "mail"),
    "address_line1": ("address", "address1", "addressline1", "street", "streetaddress"),
    "address_line2": ("address2", "addressline2"),
    "city": ("city", "town"),
    "region": ("state", "region", "province"),
    "postal_code": ("zip", "zipcode", "postalcode", "postcode"),
    "country": ("country", "countrycode"),
    "preferred_language": ("language", "preferredlanguage"),
    "member_id": ("memberid", "insuranceid"),
}
IMPORT_FIELDS = tuple(ALIASES)
MAX_FIELD = 131_072  # characters; the csv module's default cap (no patient field comes close)
_SYNTHEA_MARKERS = {"id", "birthdate", "first", "last", "ssn", "healthcareexpenses"}
_TRAILING_DIGITS = re.compile(r"(?<=[^\W\d_])[0-9]+(?=\s|$)")


def _fold_header(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, int]  # field -> column index
    synthea: bool
    unused: tuple[str, ...]  # headers not used


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """['FIRSTNAME=given_name', ...] -> {'FIRSTNAME': 'given_name'}; refuses unknown fields."""
    out: dict[str, str] = {}
    for item in items or []:
        column, sep, target = item.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise UserError(f"--map wants column=field, like 'Surname=family_name' (got {item[:40]!r})")
        if target not in IMPORT_FIELDS:
            raise UserError(f"--map: unknown field {target[:40]!r}; fields are "
                            f"{', '.join(IMPORT_FIELDS)}")
        out[column] = target
    return out


def map_columns(header: list[str], overrides: dict[str, str] | None = None) -> ColumnMap:
    folded = [_fold_header(h) for h in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(folded):
        if name and name in seen:  # which of the two would be used is anyone's guess: refuse
            raise UserError(f"line 1: the header has {header[index].strip()[:40]!r} twice (columns "
                            f"{seen[name] + 1} and {index + 1}); rename or remove one; nothing was "
                            f"imported")
        seen.setdefault(name, index)
    columns: dict[str, int] = {}
    for column, target in (overrides or {}).items():
        matches = [i for i, h in enumerate(header) if h.strip() == column]
        matches = matches or [i for i, h in enumerate(folded) if h == _fold_header(column)]
        if not matches:
            raise UserError(f"--map: the file has no column {column[:40]!r}")
        columns[target] = matches[0]
    taken = set(columns.values())
    for target, spellings in ALIASES.items():
        if target in columns:
            continue
        for spelling in spellings:
            index = next((i for i, h in enumerate(folded) if h == spelling and i not in taken), None)
            if index is not None:
                columns[target] = index
                taken.add(index)
                break
    missing = [f for f in ("given_name", "family_name", "birth_date") if f not in columns]
    if missing:
        raise UserError(f"cannot tell which column holds {', '.join(missing)}; name it with "
                        f"--map COLUMN=FIELD (e.g. --map Surname=family_name)")
    synthea = len(_SYNTHEA_MARKERS & set(folded)) >= 4
    unused = tuple(h for i, h in enumerate(header) if i not in taken)
    return ColumnMap(columns, synthea, unused)


@dataclass(frozen=True)
class ParsedRow:
    line: int  # the line in the file where the row starts (the header is line 1)
    external_id: str | None
    member_id: str | None
    deceased_date: date | None
    checked: Validated  # validated patient fields
    errors: tuple[str, ...]  # reasons the row cannot be imported (empty when fine)

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean_value(field: str, value: str, synthea: bool) -> str:
    value = value.strip()
    if synthea and field in ("given_name", "family_name", "middle_name", "preferred_name"):
        value = _TRAILING_DIGITS.sub("", value).strip()
    return value


def parse_row(values: list[str], line: int, cmap: ColumnMap, today: date) -> ParsedRow:
    form: dict[str, str] = {}
    for target, index in cmap.columns.items():
        form[target] = _clean_value(target, values[index], cmap.synthea) if index < len(values) else ""
    checked = validate_patient({k: v for k, v in form.items() if k in FIELDS}, today=today)
    errors = [str(e) for e in checked.errors]
    deceased = None
    if form.get("deceased_date"):
        try:
            deceased = date.fromisoformat(form["deceased_date"][:10])
        except ValueError:
            errors.append("Death date: type it like 2020-05-01")
        else:
            born = checked.values.get("birth_date")
            if deceased > today or (born and deceased < born):
                errors.append("Death date: must be between the birth date and today")
    external = (form.get("external_id") or "").strip() or None
    if external and len(external) > 64:
        errors.append("Id: too long (at most 64 characters)")
    member = (form.get("member_id") or "").strip()[:40] or None
    return ParsedRow(line, external, member, deceased, checked, tuple(errors))


def open_rows(path: Path, overrides: dict[str, str] | None, today: date
              ) -> tuple[ColumnMap, int, Iterator[ParsedRow]]:
    """(column map, number of data rows, parsed rows). UTF-8 with or without a BOM."""
    text = read_utf8_csv(path)
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise UserError(f"{path.name} is empty") from None
    if isinstance(header, str):
        raise UserError(f"{path.name} has no usable header line: {header}")
    cmap = map_columns(header, overrides)
    total = max(0, sum(1 for _ in _records(text)) - 1)

    def rows() -> Iterator[ParsedRow]:
        records = _records(text)
        next(records)
        for line, values in records:
            if isinstance(values, str):
                yield ParsedRow(line, None, None, None, Validated(), (values,))
            elif any(v.strip() for v in values):
                yield parse_row(values, line, cmap, today)

    return cmap, total, rows()


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, the record's values or why it is unreadable) for each CSV record.

    The csv module's own cap on a field's size is lifted while it parses: the whole file is
    already in memory, so the cap saves nothing, and hitting it loses track of where a quoted
    field ends (the rest of that record would be read as new rows). Overlong fields are
    reported here instead, as a bad row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        line = reader.line_num + 1  # where this record starts (a quoted field may span lines)
        end = line
        limit = csv.field_size_limit(len(text) + 1)
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, f"not readable as CSV ({exc})"
            continue
        finally:
            csv.field_size_limit(limit)  # the cap is process-wide: put it back at once
            end = reader.line_num
        # No patient field holds a line break: a record running over several lines is a quote
        # left open, and the lines it swallowed are named, never silently lost (issue #22).
        spans = (f"; its quotes run from line {line} to line {end} (an unclosed quote?), so "
                 f"lines {line + 1}-{end} were not read as rows") if end > line else ""
        if any(len(v) > MAX_FIELD for v in values):
            yield line, f"a field is longer than {MAX_FIELD:,} characters{spans}"
        elif spans:
            yield line, f"a quoted field runs over several lines{spans}"
        else:
            yield line, values
