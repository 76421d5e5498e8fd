"""Eligibility with payers (X12 270 out, 271 in) and the estimate of what a patient will owe."""

from coordinator_tui.services.eligibility.benefits import (
    Benefits,
    authorisation_required,
    benefits_lines,
    checklist_detail,
    coverage_benefits,
    latest_benefits,
)
from coordinator_tui.services.eligibility.estimates import (
    VisitEstimateSheet,
    estimate_visit,
    last_estimate,
)
from coordinator_tui.services.eligibility.imports import ImportResult, import_271
from coordinator_tui.services.eligibility.requests import RequestResult, request_eligibility

__all__ = [
    "Benefits",
    "ImportResult",
    "RequestResult",
    "VisitEstimateSheet",
    "authorisation_required",
    "benefits_lines",
    "checklist_detail",
    "coverage_benefits",
    "estimate_visit",
    "import_271",
    "last_estimate",
    "latest_benefits",
    "request_eligibility",
]
