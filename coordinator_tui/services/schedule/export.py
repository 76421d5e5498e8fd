"""The day sheet: one day's appointments (optionally one provider's) as CSV, iCalendar or text.

Patient data leaves the database here, so every export is audited (who, which day, how many):
`exported` records the event around the step that delivers the file, so a failed export is not
recorded as done."""

from __future__ import annotations

import csv
import io
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from coordinator_tui.errors import UserError
from coordinator_tui.interop.ics_lines import fold
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.locations import Place
from coordinator_tui.services.schedule.schedule_view import DayAppointment, day_schedule
from coordinator_tui.store.models import Provider

FORMATS = ("csv", "ics", "txt")


@dataclass(frozen=True)
class DaySheet:
    day: date
    provider: str | None
    appointments: tuple[DayAppointment, ...]
    location: str | None = None  # one location's sheet; None: every location


def day_sheet(ctx: AppContext, actor: Actor, day: date, provider: str | None = None,
              place: Place | None = None) -> DaySheet:
    """`provider` is a provider's short name (case does not matter); `place` one location."""
    wanted = None
    if provider is not None:
        name = provider.strip().upper()
        with ctx.db.read() as session:
            found = session.scalar(select(Provider.short_name).where(Provider.short_name == name))
        if found is None:
            raise UserError(f"there is no provider {provider.strip()[:16]!r}")
        wanted = found
    schedule = day_schedule(ctx, actor, day, place.id if place is not None else None)
    rows = tuple(a for a in schedule.appointments if wanted is None or a.provider == wanted)
    return DaySheet(day, wanted, rows, place.name if place is not None else None)


def exported(ctx: AppContext, actor: Actor, sheet: DaySheet) -> AbstractContextManager:
    """The export's audit event, kept only if the step inside completes (the file is written)."""
    return audit.recorded(ctx, actor, "schedule.export", entity="day_sheet",
                          detail={"day": sheet.day.isoformat(), "provider": sheet.provider,
                                  "location": sheet.location, "appointments": len(sheet.appointments)})


def as_csv(sheet: DaySheet, tz) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "start", "end", "provider", "mrn", "patient", "age", "type", "status",
                     "overbook", "appointment_id"])
    for a in sheet.appointments:
        writer.writerow([sheet.day.isoformat(), f"{a.starts_at.astimezone(tz):%H:%M}",
                         f"{a.ends_at.astimezone(tz):%H:%M}", a.provider, a.mrn,
                         _no_formula(a.patient_name), a.age, a.type_code, a.status.value,
                         "yes" if a.is_overbook else "", a.id])
    return out.getvalue()


def _no_formula(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n").replace("\r", ""))


def _ics_time(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


def as_ics(sheet: DaySheet, now: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//coordinator//day sheet//EN", "CALSCALE:GREGORIAN"]
    for a in sheet.appointments:
        if not a.active:
            continue
        lines += ["BEGIN:VEVENT", f"UID:appointment-{a.id}@coordinator", f"DTSTAMP:{_ics_time(now)}",
                  f"DTSTART:{_ics_time(a.starts_at)}", f"DTEND:{_ics_time(a.ends_at)}",
                  f"SUMMARY:{_ics_text(f'{a.type_code} {a.patient_name} ({a.mrn})')}",
                  f"DESCRIPTION:{_ics_text(f'{a.provider} - {a.status.label}')}",
                  "STATUS:CONFIRMED" if a.status.value != "scheduled" else "STATUS:TENTATIVE",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)



def as_txt(sheet: DaySheet, tz) -> str:
    title = (f"Day sheet {sheet.day:%A %d %B %Y}" + (f" - {sheet.location}" if sheet.location else "")
             + (f" - {sheet.provider}" if sheet.provider else ""))
    lines = [title, "=" * len(title), ""]
    lines.append(f"{'Time':<11} {'Prov':<10} {'MRN':<10} {'Patient':<28} {'Age':>3} {'Type':<5} Status")
    for a in sheet.appointments:
        lines.append(f"{a.starts_at.astimezone(tz):%H:%M}-{a.ends_at.astimezone(tz):%H:%M} "
                     f"{a.provider[:10]:<10} {a.mrn[:10]:<10} {a.patient_name[:28]:<28} {a.age:>3} "
                     f"{a.type_code:<5} {a.status.label}{' (overbook)' if a.is_overbook else ''}")
    active = sum(a.active for a in sheet.appointments)
    lines += ["", f"{active} booked, {len(sheet.appointments) - active} cancelled or no-show"]
    return "\n".join(lines) + "\n"


def render(sheet: DaySheet, fmt: str, ctx: AppContext) -> str:
    if fmt == "csv":
        return as_csv(sheet, ctx.settings.tz)
    if fmt == "ics":
        return as_ics(sheet, ctx.now())
    if fmt == "txt":
        return as_txt(sheet, ctx.settings.tz)
    raise UserError(f"format must be one of {', '.join(FORMATS)}")
