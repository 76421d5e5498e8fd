"""The outbox seam (issue #19): one session event on write sessions turns the desk's changes
into HL7 v2 messages to send, in the same transaction as the change.

Registered on the write sessionmaker (store.engine), so no service is edited for it: a new
patient (ADT^A28), changed demographics (A31), a merge (A40), a booking (SIU^S12), a move
(S13), a cancellation (S15), a no-show (S26) and an arrival (ADT^A04) each add one
interop_outbox row holding a snapshot of the row as saved. A crash loses none (same commit) and
a rolled-back change sends none. Off until the clinic turns it on (setting `hl7_outbox` = on):
seeding a million patients writes no outbox. Changes that came in from the EHR are not echoed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import insert, inspect, select

from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    InteropOutbox,
    Patient,
    Provider,
    Setting,
)

SETTING = "hl7_outbox"
FROM_INTERFACE = "from_interface"  # session.info flag set by the HL7/FHIR importers
_ENABLED = "hl7_outbox_enabled"
DEMOGRAPHICS = ("given_name", "middle_name", "family_name", "birth_date", "sex", "phone_mobile",
                "phone_home", "email", "address_line1", "address_line2", "city", "region",
                "postal_code", "country", "preferred_language", "deceased_date")
ARRIVED = "arrived"


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def patient_snapshot(conn, patient_id: int) -> dict:
    row = conn.execute(select(Patient.__table__).where(Patient.id == patient_id)).mappings().first()
    return {k: _plain(row[k]) for k in ("id", "mrn", *DEMOGRAPHICS)} if row else {"id": patient_id}


def _first_of_chain(conn, a: Appointment) -> int:
    """The visit's first appointment: a move makes a new row, but the EHR knows one visit, so
    every message about it carries this id (SCH-1/SCH-2)."""
    first, previous = a.id, a.rescheduled_from_id
    for _ in range(50):
        if previous is None:
            break
        first = previous
        previous = conn.execute(select(Appointment.rescheduled_from_id)
                                .where(Appointment.id == previous)).scalar()
    return first


def appointment_snapshot(conn, a: Appointment) -> dict:
    kind = conn.execute(select(AppointmentType.code, AppointmentType.name)
                        .where(AppointmentType.id == a.appointment_type_id)).first()
    provider = conn.execute(select(Provider.short_name, Provider.display_name, Provider.npi)
                            .where(Provider.id == a.provider_id)).first()
    return {"id": a.id, "visit_id": _first_of_chain(conn, a), "starts_at": _plain(a.starts_at), "ends_at": _plain(a.ends_at),
            "status": a.status, "reason": a.reason, "cancel_reason": a.cancel_reason,
            "rescheduled_from_id": a.rescheduled_from_id,
            "type_code": kind[0] if kind else "", "type_name": kind[1] if kind else "",
            "provider_short": provider[0] if provider else "",
            "provider_name": provider[1] if provider else "",
            "provider_npi": provider[2] if provider else None}


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


_SETTING = select(Setting.value).where(Setting.key == SETTING)  # built once: asked in every write


def _enabled(session, conn) -> bool:
    if _ENABLED not in session.info:
        value = conn.execute(_SETTING).scalar()
        session.info[_ENABLED] = value == "on"
    return session.info[_ENABLED]


def _events(session, conn, obj) -> list[dict]:
    if isinstance(obj, Patient):
        if obj in session.new:
            return [_row("ADT^A28", "patient", obj.id, obj.id, {"patient": patient_snapshot(conn, obj.id)})]
        if _changed(obj, ("merged_into_id",)) and obj.merged_into_id is not None:
            return [_row("ADT^A40", "patient", obj.id, obj.merged_into_id,
                         {"patient": patient_snapshot(conn, obj.merged_into_id), "prior_mrn": obj.mrn})]
        if _changed(obj, DEMOGRAPHICS):
            return [_row("ADT^A31", "patient", obj.id, obj.id, {"patient": patient_snapshot(conn, obj.id)})]
        return []
    events: list[str] = []
    if obj in session.new:
        events.append("SIU^S13" if obj.rescheduled_from_id else "SIU^S12")
        if obj.status == ARRIVED:  # a walk-in: booked and arrived at once
            events.append("ADT^A04")
    elif _changed(obj, ("status",)):
        status = obj.status
        if status == "cancelled" and not (obj.cancel_reason or "").startswith("Rescheduled:"):
            events.append("SIU^S15")
        elif status == "no_show":
            events.append("SIU^S26")
        elif status == ARRIVED:
            events.append("ADT^A04")
    if not events:
        return []
    payload = {"appointment": appointment_snapshot(conn, obj),
               "patient": patient_snapshot(conn, obj.patient_id)}
    return [_row(event, "appointment", obj.id, obj.patient_id, payload) for event in events]


def _row(event: str, entity: str, entity_id: int, patient_id: int, payload: dict) -> dict:
    return {"event": event, "entity": entity, "entity_id": entity_id, "patient_id": patient_id,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True)}


def after_flush(session, _flush_context) -> None:
    if session.info.get(FROM_INTERFACE):
        return
    objects = [o for o in (*session.new, *session.dirty) if isinstance(o, Patient | Appointment)]
    if not objects:
        return
    conn = session.connection()
    if not _enabled(session, conn):
        return
    rows = []
    for obj in sorted(objects, key=lambda o: (isinstance(o, Appointment), o.id or 0)):
        rows.extend(_events(session, conn, obj))
    if rows:
        at = datetime.now(UTC)
        conn.execute(insert(InteropOutbox.__table__),
                     [{**r, "created_at": at, "status": "pending", "attempts": 0} for r in rows])
