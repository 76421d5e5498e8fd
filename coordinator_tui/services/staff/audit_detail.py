"""What `audit show` prints of an event's detail: field names and MRNs, never values
(issue #22, point 5). An event's stored detail may hold a patient's old and new name, birth date
or phone (`patient.update`), a free-text reason or note, or whatever was typed into a sign-in
box. Shown here are the names of the fields, the MRNs, and the values of a closed list of
keys whose values are codes the program itself chose (statuses, outcomes, kinds, receipt and
appointment numbers, counts); every other value is left out, its key kept."""

from __future__ import annotations

import json

# Keys whose values are the program's own codes or numbers, never typed by or about a person.
CODE_KEYS = frozenset({
    "from", "to", "status", "outcome", "screen", "method", "kind", "type", "role", "receipt",
    "revision", "upgraded", "idle", "break_glass", "escalated", "overbook", "forms", "items",
    "rows", "bytes", "cents", "minutes", "failures", "affected", "weekday", "slot_minutes",
    "provider_id", "from_appointment", "booked_appointment", "line", "day", "signed_on",
})
# Keys whose values are MRNs (the record's number, not the person).
MRN_KEYS = frozenset({"mrn", "dismissed_duplicates", "survivor_mrn", "merged_mrn", "redirected_from"})
# Keys whose value is a set of field names (the values inside are left out).
FIELD_KEYS = frozenset({"changed"})


def _safe_scalar(value) -> bool:
    return value is None or isinstance(value, bool | int | float) or isinstance(value, str) and len(value) <= 40


def _shown(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value if _safe_scalar(v) and not isinstance(v, list | dict))
    return str(value)


def describe(detail: str | None) -> str:
    """One line: `changed=phone_mobile,address_line1 from=scheduled to=arrived reason`."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return "(detail not readable)"
    if not isinstance(data, dict):
        return "(detail)"
    parts = []
    for key in sorted(data):
        value = data[key]
        name = "".join(ch for ch in str(key) if ch.isalnum() or ch == "_")[:40]
        if key in FIELD_KEYS and isinstance(value, dict | list):
            fields = sorted(value) if isinstance(value, dict) else value
            parts.append(f"{name}=" + ",".join(
                "".join(ch for ch in str(f) if ch.isalnum() or ch == "_")[:40] for f in fields))
        elif (key in CODE_KEYS or key in MRN_KEYS) and (
                _safe_scalar(value) or isinstance(value, list) and all(_safe_scalar(v) for v in value)):
            parts.append(f"{name}={_shown(value)}")
        else:
            parts.append(name)
    return " ".join(parts)
