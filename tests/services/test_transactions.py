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
from coordinator_tui.interop.hl7.parse import read_message
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import checkin, patients, reports
from coordinator_tui.services import eligibility as elig
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.checkin import cashup
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.exchange import (
    fhir_export,
    fhir_import,
    held,
    hl7_group,
    hl7_receive,
    hl7_refused,
    outbox,
)
from coordinator_tui.services.patients import importing as patient_import
from coordinator_tui.services.reports import export as report_export
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
    pg_backups,
)
from coordinator_tui.services.staff import actors as staff
from coordinator_tui.services.staff import backups as backup
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.view_audit import record_view, settle
from coordinator_tui.store.engine import WRITE_OPTION
from coordinator_tui.store.models import AuditEvent, EligibilityInquiry
from tests.conftest import CLINIC_DAY, FREE_DAY, SHARED_DATA
from tests.helpers.eligibility import traces, with_eligibility
from tests.helpers.hl7 import adt, siu, slot
from tests.helpers.ledger import ledger_cases
from tests.helpers.reminders import reminder_cases
from tests.helpers.versions import service_functions, version_parameter, versioned_updates
from tests.helpers.x12_payer import ACTIVE, answer_270

GOOD_PASSWORD = "correct horse battery staple 42"


@dataclass
class Cost:
    writes: int = 0
    audits: int = 0


@contextmanager
def counted(ctx):
    """Counts BEGIN IMMEDIATE transactions on ctx's engine and the audit rows added meanwhile.
    Views' events waiting in the SQLite journal are brought into the chain before (the set-up's)
    and after (the call's), outside the count: they join the chain in someone else's write."""
    cost = Cost()
    settle(ctx.db)

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
    settle(ctx.db)
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


def hl7_message(text):
    return read_message(1, text.encode())


def hl7_file(tmp):
    path = tmp / "feed.hl7"
    path.write_text(adt("A04", "F1", "E1", "Quispe", "Rosa")
                    + siu("S12", "F2", "A1", "E1", slot(9), family="Quispe", given="Rosa"))
    return path


def held_look_alike(ctx, users):
    with ctx.db.read() as session:
        from coordinator_tui.store.models import Patient

        p = session.get(Patient, 7)
        text = adt("A04", "H1", "E9", p.family_name, p.given_name, p.birth_date.strftime("%Y%m%d"))
    hl7_receive.apply_one(ctx, users.super, hl7_message(text))
    return hl7_receive.held_items(ctx, users.super)[0]["id"]


def queued(ctx, users):
    outbox.set_outbox(ctx, users.admin, True)
    patients.register_patient(ctx, users.desk, {"given_name": "Ilse", "family_name": "Vantongeren",
                                                "birth_date": "3/4/1977", "sex": "F"})
    return outbox.waiting(ctx)[0].id


def refused_by_the_ehr(ctx, users):
    row = queued(ctx, users)
    outbox.record_answer(ctx, row, "AE", "unknown patient class")
    return f"out:{row}"


def refused_merge(ctx, users):
    """An A40 the interface account could not apply (front desk may not merge): fixed by a
    supervisor re-trying it."""
    for control, ehr_id, given in (("M1", "E1", "Rosa"), ("M2", "E2", "Rosalind")):
        hl7_receive.apply_one(ctx, users.super, hl7_message(adt("A04", control, ehr_id, "Quispe", given,
                                                               dob="19700101" if ehr_id == "E1" else "19710202")))
    hl7_receive.apply_one(ctx, users.desk, hl7_message(adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2")))
    return hl7_refused.refused_messages(ctx, users.super)[0].key


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


def asked(ctx, actor) -> str:
    """A 270 written for the seeded day (eligibility settings set on ctx); its text."""
    files: list[str] = []
    elig.request_eligibility(with_eligibility(ctx), actor, CLINIC_DAY, files.append)
    return files[0]


def one_answer(ctx, actor, verdict) -> str:
    """A 271 answering only the first inquiry of a fresh 270."""
    text = asked(ctx, actor)
    first = traces(text)[0]
    return answer_270(text, lambda t: verdict, keep=lambda t: t == first)


def estimate_case(ctx, users, tmp):
    text = asked(ctx, users.desk)
    elig.import_271(ctx, users.desk, answer_270(text, lambda t: ACTIVE))
    with ctx.db.read() as session:
        appointment_id = session.scalar(select(EligibilityInquiry.appointment_id).limit(1))
    return lambda: elig.estimate_visit(ctx, users.desk, appointment_id)


def an_authorisation(ctx, users, *, needed=True):
    if needed:
        ref.set_auth_requirement(ctx, users.admin, "PROC")
    return ref.add_referral(ctx, users.desk, 41, kind="prior_authorisation", number="T-1",
                            type_codes=["PROC"], visits=3, status="approved")


def free_slot_of(ctx, actor, type_code):
    return booking.find_free_slots(ctx, actor, provider_id=1, type_code=type_code,
                                   after=CLINIC_DAY + timedelta(days=1), limit=1)[0]


def unlinked_proc(ctx, users):
    """A PROC visit booked before its type needed an authorisation: on no authorisation."""
    slot = free_slot_of(ctx, users.desk, "PROC")
    made = booking.book(ctx, users.desk, 41, 1, "PROC", slot.starts_at)
    ref.set_auth_requirement(ctx, users.admin, "PROC")
    return made.appointment_id


def old_referral(ctx, users):
    """An incoming referral received long ago and never booked: on the work list."""
    return ref.add_referral(ctx, users.desk, 41, kind="incoming_referral",
                            received_on=CLINIC_DAY - timedelta(days=30))


VIEW = object()  # the write transactions of a view: none on SQLite (its event goes to the
# journal beside the file, services/view_audit.py), one on PostgreSQL

# Each case: (setup(ctx, users, tmp_path) -> the call to measure, write transactions, audit rows, why).
Setup = Callable[..., Callable[[], object]]
CASES: dict[str, tuple[Setup, int, int, str]] = {
    # check-in desk
    "checkin.checklist (a view)": (
        lambda c, u, t: lambda: checkin.checklist(c, u.desk, waiting(c, u.desk).id), VIEW, 1, "checkin.view"),
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
    "reports.patient_upcoming (a view)": (
        lambda c, u, t: lambda: reports.patient_upcoming(c, u.desk, "M0000005"), 1, 1, ""),
    "reports.report_exported": (
        lambda c, u, t: (lambda r: lambda: entered(reports.report_exported(c, u.super, r, "csv")))(
            reports.run_report(c, u.super, "no-shows", CLINIC_DAY, CLINIC_DAY)), 1, 1, ""),
    "report_export.export_report": (
        lambda c, u, t: (lambda r: lambda: report_export.export_report(c, u.super, r, str(t / "r.pdf")))(
            reports.run_report(c, u.super, "flow", CLINIC_DAY, CLINIC_DAY)), 1, 1, ""),
    "cashup.exported": (
        lambda c, u, t: lambda: entered(cashup.exported(c, u.desk, CLINIC_DAY, 3)), 1, 1, ""),
    # eligibility with payers
    "eligibility.request_eligibility": (
        lambda c, u, t: (with_eligibility(c), lambda: elig.request_eligibility(c, u.desk, CLINIC_DAY))[1],
        1, None, "one row per patient asked about (their data leaves in the file)"),
    "eligibility.request_eligibility (nothing to ask)": (
        lambda c, u, t: (with_eligibility(c), lambda: elig.request_eligibility(c, u.desk, FREE_DAY))[1],
        1, 0, "nothing written"),
    "eligibility.import_271 (one active answer)": (
        lambda c, u, t: (lambda text: lambda: elig.import_271(c, u.desk, text))(one_answer(c, u.desk, ACTIVE)),
        1, 1, "one row per answer, on the patient"),
    "eligibility.import_271 (one rejection)": (
        lambda c, u, t: (lambda text: lambda: elig.import_271(c, u.desk, text))(
            one_answer(c, u.desk, ("reject", "72"))),
        1, 2, "the answer and the insurance callback it opens"),
    "eligibility.estimate_visit": (estimate_case, 1, 1, ""),
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
    "view_audit.record_view": (
        lambda c, u, t: lambda: record_view(c, u.desk, "patient.view", c.now(), patient_id=5,
                                            entity="patient", entity_id=5), VIEW, 1,
        "a view's event, written after its reads (checklist, record)"),
    # patients desk
    "patients.get_record (a view)": (lambda c, u, t: lambda: patients.get_record(c, u.desk, 5), VIEW, 1, ""),
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
    "booking.book on an authorisation": (
        lambda c, u, t: (an_authorisation(c, u), (lambda s: lambda: booking.book(
            c, u.desk, 41, s.provider_id, "PROC", s.starts_at))(free_slot_of(c, u.desk, "PROC")))[1],
        1, 1, "the booking, its row naming the authorisation it was counted on"),
    # referrals
    "referrals.add_referral": (
        lambda c, u, t: lambda: ref.add_referral(c, u.desk, 41, kind="incoming_referral"), 1, 1, ""),
    "referrals.update_referral": (
        lambda c, u, t: (lambda rid: lambda: ref.update_referral(c, u.desk, rid, status="pending"))(
            an_authorisation(c, u, needed=False)), 1, 1, "one row; the history rows are not audit rows"),
    "referrals.update_referral with a document": (
        lambda c, u, t: (lambda rid: lambda: ref.update_referral(c, u.desk, rid, status="pending",
                                                                 document="payer letter"))(
            an_authorisation(c, u, needed=False)), 1, 2, "the change and the document, together"),
    "referrals.add_document": (
        lambda c, u, t: (lambda rid: lambda: ref.add_document(c, u.desk, rid, "letter"))(
            an_authorisation(c, u, needed=False)), 1, 1, ""),
    "referrals.referral_rows (a view)": (
        lambda c, u, t: lambda: ref.referral_rows(c, u.desk, patient_id=41), 1, 1, ""),
    "referrals.referral_detail (a view)": (
        lambda c, u, t: (lambda rid: lambda: ref.referral_detail(c, u.desk, rid))(
            an_authorisation(c, u, needed=False)), 1, 1, ""),
    "referrals.work_list (a view)": (lambda c, u, t: lambda: ref.work_list(c, u.desk), 1, 1, ""),
    "referrals.feed_callbacks": (
        lambda c, u, t: (old_referral(c, u), lambda: ref.feed_callbacks(c, u.desk))[1], 1, 2,
        "the chase and the callback it opens"),
    "referrals.attach_authorisation": (
        lambda c, u, t: (lambda aid: lambda: ref.attach_authorisation(c, u.desk, aid, number="NEW-9", visits=2))(
            unlinked_proc(c, u)), 1, 2, "the authorisation recorded and the visit linked to it"),
    "referrals.pre_procedure (a view)": (lambda c, u, t: lambda: ref.pre_procedure(c, u.desk), 1, 1, ""),
    "referrals.set_auth_requirement": (
        lambda c, u, t: lambda: ref.set_auth_requirement(c, u.admin, "PROC"), 1, 1, ""),
    "referrals.set_payer_rule": (
        lambda c, u, t: lambda: ref.set_payer_rule(c, u.admin, "Medicare", cancelled_uses=True,
                                                   no_show_uses=True), 1, 1, ""),
    "referrals.change_rules": (
        lambda c, u, t: lambda: ref.change_rules(c, u.admin, type_code="PROC", payer="Medicare", needs_auth=True,
                                                 documents=["consent"], no_show_uses=False),
        1, 3, "every rule given, together"),
    "referrals.set_type_documents": (
        lambda c, u, t: lambda: ref.set_type_documents(c, u.admin, "PROC", ["photo_id", "consent"]), 1, 1, ""),
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
    # What backup.backup runs when the clinic is on PostgreSQL: pg_dump, then its audit event.
    "pg_backups.pg_backup": (lambda c, u, t: lambda: pg_backups.pg_backup(c, u.super, t / "b.dump",
                                                                          force=False), 1, 1, ""),
    # exchange with the EHR (issue #19)
    "hl7_receive.apply_one": (
        lambda c, u, t: lambda: hl7_receive.apply_one(c, u.super, hl7_message(adt("A04", "T1", "E1",
                                                                                   "Quispe", "Rosa"))),
        1, 1, "the registration; its interop_inbound row rides in the same transaction"),
    "hl7_receive.import_file (2 messages)": (
        lambda c, u, t: (lambda path: lambda: hl7_receive.import_file(c, u.super, path))(hl7_file(t)),
        1, 2, "the whole file in one transaction: a registration and a booking"),
    "hl7_group.apply_group (3 messages, one refused)": (
        lambda c, u, t: lambda: hl7_group.apply_group(c, u.super, [hl7_message(m) for m in (
            adt("A04", "T1", "E1", "Quispe", "Rosa"), adt("A04", "T2", "E2", "Bad", "Day", dob="20991301"),
            adt("A04", "T3", "E3", "Vanterpool", "Tom"))]),
        1, 2, "the listener's group commit: two registrations; the refused one is kept, not audited"),
    "hl7_refused.retry_refused (ours, back in the outbox)": (
        lambda c, u, t: (lambda key: lambda: hl7_refused.retry_refused(c, u.super, key))(
            refused_by_the_ehr(c, u)), 1, 1, ""),
    "hl7_refused.retry_refused (theirs, applied again)": (
        lambda c, u, t: (lambda key: lambda: hl7_refused.retry_refused(c, u.super, key))(
            refused_merge(c, u)), 1, None, "the merge (its own audit rows) and the re-try"),
    "held.resolve_held": (
        lambda c, u, t: (lambda item: lambda: held.resolve_held(c, u.super, item, register=True))(
            held_look_alike(c, u)), 1, 2, "the registration and the decision that made it"),
    "outbox.set_outbox": (lambda c, u, t: lambda: outbox.set_outbox(c, u.admin, True), 1, 1, ""),
    "outbox.record_answer": (
        lambda c, u, t: (lambda row: lambda: outbox.record_answer(c, row, "AA", ""))(queued(c, u)),
        1, 0, "delivery bookkeeping; nothing about the patient"),
    "fhir_import.import_fhir (a Synthea bundle)": (
        lambda c, u, t: lambda: fhir_import.import_fhir(
            c, u.super, next(iter(sorted((SHARED_DATA / "synthea_fhir_r4_smart").glob("B*.json"))))),
        1, 2, "one patient and its coverage, one row each"),
    "fhir_export.export_fhir": (
        lambda c, u, t: lambda: fhir_export.export_fhir(c, u.super, t / "bulk"), 1, 1,
        "read in one snapshot; the one write is the audit row around publishing the files"),
    # reminders and paper (their set-up lives in tests/helpers/reminders.py)
    **reminder_cases(entered),
    # patient accounts (their set-up lives in tests/helpers/ledger.py)
    **ledger_cases(),
    "cli_signin.bind_os": (lambda c, u, t: lambda: cli_signin.bind_os(c, u.admin, "demo", 4321),
                           1, 1, ""),
    "cli_signin.add_service_account": (
        lambda c, u, t: lambda: cli_signin.add_service_account(c, u.admin, "jobs", "Nightly jobs",
                                                               Role.FRONT_DESK, 4321), 1, 1, ""),
    "audit_keys.rotate_key": (lambda c, u, t: lambda: audit_keys.rotate_key(c, u.admin), 1, 1,
                              "the new key goes into its file first; the event is signed with it"),
}


# Who holds a callback (its claim) is bookkeeping no one edits: it leaves the version alone.
CLAIM_BOOKKEEPING = {"claim", "release"}
# Answers from outside are no one's edit of what a desk saw: a payer's 271 writes the eligibility
# fields, a patient's "C" by SMS confirms a still-scheduled visit. Each bumps the row's version
# (the ORM's version column), so a desk still showing the row from before is refused rather than
# overwriting the answer.
# A refused HL7 message re-tried applies the EHR's message as it came (no one's screen showed the
# rows it changes), as the listener does.
ANSWERS_FROM_OUTSIDE = {"import_271", "apply_replies", "retry_refused"}
# Linking a visit to the authorisation that covers it (the checklist's "resolve in place") turns
# the authorisation active: a status derived from its visits, as booking one does, not an edit.
DERIVED_FROM_VISITS = {"attach_authorisation"}


@dataclass
class Users:
    desk: object
    super: object
    admin: object


# Use cases not on PostgreSQL yet, with the reason (the rest run on both engines).
SQLITE_ONLY_CASES = {
    "fhir_export.export_fhir": "reads one snapshot through the sqlite3 connection",
}


# And the other way round.
POSTGRESQL_ONLY_CASES = {
    "pg_backups.pg_backup": "a pg_dump of the clinic's PostgreSQL database",
}


def _case(name):
    if name in SQLITE_ONLY_CASES:
        return pytest.param(name, marks=pytest.mark.sqlite_only(SQLITE_ONLY_CASES[name]))
    if name in POSTGRESQL_ONLY_CASES:
        return pytest.param(name, marks=pytest.mark.postgresql_only(POSTGRESQL_ONLY_CASES[name]))
    return name


@pytest.mark.parametrize("name", [_case(name) for name in sorted(CASES)])
def test_one_use_case_is_one_write_transaction(name, ctx, tmp_path):
    setup, writes, audits, _why = CASES[name]
    if writes is VIEW:  # a view's event: the journal on SQLite, a write of its own on PostgreSQL
        writes = 0 if ctx.db.path is not None else 1
    users = Users(actor_for(ctx, "demo"), actor_for(ctx, "super"), actor_for(ctx, "admin"))
    call = setup(ctx, users, tmp_path)
    with counted(ctx) as cost, versioned_updates(ctx.db.engine) as updated:
        call()
    assert cost.writes == writes, f"{name}: {cost.writes} write transactions"
    # No write overwrites another unseen (issue #22): an update of a patient, appointment,
    # callback, coverage or referral carries the version the user saw (tests/services/
    # test_versions_carried.py shows each one refusing a stale version).
    function = name.split(" ")[0].rsplit(".", 1)[-1]
    if updated and function not in CLAIM_BOOKKEEPING | ANSWERS_FROM_OUTSIDE | DERIVED_FROM_VISITS:
        carried = [version_parameter(params) for _path, params in service_functions()[function]]
        assert all(carried), f"{name} updates {sorted(updated)} without the version the user saw"
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
    assert len(writing) > 40  # the walk found the services (it once looked in services/services)
    listed = {name.split(" ")[0].rsplit(".", 1)[-1] for name in CASES}
    # `recorded` is the building block the export cases use.
    assert sorted(writing - listed - {"recorded"}) == []
