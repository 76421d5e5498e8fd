"""Patient accounts in tests: the ledger summed by plain SQL (the check the services must
match), an insured patient waiting today, and the service cases of the transactions table."""

from __future__ import annotations

from sqlalchemy import text

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.store.models import Patient
from tests.conftest import CLINIC_DAY


def ledger_sum(ctx, patient_id: int | None) -> int:
    """The patient's (or, with None, everyone's) patient-responsibility rows, summed by SQL,
    following merges to the survivor as the services do."""
    with ctx.db.read() as session:
        if patient_id is None:
            return session.execute(text("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries "
                                        "WHERE responsibility = 'patient'")).scalar_one()
        while (up := session.get(Patient, patient_id).merged_into_id) is not None:
            patient_id = up
        return session.execute(text("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries "
                                    "WHERE responsibility = 'patient' AND patient_id = :p"),
                               {"p": patient_id}).scalar_one()


def patient_version(ctx, patient_id: int) -> int:
    with ctx.db.read() as session:
        return session.get(Patient, patient_id).version_id


def waiting_insured(ctx, actor) -> tuple[int, int]:
    """(appointment id, patient id) of a patient with insurance still expected today."""
    for row in day_appointments(ctx, actor, CLINIC_DAY):
        if row.status not in (S.SCHEDULED, S.CONFIRMED):
            continue
        current = checkin.checklist(ctx, actor, row.id)
        if "self-pay" not in current.item("eligibility").detail:
            return row.id, current.patient_id
    raise AssertionError("no insured patient waiting")
