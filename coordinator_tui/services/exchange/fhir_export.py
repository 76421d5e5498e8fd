"""`coordinator export fhir --since DATE -o DIR`: Patient, Coverage and Appointment (those
changed since DATE), with every Practitioner and Location they refer to, as FHIR R4 bulk NDJSON
(one file per type), read in one snapshot, written from plain rows, audited once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import text

from coordinator_tui.interop.fhir import ndjson
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext

Progress = Callable[[str, int, int], None]
STEP = 20_000

_PATIENTS = """SELECT id, mrn, given_name, middle_name, family_name, birth_date, sex, phone_mobile,
 phone_home, email, address_line1, address_line2, city, region, postal_code, country,
 preferred_language, deceased_date, merged_into_id, updated_at FROM patients {where} ORDER BY id"""
_COVERAGES = """SELECT c.id, c.patient_id, y.name, c.rank, c.member_id, c.group_number, c.plan_name,
 c.subscriber_relationship, c.active, c.effective_from, c.effective_to
 FROM coverages c JOIN payers y ON y.id = c.payer_id {join} ORDER BY c.id"""
_APPOINTMENTS = """SELECT a.id, a.patient_id, a.provider_id, p.display_name, t.code, a.starts_at,
 a.ends_at, a.status, a.reason, a.cancel_reason FROM appointments a
 JOIN providers p ON p.id = a.provider_id JOIN appointment_types t ON t.id = a.appointment_type_id
 {where} ORDER BY a.id"""

_PRACTITIONERS = "SELECT id, display_name, short_name, npi, active FROM providers ORDER BY id"
_LOCATIONS = "SELECT id, name, address, phone FROM locations ORDER BY id"


def _since(ctx: AppContext, day: date | None) -> str | None:
    """Midnight of `day` in the clinic, as stored (naive UTC text)."""
    if day is None:
        return None
    start = datetime.combine(day, time(0), tzinfo=ctx.settings.tz)
    return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def export_fhir(ctx: AppContext, actor: Actor, folder: Path | str, *, since: date | None = None,
                progress: Progress | None = None) -> dict[str, int]:
    """Write Patient/Coverage/Appointment.ndjson into `folder`; returns how many of each."""
    cutoff = _since(ctx, since)
    writer = ndjson.NdjsonWriter(Path(folder))
    counts = {"Patient": 0, "Coverage": 0, "Appointment": 0, "Practitioner": 0, "Location": 0}
    params = {"since": cutoff} if cutoff else {}
    try:
        with ctx.db.read() as session:
            conn = session.connection()
            raw = conn.connection.driver_connection  # the sqlite3 connection, same snapshot
            total = conn.execute(text("SELECT count(*) FROM patients" + (
                " WHERE updated_at >= :since" if cutoff else "")), params).scalar() or 0
            for kind, sql, build in (
                    ("Patient", _PATIENTS.format(where="WHERE updated_at >= :since" if cutoff else ""),
                     ndjson.patient),
                    ("Coverage", _COVERAGES.format(
                        join="JOIN patients q ON q.id = c.patient_id AND q.updated_at >= :since"
                        if cutoff else ""), ndjson.coverage),
                    ("Appointment", _APPOINTMENTS.format(
                        where="WHERE a.created_at >= :since" if cutoff else ""), ndjson.appointment),
                    ("Practitioner", _PRACTITIONERS, ndjson.practitioner),
                    ("Location", _LOCATIONS, ndjson.location)):
                writer.open_empty(kind)
                write = writer.write
                for row in raw.execute(*_driver(sql, params if ":since" in sql else {})):
                    write(kind, build(row))
                    counts[kind] += 1
                    if progress and kind == "Patient" and counts[kind] % STEP == 0:
                        progress("patients", counts[kind], total)
            if progress:
                progress("patients", counts["Patient"], total)
        with audit.recorded(ctx, actor, "interop.export_fhir", entity="export",
                            detail={"counts": counts, "since": since.isoformat() if since else None}):
            writer.publish()
    except BaseException:
        writer.discard()
        raise
    return counts


def _driver(sql: str, params: dict) -> tuple:
    """Plain DB-API rows (no ORM, no type processing): a million patients stream in seconds."""
    if params:
        return sql.replace(":since", "?"), (params["since"],)
    return (sql,)
