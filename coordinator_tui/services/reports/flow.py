"""Patient flow and waits, from the status events of each visit that arrived:

- lateness: arrived - booked start (negative: early; walk-ins left out, they are booked on arrival)
- wait: arrived -> roomed; rooming: roomed -> with the provider; cycle: arrived -> done.

Medians and 90th percentiles, never means. A visit that reached the first status of a measure
but never the second is counted as "not reached" beside it, not dropped (OpenMRS O3's average
wait stayed blank until someone finished waiting)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from coordinator_tui.domain.report_stats import Spread, minutes_text, quantile
from coordinator_tui.services.reports.facts import Period, Visit, week_start
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("none", "provider", "hour")
CUT_WORDS = {"none": "All", "provider": "Provider", "hour": "Hour"}
MEASURES = (
    ("lateness", "Late (arr-start)"),
    ("wait", "Wait (arr-room)"),
    ("rooming", "Room-provider"),
    ("cycle", "Cycle (arr-done)"),
)


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def measures(visits: list[Visit]) -> dict[str, Spread]:
    """The four measures over these visits (only those that arrived count)."""
    late, wait, rooming, cycle = [], [], [], []
    open_wait = open_rooming = open_cycle = 0
    for v in visits:
        if v.arrived is None:
            continue
        if not v.walk_in:
            late.append(_minutes(v.starts_at, v.arrived))
        if v.roomed is not None:
            wait.append(_minutes(v.arrived, v.roomed))
            if v.with_provider is not None:
                rooming.append(_minutes(v.roomed, v.with_provider))
            else:
                open_rooming += 1
        else:
            open_wait += 1
        if v.done is not None:
            cycle.append(_minutes(v.arrived, v.done))
        else:
            open_cycle += 1
    return {"lateness": Spread.of(late), "wait": Spread.of(wait, open_wait),
            "rooming": Spread.of(rooming, open_rooming), "cycle": Spread.of(cycle, open_cycle)}


def flow_report(visits: list[Visit], period: Period, tz: ZoneInfo, by: str) -> Report:
    arrived = [v for v in visits if v.arrived is not None]
    if by == "provider":
        groups: dict[str, list[Visit]] = defaultdict(list)
        for v in arrived:
            groups[v.provider].append(v)
        ordered = sorted(groups)
    elif by == "hour":
        groups = defaultdict(list)
        for v in arrived:
            groups[f"{v.local_start.hour:02d}:00"].append(v)
        ordered = sorted(groups)
    else:
        groups, ordered = {"All": arrived}, ["All"]
    rows, bars = [], []
    for group in ordered:
        spreads = measures(groups[group])
        for key, words in MEASURES:
            s = spreads[key]
            rows.append((group, words, s.n, _round(s.median), _round(s.p90), s.open))
        wait = spreads["wait"]
        bars.append((group, wait.median,
                     f"med {minutes_text(wait.median)} p90 {minutes_text(wait.p90)} "
                     f"n={wait.n} open {wait.open}"))
    weekly: dict = defaultdict(list)
    for v in arrived:
        if v.roomed is not None:
            weekly[week_start(v.day)].append(_minutes(v.arrived, v.roomed))
    trend = tuple((week, quantile(values, 0.5)) for week, values in sorted(weekly.items()))
    columns = (Column("group", CUT_WORDS[by], 10, numeric=False),
               Column("measure", "Measure", 16, numeric=False), Column("n", "N", 6),
               Column("median_min", "Median", 7), Column("p90_min", "P90", 7),
               Column("not_reached", "Not reached", 11))
    notes = ("Minutes. Median and 90th percentile (linear between ranks); 'not reached': visits "
             "that got to the first status but never the second.",
             f"{len(arrived)} visits arrived; walk-ins are left out of lateness.")
    overall = measures(arrived)["wait"]
    headline = (f"wait med {minutes_text(overall.median)} p90 {minutes_text(overall.p90)} min, "
                f"n={overall.n}, {overall.open} never roomed")
    title = "Patient flow and waits" + ("" if by == "none" else f" by {CUT_WORDS[by].lower()}")
    return Report("flow", title, period.start, period.end, by, columns, tuple(rows), tuple(bars),
                  "Median wait, arrival to roomed (min)", trend, "Median wait (min) by week", notes,
                  headline)


def waits_now(visits: list[Visit], now: datetime) -> Spread:
    """Today's waits as the Check-in board shows them: each patient who arrived, until roomed,
    or until now for those still waiting (so it is never blank once someone is here)."""
    values = []
    for v in visits:
        if v.arrived is None:
            continue
        values.append(max(0.0, _minutes(v.arrived, v.roomed or now)))
    still = sum(1 for v in visits if v.arrived is not None and v.roomed is None)
    return Spread.of(values, still)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
