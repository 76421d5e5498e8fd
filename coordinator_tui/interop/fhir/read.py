"""Reading FHIR R4 JSON: a resource, a Bundle (transaction, batch, collection, searchset), a
folder of them, or NDJSON; every resource validated before anything is applied.

fhir.resources 8.x validates R5 by default; we use its R4B classes (all 71 official R4 examples
validate, 24 fail as R5). It does not enforce required code bindings (it takes gender "M" and
status "checked_in"), so those are checked here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class

GENDERS = {"male", "female", "other", "unknown"}
APPOINTMENT_STATUSES = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
                        "noshow", "entered-in-error", "checked-in", "waitlist"}
COVERAGE_STATUSES = {"active", "cancelled", "draft", "entered-in-error"}
BUNDLE_TYPES = {"transaction", "batch", "collection", "searchset", "document", "message",
                "history", "transaction-response", "batch-response"}
MAX_FILE_BYTES = 200_000_000


class Malformed(ValueError):
    def __init__(self, where: str, reason: str):
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Entry:
    where: str          # "file.json entry 3 (Patient/abc)"
    full_url: str | None
    resource: dict

    @property
    def type(self) -> str:
        return self.resource.get("resourceType", "")


def instant(text) -> datetime | None:
    """A FHIR instant (an ISO time with its offset, Z for UTC) as an aware datetime; None for
    anything else, a time without an offset included (it would be read in the wrong zone)."""
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def _error_text(exc) -> str:
    errors = exc.errors() if hasattr(exc, "errors") else []
    if errors:
        first = errors[0]
        place = ".".join(str(p) for p in first.get("loc", ()))
        return f"{place}: {first.get('msg', 'not valid')}"[:200]
    return str(exc).splitlines()[0][:200]


def check(resource: dict, where: str) -> None:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not kind or not isinstance(kind, str):
        raise Malformed(where, "not a FHIR resource (no resourceType)")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError, AttributeError):
        raise Malformed(where, f"{kind[:40]!r} is not an R4 resource type") from None
    try:
        model.model_validate(resource)
    except Exception as exc:  # pydantic ValidationError, or the classes' own value errors
        raise Malformed(where, f"not valid R4 {kind}: {_error_text(exc)}") from None
    if kind == "Patient" and "gender" in resource and resource["gender"] not in GENDERS:
        raise Malformed(where, f"gender {str(resource['gender'])[:20]!r} is not one of "
                               f"{', '.join(sorted(GENDERS))}")
    if kind == "Appointment" and resource.get("status") not in APPOINTMENT_STATUSES:
        raise Malformed(where, f"status {str(resource.get('status'))[:20]!r} is not an R4 "
                               f"appointment status")
    if kind == "Coverage" and resource.get("status") not in COVERAGE_STATUSES:
        raise Malformed(where, f"status {str(resource.get('status'))[:20]!r} is not a coverage status")


def _entries_of(document: dict, name: str) -> list[Entry]:
    if not isinstance(document, dict):
        raise Malformed(name, "not a FHIR resource (not a JSON object)")
    if document.get("resourceType") != "Bundle":
        check(document, name)
        return [Entry(f"{name} ({document['resourceType']}/{document.get('id', '?')})", None, document)]
    if document.get("type") not in BUNDLE_TYPES:
        raise Malformed(name, f"Bundle type {str(document.get('type'))[:20]!r} is not an R4 type")
    out = []
    for number, entry in enumerate(document.get("entry") or [], start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        label = f"{name} entry {number}"
        if resource is None:
            raise Malformed(label, "has no resource")
        check(resource, label)
        out.append(Entry(f"{label} ({resource['resourceType']}/{resource.get('id', '?')})",
                         entry.get("fullUrl"), resource))
    return out


def read_path(path: Path) -> tuple[int, list[Entry]]:
    """(files read, every entry) from a .json/.ndjson file or a folder of them; Malformed for
    the first problem (nothing is applied when there is one)."""
    files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".ndjson")) \
        if path.is_dir() else [path]
    if not files:
        raise Malformed(str(path), "no .json or .ndjson files")
    entries: list[Entry] = []
    for file in files:
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise Malformed(file.name, f"larger than {MAX_FILE_BYTES:,} bytes")
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise Malformed(file.name, "not UTF-8 text") from None
        except OSError as exc:
            raise Malformed(file.name, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
        if file.suffix == ".ndjson":
            for line_no, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    entries.extend(_entries_of(_json(line, f"{file.name} line {line_no}"),
                                               f"{file.name} line {line_no}"))
        else:
            entries.extend(_entries_of(_json(text, file.name), file.name))
    return len(files), entries


def _json(text: str, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Malformed(where, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
