"""One use case = one service function = one write transaction + its audit events (GUIDE 10).

Every service function that writes is in the table below with what one call costs: the number of
write transactions (`BEGIN IMMEDIATE` on the engine) and the audit rows it adds. A view of a
patient's data (a record, a checklist shown to the desk) is one write transaction because it adds
its one audit row; a decision made by a use case (check-in) is made from data read inside the
transaction that writes, and audits the change, not a view.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import (
    CallbackOutcome,
    CallbackReason,
    CancelledBy,
    FormKind,
    Role,
)
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import checkin, patients
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.checkin import cashup
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients import importing as patient_import
from coordinator_tui.services.schedule import availability
from coordinator_tui.services.schedule import export as schedule_export
from coordinator_tui.services.schedule import hours as weekly_hours
from coordinator_tui.services.schedule.export import day_sheet
from coordinator_tui.services.staff import (
    accounts,
    audit_keys,
    audit_trail,
    audit_views,
    cli_signin,
)
from coordinator_tui.services.staff import actors as staff
from coordinator_tui.services.staff import backups as backup
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import WRITE_OPTION
from coordinator_tui.store.models import AuditEvent
from tests.conftest import CLINIC_DAY

GOOD_PASSWORD = "correct horse battery staple 42"


@dataclass
class Cost:
    writes: int = 0
    audits: int = 0


@contextmanager
def counted(ctx):
    """Counts BEGIN IMMEDIATE transactions on ctx's engine and the audit rows added meanwhile."""
    cost = Cost()

    def on_begin(conn):
        if conn.get_execution_options().get(WRITE_OPTION):
            cost.writes += 1

    def audit_rows() -> int:
        with ctx.db.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent))

    before = audit_rows()
    event.listen(ctx.db.engine, "begin", on_begin)
    try:
        yield cost
    finally:
        event.remove(ctx.db.engine, "begin", on_begin)
    cost.audits = audit_rows() - before


# --- what each case needs ------------------------------------------------------------------------


def waiting(ctx, actor):
    return [r for r in day_appointments(ctx, actor, CLINIC_DAY) if r.status in (S.SCHEDULED, S.CONFIRMED)][-1]


def free_slot(ctx, actor, provider_id=1):
    return booking.find_free_slots(ctx, actor, provider_id=provider_id, type_code="FU",
                                   after=CLINIC_DAY + timedelta(days=1), limit=1)[0]


def booked(ctx, actor, patient_id=41):
    slot = free_slot(ctx, actor)
    return booking.book(ctx, actor, patient_id, slot.provider_id, "FU", slot.starts_at)


def open_callback(ctx, actor, *, with_appointment=False):
    items = cb.list_queue(ctx, actor)
    return next(i for i in items if not with_appointment or i.appointment_id is not None)


def confirmation_item(ctx, actor):
    cb.generate_confirmations(ctx, actor)
    item = next(i for i in cb.list_queue(ctx, actor, cb.QueueFilter(reason=CallbackReason.CONFIRMATION))
                if i.appointment_id is not None)
    cb.claim(ctx, actor, item.id)
    return item


def entered(manager):
    with manager:
        pass


def insured(ctx, actor):
    rows = [r for r in day_appointments(ctx, actor, CLINIC_DAY) if r.status in (S.SCHEDULED, S.CONFIRMED)]
    for row in rows:
        current = checkin.checklist(ctx, actor, row.id)
        if "self-pay" not in current.item("eligibility").detail:
            return row.id
    raise AssertionError("no insured patient waiting")


def later_slot(ctx, actor, appointment):
    slots = booking.find_free_slots(ctx, actor, provider_id=1, type_code="FU",
                                    after=CLINIC_DAY + timedelta(days=1), limit=5)
    return next(s for s in slots if s.starts_at != appointment.starts_at)


def arrived(ctx, actor):
    row = waiting(ctx, actor)
    change = checkin.check_in(ctx, actor, row.id, row.version, exception_reason="in a hurry")
    return row.id, change.version


def cancelled_by_patient_flow(ctx, users, tmp):
    desk = users.desk
    appt = booked(ctx, desk)
    return lambda: booking.cancel_and_offer(ctx, desk, appt.appointment_id, reason="ill",
                                            by=CancelledBy.PATIENT, rebook_callback=True)


def patient_csv(tmp):
    path = tmp / "people.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["first_name", "surname", "dob", "gender"],
                                      ["Ana", "Garcia", "1980-02-03", "F"],
                                      ["Bea", "Lopez", "1981-03-04", "F"]])
    return path


def block_then_delete(ctx, users, tmp):
    desk = users.desk
    slot = free_slot(ctx, desk)
    made = booking.block_time(ctx, desk, provider_id=1, starts_at=slot.starts_at,
                              ends_at=slot.ends_at, reason="meeting")
    return lambda: availability.delete_exception(ctx, desk, made.exception_id)


# Each case: (setup(ctx, users, tmp_path) -> the call to measure, write transactions, audit rows, why).
Setup = Callable[..., Callable[[], object]]
CASES: dict[str, tuple[Setup, int, int, str]] = {
    # check-in desk
    "checkin.checklist (a view)": (
        lambda c, u, t: lambda: checkin.checklist(c, u.desk, waiting(c, u.desk).id), 1, 1, "checkin.view"),
    "checkin.confirm_demographics": (
        lambda c, u, t: lambda: checkin.confirm_demographics(c, u.desk, waiting(c, u.desk).id), 1, 1, ""),
    "checkin.mark_eligibility": (
        lambda c, u, t: (lambda aid: lambda: checkin.mark_eligibility(c, u.desk, aid, verified=False,
                                                                      note="expired card"))(insured(c, u.desk)),
        1, 2,
        "the problem and the insurance callback it opens"),
    "checkin.record_forms_signed": (
        lambda c, u, t: lambda: checkin.record_forms_signed(
            c, u.desk, waiting(c, u.desk).id, [FormKind.PRIVACY_NOTICE]), 1, 1, ""),
    "checkin.mark_seen": (
        lambda c, u, t: lambda: checkin.mark_seen(c, u.desk, waiting(c, u.desk).id), 1, 1, ""),
    "checkin.take_payment": (
        lambda c, u, t: lambda: checkin.take_payment(c, u.desk, waiting(c, u.desk).id, "5.00", "cash",
                                                     confirm_over_due=True), 1, 1, ""),
    "checkin.void_payment": (
        lambda c, u, t: (lambda r: lambda: checkin.void_payment(c, u.super, r.payment_id, "typo"))(
            checkin.take_payment(c, u.desk, waiting(c, u.desk).id, "5.00", "cash", confirm_over_due=True)),
        1, 1, ""),
    "checkin.check_in": (
        lambda c, u, t: (lambda row: lambda: checkin.check_in(c, u.desk, row.id, row.version,
                                                              exception_reason="in a hurry"))(waiting(c, u.desk)),
        1, 1, "decided from the checklist read in the same transaction; no view row"),
    "checkin.undo_check_in": (
        lambda c, u, t: (lambda a: lambda: checkin.undo_check_in(c, u.desk, a[0], "wrong patient", a[1]))(
            arrived(c, u.desk)), 1, 1, ""),
    "checkin.status_history (a view)": (
        lambda c, u, t: lambda: checkin.status_history(c, u.desk, waiting(c, u.desk).id), 1, 1, ""),
    "checkin.walk_in_lookup (a view)": (
        lambda c, u, t: lambda: checkin.walk_in_lookup(c, u.desk, 40), 1, 1,
        "who the walk-in is, today's and a wrong-day appointment: one look"),
    "checkin.walk_in": (
        lambda c, u, t: lambda: checkin.walk_in(c, u.desk, 40, 1), 1, 1, ""),
    "cashup.day_payments (a view)": (
        lambda c, u, t: lambda: cashup.day_payments(c, u.desk, CLINIC_DAY), 1, 1, ""),
    "cashup.exported": (
        lambda c, u, t: lambda: entered(cashup.exported(c, u.desk, CLINIC_DAY, 3)), 1, 1, ""),
    # schedule desk
    "appointment_status.change_status": (
        lambda c, u, t: (lambda row: lambda: change_status(c, u.desk, row.id, S.ARRIVED))(waiting(c, u.desk)),
        1, 1, ""),
    "appointment_status.undo_last_change": (
        lambda c, u, t: (lambda a: lambda: undo_last_change(c, u.desk, a[0], reason="oops"))(arrived(c, u.desk)),
        1, 1, ""),
    "booking.book": (
        lambda c, u, t: (lambda s: lambda: booking.book(c, u.desk, 41, s.provider_id, "FU", s.starts_at))(
            free_slot(c, u.desk)), 1, 1, ""),
    "booking.book closing a callback": (
        lambda c, u, t: (lambda s, item: lambda: booking.book(c, u.desk, item.patient_id, s.provider_id, "FU",
                                                              s.starts_at, close_callback_id=item.id))(
            free_slot(c, u.desk), open_callback(c, u.desk)), 1, 2, "the booking and the callback closed"),
    "booking.reschedule": (
        lambda c, u, t: (lambda a: lambda: booking.reschedule(
            c, u.desk, a.appointment_id, later_slot(c, u.desk, a).starts_at, reason="work"))(booked(c, u.desk)),
        1, 2, "the old one's status change and the new booking"),
    "booking.cancel": (
        lambda c, u, t: (lambda a: lambda: booking.cancel(c, u.desk, a.appointment_id, reason="ill",
                                                          by=CancelledBy.PATIENT, rebook_callback=True))(
            booked(c, u.desk)), 1, 2, "the status change and the rebook callback"),
    "booking.cancel_and_offer": (cancelled_by_patient_flow, 1, 2,
                                 "cancel and rebook callback; the wait-list fits read in the same transaction"),
    "booking.no_show": (
        lambda c, u, t: (lambda row: lambda: booking.no_show(c, u.desk, row.id))(
            [r for r in day_appointments(c, u.desk, CLINIC_DAY)
             if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at <= c.now()][0]), 1, 2,
        "the no-show and its follow-up callback"),
    "booking.block_time": (
        lambda c, u, t: (lambda s: lambda: booking.block_time(c, u.desk, provider_id=1, starts_at=s.starts_at,
                                                              ends_at=s.ends_at))(
            free_slot(c, u.desk)), 1, 1, ""),
    "booking.add_to_waitlist": (
        lambda c, u, t: lambda: booking.add_to_waitlist(c, u.desk, 51, "FU", earliest=CLINIC_DAY), 1, 1, ""),
    "availability.delete_exception": (block_then_delete, 1, 1, ""),
    "weekly_hours.set_weekly_hours": (
        lambda c, u, t: lambda: weekly_hours.set_weekly_hours(
            c, u.admin, 1, 5, hours=[(540, 720)], slot_minutes=30,
            valid_from=CLINIC_DAY + timedelta(days=14)), 1, 1, ""),
    "schedule_export.exported": (
        lambda c, u, t: (lambda sheet: lambda: entered(schedule_export.exported(c, u.desk, sheet)))(
            day_sheet(c, u.desk, CLINIC_DAY)), 1, 1, ""),
    # patients desk
    "patients.get_record (a view)": (lambda c, u, t: lambda: patients.get_record(c, u.desk, 5), 1, 1, ""),
    "patients.register_patient": (
        lambda c, u, t: lambda: patients.register_patient(
            c, u.desk, {"given_name": "Zofia", "family_name": "Wisniewska-Kowalczyk", "birth_date": "7/8/1990",
                        "sex": "F"}), 1, 1, ""),
    "patients.update_patient": (
        lambda c, u, t: (lambda r: lambda: patients.update_patient(c, u.desk, 5, {"email": "x@example.org"},
                                                                   r.version))(patients.get_record(c, u.desk, 5)),
        1, 1, ""),
    "patients.merge_patients": (
        lambda c, u, t: lambda: patients.merge_patients(c, u.super, 5, 6, "same person"), 1, 2,
        "one row on each record"),
    "patient_import.import_patients (2 rows)": (
        lambda c, u, t: (lambda path: lambda: patient_import.import_patients(c, u.admin, path))(patient_csv(t)),
        1, 2, "one transaction per batch of rows, one row per patient"),
    # callbacks desk
    "callbacks.claim (a view)": (
        lambda c, u, t: (lambda i: lambda: cb.claim(c, u.desk, i.id))(open_callback(c, u.desk)), 1, 1, ""),
    "callbacks.release": (
        lambda c, u, t: (lambda i: (cb.claim(c, u.desk, i.id), lambda: cb.release(c, u.desk, i.id))[1])(
            open_callback(c, u.desk)), 1, 0, "only this desk's claim; nothing about the patient"),
    "callbacks.record_attempt": (
        lambda c, u, t: (lambda i: lambda: cb.record_attempt(c, u.desk, i.id, CallbackOutcome.REACHED))(
            open_callback(c, u.desk)), 1, 1, ""),
    "callbacks.close": (
        lambda c, u, t: (lambda i: lambda: cb.close(c, u.desk, i.id, done=True, reason="done"))(
            open_callback(c, u.desk)), 1, 1, ""),
    "callbacks.confirm_appointment_by_phone": (
        lambda c, u, t: (lambda i: lambda: cb.confirm_appointment_by_phone(c, u.desk, i.id))(
            confirmation_item(c, u.desk)), 1, 2, "the confirmation and the item closed"),
    "callbacks.create_by_hand": (
        lambda c, u, t: lambda: cb.create_by_hand(c, u.desk, patient_id=41, reason=CallbackReason.OTHER,
                                                  due_at=c.now() + timedelta(days=1)),
        1, 1, ""),
    "callbacks.generate_recalls": (
        lambda c, u, t: lambda: cb.generate_recalls(c, u.desk), 1, None, "one row per item made"),
    "callbacks.generate_confirmations": (
        lambda c, u, t: lambda: cb.generate_confirmations(c, u.desk), 1, None, "one row per item made"),
    # staff desk
    "accounts.add_user": (
        lambda c, u, t: lambda: accounts.add_user(c, u.admin, "newbie", "New Bie", Role.FRONT_DESK,
                                                  GOOD_PASSWORD), 1, 1, ""),
    "accounts.disable_user": (lambda c, u, t: lambda: accounts.disable_user(c, u.admin, "demo"), 1, 1, ""),
    "accounts.reset_password": (
        lambda c, u, t: lambda: accounts.reset_password(c, u.admin, "demo", GOOD_PASSWORD), 1, 1, ""),
    "accounts.authenticate": (
        lambda c, u, t: (accounts.reset_password(c, u.admin, "demo", GOOD_PASSWORD),
                         lambda: accounts.authenticate(c, "demo", GOOD_PASSWORD))[1], 1, 1, ""),
    "accounts.logout": (lambda c, u, t: lambda: accounts.logout(c, u.desk), 1, 1, ""),
    "accounts.lock": (lambda c, u, t: lambda: accounts.lock(c, u.desk, idle=True), 1, 1, ""),
    "accounts.enable_break_glass": (
        lambda c, u, t: lambda: accounts.enable_break_glass(c, u.super, 30), 1, 1, ""),
    "accounts.end_break_glass": (lambda c, u, t: lambda: accounts.end_break_glass(c, u.super), 1, 1, ""),
    "staff.ensure_user": (
        lambda c, u, t: lambda: staff.ensure_user(c, "temp", "Temp Desk", Role.FRONT_DESK), 1, 0,
        "set-up (seeding, tests): no one is acting yet"),
    "audit_trail.show (a view)": (lambda c, u, t: lambda: audit_trail.show(c, u.super, limit=5), 1, 1, ""),
    "audit_views.patient_access (a view)": (
        lambda c, u, t: lambda: audit_views.patient_access(c, u.super, 5), 1, 1, ""),
    "backup.backup": (lambda c, u, t: lambda: backup.backup(c, u.super, t / "b.sqlite"), 1, 1, ""),
    "cli_signin.bind_os": (lambda c, u, t: lambda: cli_signin.bind_os(c, u.admin, "demo", 4321),
                           1, 1, ""),
    "cli_signin.add_service_account": (
        lambda c, u, t: lambda: cli_signin.add_service_account(c, u.admin, "jobs", "Nightly jobs",
                                                               Role.FRONT_DESK, 4321), 1, 1, ""),
    "audit_keys.rotate_key": (lambda c, u, t: lambda: audit_keys.rotate_key(c, u.admin), 1, 1,
                              "the new key goes into its file first; the event is signed with it"),
}


@dataclass
class Users:
    desk: object
    super: object
    admin: object


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_use_case_is_one_write_transaction(name, ctx, tmp_path):
    setup, writes, audits, _why = CASES[name]
    users = Users(actor_for(ctx, "demo"), actor_for(ctx, "super"), actor_for(ctx, "admin"))
    call = setup(ctx, users, tmp_path)
    with counted(ctx) as cost:
        call()
    assert cost.writes == writes, f"{name}: {cost.writes} write transactions"
    if audits is None:
        assert cost.audits >= 0
    else:
        assert cost.audits == audits, f"{name}: {cost.audits} audit rows"


def test_every_writing_service_is_in_the_table():
    """A new service function that writes must say here what one call costs."""
    import ast
    from pathlib import Path

    root = Path(checkin.__file__).resolve().parents[1]  # coordinator_tui/services
    assert (root / "audit.py").exists(), root
    writing = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                text = ast.get_source_segment(path.read_text(encoding="utf-8"), node) or ""
                if "ctx.db.write()" in text or "audit.recorded(" in text:
                    writing.add(node.name)
    listed = {name.split(" ")[0].rsplit(".", 1)[-1] for name in CASES}
    # `recorded` is the building block the export cases use.
    assert sorted(writing - listed - {"recorded"}) == []
