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


def _addressed(ctx, patient_id: int) -> None:
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        patient.address_line1, patient.city, patient.region = "1 Main St", "Salem", "MA"
        patient.postal_code, patient.country = "01970", "US"


def _printing_to(ctx, folder) -> None:
    from dataclasses import replace

    ctx.settings = replace(ctx.settings, print_dir=str(folder), printer="")


def ledger_cases():
    """tests/services/test_transactions.py's rows for patient accounts: (setup, writes, audits,
    why), each setup(ctx, users, tmp) returning the call to measure."""
    from datetime import timedelta

    from coordinator_tui.interop.private_file import Target, deliver_stream
    from coordinator_tui.services.accounts import (
        aging,
        aging_export,
        aging_overview,
        imports,
        ledger,
        plans,
        statements,
        weekly,
        worklist,
    )

    def charged(c, u, cents="50.00"):
        return ledger.post_entry(c, u.super, 101, "charge", cents)

    def billing_file(c, t):
        with c.db.read() as session:
            mrn = session.get(Patient, 102).mrn
        path = t / "balances.csv"
        path.write_text(f"mrn,service_date,amount,reference\n{mrn},{CLINIC_DAY - timedelta(days=9)},"
                        f"12.00,B-1\n{mrn},{CLINIC_DAY - timedelta(days=40)},8.00,B-2\n", encoding="utf-8")
        return path

    return {
        "ledger.post_entry (a charge)": (
            lambda c, u, t: lambda: ledger.post_entry(c, u.desk, 101, "charge", "20.00"), 1, 1, ""),
        "ledger.transfer_to_patient": (
            lambda c, u, t: lambda: ledger.transfer_to_patient(c, u.desk, 101, "20.00"), 1, 1,
            "two rows (insurance out, patient in), one event"),
        "ledger.reverse_entry": (
            lambda c, u, t: (lambda row: lambda: ledger.reverse_entry(c, u.super, row.id, "typo"))(charged(c, u)),
            1, 1, ""),
        "ledger.entries (a view)": (lambda c, u, t: lambda: ledger.entries(c, u.desk, 101), 1, 1, "ledger.view"),
        "plans.record_plan": (
            lambda c, u, t: (charged(c, u), lambda: plans.record_plan(c, u.desk, 101, "10.00",
                                                                       CLINIC_DAY + timedelta(days=7)))[1],
            1, 1, ""),
        "plans.end_plan": (
            lambda c, u, t: (charged(c, u), plans.record_plan(c, u.desk, 101, "10.00", CLINIC_DAY),
                             lambda: plans.end_plan(c, u.desk, 101))[2], 1, 1, ""),
        "aging.aging (a view)": (lambda c, u, t: lambda: aging.aging(c, u.super, CLINIC_DAY), 1, 1,
                                 "read without the write lock; the ar.aging event is the one write"),
        "aging_overview.aging_overview (the screen's view)": (
            lambda c, u, t: lambda: aging_overview.aging_overview(c, u.super, CLINIC_DAY), 1, 1,
            "read without the write lock (two connections on one snapshot); the ar.aging event is the one write"),
        "aging_export.aging_export (the streamed CSV)": (
            lambda c, u, t: (lambda e: lambda: deliver_stream(Target(t / "aging.csv"), e.fill, e.publish))(
                aging_export.aging_export(c, u.super, CLINIC_DAY)), 1, 1,
            "read without the write lock; the ar.aging event commits as the file takes its name"),
        "statements.write_statements (one patient)": (
            lambda c, u, t: (charged(c, u), lambda: statements.write_statements(
                c, u.super, CLINIC_DAY, t / "s.pdf", patient_id=101))[1], 1, None,
            "one statement row and one audit event per patient (a seeded patient may lack an address)"),
        "statements.print_statement": (
            lambda c, u, t: (_addressed(c, 101), charged(c, u), _printing_to(c, t),
                             lambda: statements.print_statement(c, u.super, 101))[3], 1, 1,
            "the statement row and its event commit once the PDF reached the printouts folder"),
        "worklist.work_list (a view)": (lambda c, u, t: lambda: worklist.work_list(c, u.super), 1, 1, "ar.worklist"),
        "worklist.call_about_balance": (
            lambda c, u, t: (charged(c, u), lambda: worklist.call_about_balance(c, u.super, 101))[1], 1, 1,
            "callback.create"),
        "worklist.note_promise": (
            lambda c, u, t: (charged(c, u), lambda: worklist.note_promise(c, u.super, 101, "10.00", CLINIC_DAY))[1],
            1, 1, ""),
        "weekly.weekly_report (a view)": (lambda c, u, t: lambda: weekly.weekly_report(c, u.super, CLINIC_DAY),
                                          1, 1, "ar.weekly"),
        "imports.import_balances (2 rows)": (
            lambda c, u, t: (lambda path: lambda: imports.import_balances(c, u.super, path))(billing_file(c, t)),
            1, 1, "the whole file in one transaction, one event"),
    }
