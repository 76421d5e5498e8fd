"""Eligibility settings read from text, and the X12 service type asked about for each visit type.

- `eligibility_payer_ids`: "Aetna=60054; Blue Cross Blue Shield=00590" (payer name as on file =
  the payer's id at the clearinghouse; names are matched without regard to case).
- `fee_schedule`: "NEW=250.00, FU=180.00": the expected charge per appointment type code, in
  dollars; the estimate of what a patient owes starts from it.
"""

from __future__ import annotations

from coordinator_tui.domain.money import AmountInvalid, parse_amount
from coordinator_tui.errors import UserError

HEALTH_BENEFIT_PLAN_COVERAGE = "30"

# X12 service type codes (EQ01) for the clinic's appointment types: 98 professional (physician)
# visit - office, 81 routine physical, 2 surgical. An unknown type asks about 30 only.
SERVICE_TYPE_BY_VISIT = {"NEW": "98", "FU": "98", "SICK": "98", "WALK": "98", "TEL": "98",
                         "ANN": "81", "PROC": "2"}


def service_types(visit_type_code: str | None) -> tuple[str, ...]:
    extra = SERVICE_TYPE_BY_VISIT.get((visit_type_code or "").upper())
    return (HEALTH_BENEFIT_PLAN_COVERAGE, extra) if extra else (HEALTH_BENEFIT_PLAN_COVERAGE,)


def _pairs(setting: str, text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.replace("\n", ";").replace(",", ";").split(";") if setting == "fee_schedule" \
            else text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(f"{setting}: {part.strip()[:40]!r} is not NAME=VALUE")
        pairs.append((name.strip(), value.strip()))
    return pairs


def parse_payer_ids(text: str) -> dict[str, str]:
    """Payer name (case-folded) -> payer id."""
    out: dict[str, str] = {}
    for name, value in _pairs("eligibility_payer_ids", text):
        if len(value) > 80 or not value.replace("-", "").isalnum():
            raise UserError(f"eligibility_payer_ids: the id for {name[:40]!r} must be letters and digits")
        out[name.casefold()] = value
    return out


def parse_fee_schedule(text: str) -> dict[str, int]:
    """Appointment type code (upper case) -> expected charge in cents."""
    out: dict[str, int] = {}
    for code, value in _pairs("fee_schedule", text):
        try:
            out[code.upper()] = parse_amount(value)
        except AmountInvalid as exc:
            raise UserError(f"fee_schedule: {code[:12]}: {exc}") from None
    return out
