"""The estimate of what a patient owes, in words a receptionist reads out."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.eligibility import parse_fee_schedule, parse_payer_ids, service_types
from coordinator_tui.domain.estimate import Benefits, estimate, sheet
from coordinator_tui.errors import UserError


def test_deductible_larger_than_the_visit_reads_as_the_issue_says():
    result = estimate(18000, Benefits(copay_cents=2500, deductible_remaining_cents=34000, coinsurance_bp=2000))
    assert result.explanation.startswith(
        "Copay $25. Your deductible has $340 left, so today's $180 visit is yours in full: "
        "about $180 plus copay.")
    assert result.total_cents == 20500 and "estimate" in result.explanation


def test_part_deductible_then_coinsurance():
    result = estimate(18000, Benefits(2500, 10000, 2000))
    assert (result.deductible_part_cents, result.coinsurance_part_cents, result.total_cents) == (10000, 1600, 14100)
    assert "then 20% of the other $80 ($16): about $116 plus copay" in result.explanation


def test_deductible_met_and_no_coinsurance():
    assert estimate(18000, Benefits(0, 0, 2000)).total_cents == 3600
    met = estimate(18000, Benefits(2500, 0, None))
    assert met.total_cents == 2500 and "plan pays today's $180 visit" in met.explanation


def test_out_of_pocket_left_caps_the_visit_part():
    result = estimate(18000, Benefits(2500, 34000, 2000, oop_remaining_cents=7500))
    assert result.total_cents == 7500 and "at most $50 beyond the copay" in result.explanation


def test_unknown_parts_are_said_not_guessed():
    no_answer = estimate(18000, Benefits(2500), from_payer=False)
    assert no_answer.total_cents == 2500 and "has not told us" in no_answer.explanation
    no_fee = estimate(None, Benefits(2500, 34000, 2000), visit="procedure visit")
    assert no_fee.total_cents == 2500 and "No expected charge for a procedure visit" in no_fee.explanation
    self_pay = estimate(18000, None)
    assert self_pay.total_cents == 18000 and "No insurance on file" in self_pay.explanation


def test_sheet_is_receipt_width_and_says_estimate():
    text = sheet("Riverside Family Clinic", [("Patient", "Garcia, Ana  MRN 0000123")],
                 estimate(18000, Benefits(2500, 34000, 2000)), "Estimated 2026-11-23 10:45 by demo")
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "ESTIMATE OF WHAT YOU WILL OWE" in text and "not a bill" in text
    assert "ESTIMATED TOTAL                  $205.00" in text


def test_settings_text_is_parsed_or_named():
    assert parse_fee_schedule("NEW=250, fu=$180.50") == {"NEW": 25000, "FU": 18050}
    assert parse_payer_ids("Aetna=60054; Blue Cross Blue Shield=00590") == {
        "aetna": "60054", "blue cross blue shield": "00590"}
    with pytest.raises(UserError, match="fee_schedule: FU"):
        parse_fee_schedule("FU=abc")
    with pytest.raises(UserError, match="NAME=VALUE"):
        parse_payer_ids("Aetna")
    assert service_types("fu") == ("30", "98") and service_types("XYZ") == ("30",)
