"""The check-in checklist's own reads, as statements built once (issue 23, point 2).

A check-in builds the checklist twice (the view, then inside the write transaction that decides),
so its reads are on the hot path of every desk and, the second time, inside SQLite's write lock.
Built per call through the ORM each read cost ~350 us of CPU on these machines (statement
construction and its cache key); a statement built once and run on the session's connection
costs ~40 us. Rows come back as plain rows with the columns' names, read-only. The session is
flushed first, so a read sees the caller's own unflushed changes as the ORM's autoflush did.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select

from coordinator_tui.store.models import (
    Appointment,
    CheckinCheck,
    Coverage,
    FormSignature,
    Patient,
    Payer,
    Payment,
    Provider,
    StaffUser,
)

CHECKED_ITEMS = ("demographics", "photo_id", "insurance_card")

_APPOINTMENT = select(Appointment.__table__).where(Appointment.__table__.c.id == bindparam("id"))
_PATIENT = select(Patient.__table__).where(Patient.__table__.c.id == bindparam("id"))
_PROVIDER_SHORT = select(Provider.short_name).where(Provider.id == bindparam("id"))
_PRIMARY = select(Coverage.__table__).where(
    Coverage.__table__.c.patient_id == bindparam("patient_id"),
    Coverage.__table__.c.rank == "primary", Coverage.__table__.c.active.is_(True))
# The view's: with the payer's name and the verifier's username (two reads fewer each view).
_PRIMARY_NAMED = (
    select(Coverage.__table__, Payer.name.label("payer_name"), StaffUser.username.label("verified_by_name"))
    .join(Payer, Payer.id == Coverage.__table__.c.payer_id)
    .outerjoin(StaffUser, StaffUser.id == Coverage.__table__.c.verified_by_id)
    .where(Coverage.__table__.c.patient_id == bindparam("patient_id"),
           Coverage.__table__.c.rank == "primary", Coverage.__table__.c.active.is_(True)))
_PAID = select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
    Payment.appointment_id == bindparam("appointment_id"), Payment.voided_at.is_(None))
_LAST_CHECKS = (
    select(CheckinCheck.item, func.max(CheckinCheck.checked_at))
    .join(Appointment, Appointment.id == CheckinCheck.appointment_id)
    .where(Appointment.patient_id == bindparam("patient_id"),
           CheckinCheck.item.in_(CHECKED_ITEMS))
    .group_by(CheckinCheck.item))
_LATEST_FORMS = (
    select(FormSignature.form, func.max(FormSignature.signed_on))
    .where(FormSignature.patient_id == bindparam("patient_id")).group_by(FormSignature.form))


def _conn(session):
    session.flush()  # as autoflush would: the caller's own changes are seen
    return session.connection()


def aware_instant(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def appointment_row(session, appointment_id: int):
    """The appointment's row (columns by name, as the ORM object's attributes), or None: what
    the checklist view reads it through (it changes nothing, so it needs no ORM object)."""
    return _conn(session).execute(_APPOINTMENT, {"id": appointment_id}).first()


def patient_row(session, patient_id: int):
    return _conn(session).execute(_PATIENT, {"id": patient_id}).one()


def provider_short(session, provider_id: int) -> str:
    return _conn(session).execute(_PROVIDER_SHORT, {"id": provider_id}).scalar_one()


def primary_coverage_row(session, patient_id: int):
    """The active primary coverage's row (columns by name), or None: self-pay."""
    return _conn(session).execute(_PRIMARY, {"patient_id": patient_id}).first()


def primary_coverage_named(session, patient_id: int):
    """`primary_coverage_row` with `payer_name` and `verified_by_name` (None: nobody), for the
    checklist the desk is shown."""
    return _conn(session).execute(_PRIMARY_NAMED, {"patient_id": patient_id}).first()


def paid_cents(session, appointment_id: int) -> int:
    return _conn(session).execute(_PAID, {"appointment_id": appointment_id}).scalar() or 0


def last_checks(session, patient_id: int) -> dict[str, datetime]:
    """When each item (address and phone confirmed, photo ID, insurance card) was last checked
    at any of the patient's visits."""
    return {item: aware_instant(at) for item, at in
            _conn(session).execute(_LAST_CHECKS, {"patient_id": patient_id}) if at is not None}


def latest_forms(session, patient_id: int) -> dict[str, date]:
    out = {}
    for form, signed in _conn(session).execute(_LATEST_FORMS, {"patient_id": patient_id}):
        out[form] = date.fromisoformat(signed) if isinstance(signed, str) else signed
    return out
