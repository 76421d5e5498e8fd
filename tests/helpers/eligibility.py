"""Eligibility settings for tests: the clinic's X12 ids, payer ids for the seeded payers and a
fee schedule, as a context and as COORDINATOR_* environment for the command line."""

from __future__ import annotations

from dataclasses import replace

SETTINGS = {
    "eligibility_submitter_id": "CLINIC01",
    "eligibility_receiver_id": "AVAILITY",
    "clinic_npi": "1234567893",
    "eligibility_payer_ids": ("Aetna=60054; Cigna=62308; Blue Cross Blue Shield=00590; "
                              "UnitedHealthcare=87726; Humana=61101; Medicare=MCR01; "
                              "Harvard Pilgrim=04271; Tufts Health Plan=04298; Ambetter=68069; "
                              "MassHealth (Medicaid)=MAMCD"),
    "fee_schedule": "NEW=250.00, FU=180.00, ANN=300.00, SICK=150.00, PROC=400.00, TEL=90.00, WALK=150.00",
}

ENV = {f"COORDINATOR_{name.upper()}": value for name, value in SETTINGS.items()}


def with_eligibility(ctx):
    """The same context with the eligibility settings set."""
    ctx.settings = replace(ctx.settings, **SETTINGS)
    return ctx


def traces(text_270: str) -> list[str]:
    """The TRN trace numbers of a 270 (in file order)."""
    return [line.split("*")[2] for line in text_270.replace("~", "~\n").splitlines()
            if line.startswith("TRN*")]
