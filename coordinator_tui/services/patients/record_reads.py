"""The patient record view's reads, as statements built once (issue 23, point 2).

Every edit at the desk opens the record first, so these reads run on every edit. Built per call
through the ORM (statement, cache key, entity loading) they cost ~7 ms of CPU per record on these
machines; built once and run on the read session's connection, as plain rows, a fraction of it
(the checklist's reads do the same: services/checkin/checklist_reads.py). Read-only: the record's
read transaction has nothing unflushed."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Callback,
    Coverage,
    Patient,
    PatientLetter,
    Payer,
    Payment,
    Provider,
    StaffUser,
)

ROWS_PER_SECTION = 50
ROWS = ROWS_PER_SECTION
PATIENT = select(Patient.__table__).where(Patient.__table__.c.id == bindparam("id"))
STAFF_NAME = select(StaffUser.display_name).where(StaffUser.id == bindparam("id"))
COVERAGES = (select(Coverage.id, Coverage.rank, Payer.name, Coverage.member_id, Coverage.group_number,
                    Coverage.copay_cents, Coverage.eligibility_status, Coverage.active)
             .join(Payer, Payer.id == Coverage.payer_id)
             .where(Coverage.patient_id == bindparam("pid"))
             .order_by(Coverage.active.desc(), Coverage.rank, Coverage.id))
CALLBACKS = (select(Callback.id, Callback.reason, Callback.status, Callback.priority, Callback.due_at,
                    Callback.note)
             .where(Callback.patient_id == bindparam("pid"))
             .order_by((Callback.status == "open").desc(), Callback.due_at.desc()).limit(ROWS))
PAYMENTS = (select(Payment.id, Payment.taken_at, Payment.amount_cents, Payment.method,
                   Payment.receipt_number, Payment.voided_at)
            .where(Payment.patient_id == bindparam("pid"))
            .order_by(Payment.taken_at.desc()).limit(ROWS))
LETTERS = (select(PatientLetter.kind, PatientLetter.written_at, StaffUser.display_name)
           .outerjoin(StaffUser, StaffUser.id == PatientLetter.written_by_id)
           .where(PatientLetter.patient_id == bindparam("pid"))
           .order_by(PatientLetter.written_at.desc(), PatientLetter.id.desc()).limit(ROWS))
_LINES = (select(Appointment.id, Appointment.starts_at, Provider.short_name, AppointmentType.code,
                 Appointment.status, Appointment.reason)
          .join(Provider, Provider.id == Appointment.provider_id)
          .join(AppointmentType, AppointmentType.id == Appointment.appointment_type_id)
          .where(Appointment.patient_id == bindparam("pid")))
UPCOMING = (_LINES.where(Appointment.starts_at >= bindparam("now"))
            .order_by(Appointment.starts_at).limit(ROWS))
PAST = (_LINES.where(Appointment.starts_at < bindparam("now"))
        .order_by(Appointment.starts_at.desc()).limit(ROWS))
