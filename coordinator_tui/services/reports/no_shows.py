"""No-shows: rate = no-shows / (attended + no-shows), with the counts beside every rate.

Cancelled visits (a reschedule cancels the old appointment) are in neither count, and visits
still booked (in the future, or never marked either way) are counted apart in the notes. Cut by
provider, weekday, hour of day, appointment type, lead time, new or established patient, and
the patient's earlier no-shows."""

from __future__ import annotations

from collections import defaultdict

from coordinator_tui.domain.report_stats import LEAD_LABELS, WEEKDAYS, Rate
from coordinator_tui.services.reports.dialect import count_if, smaller
from coordinator_tui.services.reports.facts import (
    ATTENDED_SQL,
    LEAD_SQL,
    Period,
    Query,
    week_of,
    whole,
)
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("provider", "weekday", "hour", "type", "lead", "patient", "history")
CUT_WORDS = {"provider": "Provider", "weekday": "Weekday", "hour": "Hour", "type": "Type",
             "lead": "Lead time", "patient": "New/estab.", "history": "Earlier NS"}
# The cut in a title: "No-shows by earlier no-shows", not the column's short heading.
TITLE_WORDS = {**{cut: words.lower() for cut, words in CUT_WORDS.items()},
               "patient": "new or established patient", "history": "earlier no-shows"}
NEEDS_HISTORY = frozenset({"patient", "history"})
HISTORY_LABELS = ("none earlier", "1 earlier", "2+ earlier")
# The SQL of each cut's group, over `v` (services/reports/facts.py).
GROUP_SQL = {"provider": "provider_id", "weekday": "weekday", "hour": "hour", "type": "type_id",
             "lead": LEAD_SQL, "patient": "coalesce(seen, 0)", "history": smaller("coalesce(earlier_ns, 0)", "2")}


def _labels(by: str, query: Query):
    """(label of a group value, the groups' fixed order or None for sorted by label)."""
    if by == "provider":
        return (lambda g: query.providers.get(g, "?")), None
    if by == "type":
        return (lambda g: query.types.get(g, "?")), None
    if by == "weekday":
        return (lambda g: WEEKDAYS[g]), list(WEEKDAYS)
    if by == "hour":
        return (lambda g: f"{g:02d}:00"), None
    if by == "lead":
        return (lambda g: LEAD_LABELS[g]), list(LEAD_LABELS)
    if by == "patient":
        return (lambda g: "established" if g else "new"), ["new", "established"]
    return (lambda g: HISTORY_LABELS[g]), list(HISTORY_LABELS)


def no_show_report(session, query: Query, period: Period, by: str) -> Report:
    found = query.run(session, f"""
SELECT {GROUP_SQL[by]} AS grp, day, {count_if(f"status IN {ATTENDED_SQL}")}, {count_if("status = 'no_show'")},
       {count_if("status = 'cancelled'")}, count(*)
FROM v GROUP BY grp, day""")
    label, order = _labels(by, query)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # attended, no-shows
    weekly: dict = defaultdict(lambda: [0, 0])
    cancelled = unmarked = 0
    for group, day, *numbers in found:
        attended, missed, cancels, every = (whole(n) for n in numbers)
        cancelled += cancels
        unmarked += every - attended - missed - cancels
        if attended or missed:
            key = label(group)
            counts[key][0] += attended
            counts[key][1] += missed
            week = weekly[week_of(day)]
            week[0] += attended
            week[1] += missed
    groups = [g for g in order if g in counts] if order else sorted(counts)
    rows, bars = [], []
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
    return Report("no-shows", f"No-shows by {TITLE_WORDS[by]}", period.start, period.end, by,
                  columns, tuple(rows), tuple(bars), "No-show rate", trend, "No-show rate % by week",
                  notes, f"no-show rate {total.words()}")


def _pct(rate: Rate) -> float | None:
    percent = rate.percent
    return None if percent is None else round(percent, 1)
