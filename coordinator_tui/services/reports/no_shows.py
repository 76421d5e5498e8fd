"""No-shows: rate = no-shows / (attended + no-shows), with the counts beside every rate.

Cancelled visits (a reschedule cancels the old appointment) are in neither count, and visits
still booked (in the future, or never marked either way) are counted apart in the notes. Cut by
provider, weekday, hour of day, appointment type, lead time, new or established patient, and
the patient's earlier no-shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

from coordinator_tui.domain.report_stats import LEAD_LABELS, WEEKDAYS, Rate, lead_bucket
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.reports.facts import History, Period, Visit, week_start
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("provider", "weekday", "hour", "type", "lead", "patient", "history")
CUT_WORDS = {"provider": "Provider", "weekday": "Weekday", "hour": "Hour", "type": "Type",
             "lead": "Lead time", "patient": "New/estab.", "history": "Earlier NS"}
NEEDS_HISTORY = frozenset({"patient", "history"})


def _history_label(count: int) -> str:
    return "none earlier" if count == 0 else "1 earlier" if count == 1 else "2+ earlier"


def grouping(by: str, tz: ZoneInfo, history: History | None) -> tuple[Callable[[Visit], str], list[str] | None]:
    """The function giving a visit's group for the cut, and the groups' fixed order (None: sorted)."""
    if by == "provider":
        return (lambda v: v.provider), None
    if by == "weekday":
        return (lambda v: WEEKDAYS[v.local_start.weekday()]), list(WEEKDAYS)
    if by == "hour":
        return (lambda v: f"{v.local_start.hour:02d}:00"), None
    if by == "type":
        return (lambda v: v.type_code), None
    if by == "lead":
        return (lambda v: lead_bucket(v.lead_days(tz))), list(LEAD_LABELS)
    if by == "patient":
        return (lambda v: "established" if history.established(v) else "new"), ["new", "established"]
    if by == "history":
        return (lambda v: _history_label(history.earlier_no_shows(v))), \
            ["none earlier", "1 earlier", "2+ earlier"]
    raise ValueError(by)


def no_show_report(visits: list[Visit], period: Period, tz: ZoneInfo, by: str,
                   history: History | None = None) -> Report:
    group_of, order = grouping(by, tz, history)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # attended, no-shows
    weekly: dict = defaultdict(lambda: [0, 0])
    cancelled = unmarked = 0
    for visit in visits:
        if visit.status == S.CANCELLED.value:
            cancelled += 1
            continue
        if not (visit.attended or visit.no_show):
            unmarked += 1
            continue
        index = 1 if visit.no_show else 0
        counts[group_of(visit)][index] += 1
        weekly[week_start(visit.day)][index] += 1
    groups = [g for g in order if g in counts] if order else sorted(counts)
    rows = []
    bars = []
    for group in groups:
        attended, missed = counts[group]
        rate = Rate(missed, attended + missed)
        rows.append((group, attended, missed, attended + missed, _pct(rate)))
        bars.append((group, rate.percent, rate.words()))
    total_att = sum(c[0] for c in counts.values())
    total_ns = sum(c[1] for c in counts.values())
    total = Rate(total_ns, total_att + total_ns)
    rows.append(("All", total_att, total_ns, total_att + total_ns, _pct(total)))
    trend = tuple((week, Rate(w[1], w[0] + w[1]).percent) for week, w in sorted(weekly.items()))
    columns = (Column("group", CUT_WORDS[by], 14, numeric=False), Column("attended", "Attended", 8),
               Column("no_shows", "No-shows", 8), Column("visits", "Visits", 7),
               Column("rate_percent", "Rate %", 6))
    notes = (f"No-show rate = no-shows / (attended + no-shows): {total.words()}.",
             f"Left out: {cancelled} cancelled or rescheduled, {unmarked} still booked or never marked.")
    return Report("no-shows", f"No-shows by {CUT_WORDS[by].lower()}", period.start, period.end, by,
                  columns, tuple(rows), tuple(bars), "No-show rate", trend, "No-show rate % by week",
                  notes, f"no-show rate {total.words()}")


def _pct(rate: Rate) -> float | None:
    percent = rate.percent
    return None if percent is None else round(percent, 1)
