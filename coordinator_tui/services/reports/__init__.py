"""Reports for the supervisor and the providers, counted from the status event log: no-shows,
patient flow and waits, time-of-service collections, the day's summary, and a patient's next
two years of appointments. One read transaction per report; the desk, the command line and the
PDF all print the same `Report`.

Who sees what: supervisors and admins any period; the front desk its own day (today) only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from sqlalchemy import text

from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.locations import find_location
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.services.reports import collections_rate, daily, flow, no_shows, upcoming
from coordinator_tui.services.reports.facts import Period, visits_query
from coordinator_tui.services.reports.model import Report

# name: (what it shows, its cuts (first = default), needs a patient)
REPORTS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "no-shows": ("No-show rate with counts", no_shows.CUTS, False),
    "flow": ("Lateness, waits and cycle time: median and 90th percentile", flow.CUTS, False),
    "collections": ("Copays collected at check-in / due", collections_rate.CUTS, False),
    "day": ("The day's summary: visits, walk-ins, payments, callbacks", (), False),
    "upcoming": ("A patient's appointments for the next two years", (), True),
}
MAX_DAYS = 366 * 5
Progress = Callable[[str], None]


def report_period(ctx: AppContext, actor: Actor, start: date, end: date) -> Period:
    """The period asked for, checked: in order, at most five years, and for the front desk
    today only."""
    if end < start:
        raise UserError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > MAX_DAYS:
        raise UserError("a report covers at most five years; ask for a shorter period")
    if not allows(actor, Permission.READ_REPORTS) and not (start == end == ctx.today()):
        raise PermissionDenied(f"{actor.username} (front desk) may see only today's reports "
                               f"({ctx.today()}); ask a supervisor or admin for other days")
    return Period(start, end)


def _cut(name: str, by: str | None) -> str | None:
    cuts = REPORTS[name][1]
    if not cuts:
        if by not in (None, "none"):
            raise UserError(f"the {name} report has no --by")
        return None
    if by is None:
        return cuts[0]
    if by not in cuts:
        raise UserError(f"the {name} report is cut by {', '.join(cuts)}; not {by!r}")
    return by


def run_report(ctx: AppContext, actor: Actor, name: str, start: date, end: date, *,
               provider: str | None = None, by: str | None = None, mrn: str | None = None,
               location: str | None = None, progress: Progress | None = None) -> Report:
    """One report, counted in one read transaction. `progress` hears a line about what is being
    counted (the desk and the command line show it when a report takes over half a second)."""
    if name not in REPORTS:
        raise UserError(f"no report named {name!r}; reports: {', '.join(REPORTS)}")
    if name == "upcoming":
        return patient_upcoming(ctx, actor, mrn or "")
    by = _cut(name, by)
    period = report_period(ctx, actor, start, end)
    tz = ctx.settings.tz
    say = progress or (lambda _words: None)
    place = find_location(ctx, location)
    with ctx.db.read() as session:
        if provider is not None:
            known = session.execute(text("SELECT 1 FROM providers WHERE short_name = :p"),
                                    {"p": provider}).first()
            if known is None:
                raise UserError(f"no provider {provider!r} (use the short name, as on the schedule)")
        history = name == "day" or (name == "no-shows" and by in no_shows.NEEDS_HISTORY)
        steps = name in ("flow", "collections")
        query = visits_query(session, period, tz, provider=provider, steps=steps,
                             location_id=place.id if place is not None else None,
                             who=name == "collections", history=history)
        say(f"counting {period.days} days of visits" + (" and the patients' earlier visits" if history else ""))
        report = _count(session, name, query, period, tz, by, ctx.settings.auth_expiring_days)
    if place is not None:
        report = replace(report, title=f"{report.title} at {place.name}")
    return report


def _count(session, name: str, query, period: Period, tz, by: str | None, expiring_days: int) -> Report:
    if name == "no-shows":
        return no_shows.no_show_report(session, query, period, by)
    if name == "flow":
        return flow.flow_report(session, query, period, by)
    if name == "collections":
        return collections_rate.collection_report(session, query, period, tz, by)
    return daily.daily_report(session, query, period, daily.day_facts(session, period, tz, expiring_days))


def patient_upcoming(ctx: AppContext, actor: Actor, mrn: str) -> Report:
    """A patient's next two years of appointments, by MRN (an old MRN finds the survivor of a
    merge). A view of the patient's record: one write transaction with its audit event."""
    mrn = mrn.strip()
    if not mrn:
        raise UserError("give the patient's MRN (--patient MRN)")
    period = upcoming.two_years_from(ctx.today())
    with ctx.db.write() as session:
        found = upcoming.find_patient(session, mrn)
        if found is None:
            raise UserError(f"no patient with MRN {mrn[:20]!r}")
        patient_id, shown = found
        report = upcoming.upcoming_report(session, patient_id, shown, period, ctx.settings.tz)
        audit.record(session, actor, "report.upcoming", ctx.now(), patient_id=patient_id,
                     entity="patient", entity_id=patient_id, detail={"rows": len(report.rows)})
    return report


def report_exported(ctx: AppContext, actor: Actor, report: Report, fmt: str):
    """The export's audit event, kept only if the file is written (see private_file.deliver)."""
    return audit.recorded(ctx, actor, "report.export", entity="report",
                          detail={"report": report.name, "by": report.by, "format": fmt,
                                  "from": report.start.isoformat(), "to": report.end.isoformat(),
                                  "rows": len(report.rows)})


def median_wait_today(ctx: AppContext, actor: Actor, location_id: int | None = None):
    """The Check-in board's median wait: today's arrivals (at one location, or all), arrival to
    roomed (until now for those still waiting). A Spread (n, median, p90, still waiting)."""
    today = ctx.today()
    with ctx.db.read() as session:
        query = visits_query(session, Period(today, today), ctx.settings.tz, steps=True, now=ctx.now(),
                             location_id=location_id)
        return flow.waits_now(query.run(session, flow.waits_now_sql(query.dialect)))


def provider_names(ctx: AppContext, actor: Actor) -> list[str]:
    """The providers' short names, for the desk's provider key."""
    with ctx.db.read() as session:
        return [name for (name,) in session.execute(
            text("SELECT short_name FROM providers ORDER BY short_name"))]
