"""A patient's appointments for the next two years (OpenEMR users asked for it, #8644): every
booking from today on, cancelled ones marked, for the letter or the phone call. Looking is
audited like opening the record."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.services.reports.dialect import dialect_of
from coordinator_tui.services.reports.facts import Period, instant
from coordinator_tui.services.reports.model import Column, Report

YEARS_AHEAD = 2

_PATIENT = text("SELECT id, coalesce(merged_into_id, id), mrn FROM patients WHERE mrn = :mrn")
_UPCOMING = text("""
SELECT a.starts_at, pr.short_name, t.code, a.status
FROM appointments a JOIN patients p ON p.id = a.patient_id
JOIN providers pr ON pr.id = a.provider_id JOIN appointment_types t ON t.id = a.appointment_type_id
WHERE coalesce(p.merged_into_id, p.id) = :pid AND a.starts_at >= :start AND a.starts_at < :end
ORDER BY a.starts_at, a.id
""")


def two_years_from(today: date) -> Period:
    try:
        end = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        end = today.replace(year=today.year + YEARS_AHEAD, day=28)
    return Period(today, end - timedelta(days=1))


def find_patient(session, mrn: str) -> tuple[int, str] | None:
    """(the surviving patient's id, the MRN asked for); an old MRN finds the survivor."""
    row = session.execute(_PATIENT, {"mrn": mrn}).first()
    return None if row is None else (row[1], row[2])


def upcoming_report(session, patient_id: int, mrn: str, period: Period, tz: ZoneInfo) -> Report:
    start, end = period.bounds(tz)
    d = dialect_of(session)
    rows = []
    for starts, provider, code, status in session.execute(
            _UPCOMING, {"pid": patient_id, "start": d.bound(start), "end": d.bound(end)}):
        local = instant(starts).astimezone(tz)
        rows.append((f"{local:%Y-%m-%d}", f"{local:%a}", f"{local:%H:%M}", provider, code,
                     AppointmentStatus(status).label))
    columns = (Column("date", "Date", 10, numeric=False), Column("weekday", "Day", 3, numeric=False),
               Column("time", "Time", 5, numeric=False), Column("provider", "Provider", 12, numeric=False),
               Column("type", "Type", 5, numeric=False), Column("status", "Status", 10, numeric=False))
    booked = sum(1 for r in rows if r[5] not in ("Cancelled", "No-show"))
    notes = (f"MRN {mrn}: {booked} booked, {len(rows) - booked} cancelled or missed, "
             f"from {period.start} to {period.end}.",)
    return Report("upcoming", f"Appointments, next {YEARS_AHEAD} years", period.start, period.end,
                  None, columns, tuple(rows), notes=notes,
                  headline=f"{booked} booked, {len(rows) - booked} cancelled or missed")
